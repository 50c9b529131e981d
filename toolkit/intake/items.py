"""A received item (one file, or a note that something was skipped or could not be opened) and the
limits and names every container reader shares.

Nothing here trusts a file name: names are sanitised and kept as metadata only.
"""
from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from toolkit.returns import time_source

SPREADSHEETS = {"xlsx", "xlsm", "xls", "ods"}
CONTAINERS = {"zip", "eml", "mbox", "msg"}
MAX_DEPTH = 3  # email in email in zip ... deeper than this is not a normal return


@dataclass
class Item:
    """One received file, or a note that something was skipped or could not be opened."""
    name: str  # sanitised display name (metadata only, never a path)
    origin: str  # where it came from, e.g. `收件箱/a.eml` or `收件箱/a.eml › b.zip`
    path: Path | None = None  # a loose file on disk
    data: bytes | None = None  # bytes taken from an email or zip
    sender: str = ""
    sent_at: datetime | None = None  # the email's Date (local time, naive)
    mtime: datetime | None = None  # the file's (or zip member's) modification time
    skipped: str = ""  # why it is not a return (Chinese); no archive, no problem
    no_date: bool = False  # came by email without a Date: ordered by file time instead
    error: str = ""  # a container that could not be opened (Chinese); archived and rejected
    error_code: str = ""  # the stable code of a whole-file error or skip (file-not-found, file-symlink,
    # file-wrong-format ...); "" for merge-container / merge-skipped
    given_at: datetime | None = None  # a received time the coordinator gave (--received-at)
    not_a_return: bool = False  # skipped as not a spreadsheet (a Word document sent instead...)

    @property
    def ext(self) -> str:
        return suffix(self.name)

    @property
    def received_at(self) -> datetime:
        """Latest-received-wins (and on time or late) uses a given time, else the email's Date,
        else the modification time."""
        return self.given_at or self.sent_at or self.mtime or datetime(1970, 1, 1)

    @property
    def time_source(self) -> str:
        """Where received_at came from, in the words the receipt uses."""
        return time_source(self.received_at, self.sent_at, self.mtime, self.given_at is not None)

    def read(self) -> bytes:
        if self.data is not None:
            return self.data
        assert self.path is not None, "an item holds bytes or a path"
        # O_NOFOLLOW: a file swapped for a link after the folder was walked is still not followed
        fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read()


def suffix(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sanitise(name: str | None, fallback: str = "附件") -> str:
    """Last path component, NFKC, no control characters: safe to show, never used as a path."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return text or fallback


def skip(item: Item, reason: str) -> Item:
    item.skipped = reason
    return item


def fail(item: Item, reason: str, code: str = "") -> Item:
    item.error, item.error_code = f"{item.name}：{reason}", code
    return item


def child_item(parent: Item, name: str, data: bytes, **kw) -> Item:
    kw.setdefault("sender", parent.sender)
    kw.setdefault("sent_at", parent.sent_at)
    kw.setdefault("mtime", parent.mtime)
    kw.setdefault("no_date", parent.no_date)
    return Item(name, f"{parent.origin} › {name}", data=data, **kw)


class Broken(ValueError):
    """A container that cannot be opened, with its error code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


# Opens one item found inside a container at the given depth (collect.expand with the caller's keep):
# passed down to the email readers, which cannot import collect (it imports them).
OpenChild = Callable[["Item", int], "list[Item]"]
