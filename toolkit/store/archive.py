"""The archive: every received file kept unchanged under its sha256, with two append-only logs.

  archive/<sha256>.<ext>   the bytes as received; written once, never overwritten or deleted
  archive/received.jsonl   the archive index: each file's first reception (name, sender, Date,
                           mtime, quarter), one line per archived file
  archive/journal.jsonl    submissions and coordinator choices in order: with the archived
                           files it is enough to rebuild the database

Files can be archived in a background thread (`put_ahead`) while others are read. The thread
takes whatever has queued up as one batch (and what was put inside one `batch()` block always
goes together): each file to a synced temp file, then all their index and journal lines with
one sync per log, then the renames and one sync of the folder. So a merge pays three syncs per
batch, not per file, and a crash leaves either no archive copy (a rerun writes it again) or a
complete, indexed one. A future is done only once its file and lines are on disk.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import tempfile
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

from toolkit.errors import ARCHIVE_HASH_MISMATCH, ARCHIVE_MISSING, ARCHIVE_UNREADABLE

JOURNAL, INDEX = "journal.jsonl", "received.jsonl"
BATCH = 32  # files per background batch at most
_sync = getattr(os, "fdatasync", os.fsync)  # data and size, as SQLite does on Linux


@dataclass
class Archived:
    sha256: str
    path: Path
    size: int


@dataclass
class _Job:
    sha256: str
    data: bytes
    ext: str
    provenance: dict
    event: dict | None  # a journal line to write with it
    future: Future


def iso(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ", timespec="seconds") if value else None


def read_jsonl(path: Path) -> list[dict]:
    """The objects of a JSON-lines file; a line cut short by a crash is ignored."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):
            out.append(json.loads(line))
    return out


class Batching:
    """`batch()` for an archive's put_ahead (the folder's and the database's): what is put inside
    the block is handed over together when it ends (`_hand_over`), an inner block joining the outer.

    Handed one by one, a merge's files went mostly one per batch: four syncs per file (file,
    index, journal, folder) and as many thread wake-ups. Nothing put inside is written before
    the block ends, so never wait for those futures inside it.
    """
    _held: list | None = None

    def _hand_over(self, held: list) -> None:
        raise NotImplementedError

    @contextlib.contextmanager
    def batch(self):
        outer, self._held = self._held, []
        try:
            yield
        finally:
            held, self._held = self._held, outer
            if held:
                if outer is not None:
                    outer.extend(held)
                else:
                    self._hand_over(held)


class Archive(Batching):
    """One store's archive folder. `journal=False` (a rebuild) writes no journal lines."""

    def __init__(self, folder: Path, *, journal: bool = True):
        self.dir = Path(folder)
        self.dir.mkdir(parents=True, exist_ok=True)
        for stale in self.dir.glob(".tmp-*"):  # left by a crash mid-write; never an archived file
            with contextlib.suppress(OSError):
                stale.unlink()
        self.write_journal = journal
        self._lock = threading.Lock()  # the logs are appended by the thread and by the caller
        self._logs: dict[str, TextIO] = {}  # kept open: one append + sync per batch
        self._queue: queue.Queue = queue.Queue()  # a fresh one each time the thread starts
        self._thread: threading.Thread | None = None
        self._futures: list[Future] = []
        self._held: list[_Job] | None = None  # put_ahead inside batch(): handed over on exit

    def path(self, sha256: str, ext: str) -> Path:
        return self.dir / f"{sha256}.{ext or 'bin'}"

    # -- writing ------------------------------------------------------------------

    def put(self, sha256: str, data: bytes, ext: str, provenance: dict) -> Archived:
        """Archive now, in this thread."""
        job = _Job(sha256, data, ext, provenance, None, Future())
        self._write([job])
        return job.future.result()

    def put_ahead(self, sha256: str, data: bytes, ext: str, provenance: dict,
                  event: dict | None = None) -> Future:
        """Archive in the background thread (with `event` as a journal line); wait() or the
        returned future says when it is on disk."""
        if self._thread is None:
            self._queue = queue.Queue()
            self._thread = threading.Thread(target=self._run, name="plankit-archive", daemon=True)
            self._thread.start()
        job = _Job(sha256, data, ext, provenance, event, Future())
        self._futures = [f for f in self._futures if not f.done() or f.exception() is not None]
        self._futures.append(job.future)
        if self._held is not None:
            self._held.append(job)
        else:
            self._queue.put([job])
        return job.future

    def _hand_over(self, held: list[_Job]) -> None:
        self._queue.put(held)

    def journal(self, event: dict) -> None:
        """Append one journal line now and sync it."""
        if self.write_journal:
            with self._lock:
                self._append(JOURNAL, [_line(event)])

    def journal_many(self, events: list[dict]) -> None:
        """Append journal lines with one sync (a store being copied)."""
        if self.write_journal:
            with self._lock:
                self._append(JOURNAL, [_line(e) for e in events])

    def wait(self) -> None:
        """Until everything handed to put_ahead is on disk; raise the first failure."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        futures, self._futures = self._futures, []
        for future in futures:
            if not future.done():  # the thread ended without reaching it (it cannot, but never hang)
                future.set_exception(OSError("归档线程意外停止，文件未能存档"))
            future.result()

    def close(self) -> None:
        try:
            self.wait()
        finally:
            for fh in self._logs.values():
                fh.close()
            self._logs.clear()

    def _run(self) -> None:
        while True:
            batch, stop = self._queue.get(), False
            if batch is None:
                return
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch = batch + more
            self._write(batch)
            if stop:
                return

    def _write(self, jobs: list[_Job]) -> None:
        """Bytes to synced temp files, then the index and journal lines, then the renames."""
        fresh: dict[Path, tuple[_Job, str]] = {}
        try:
            for job in jobs:
                target = self.path(job.sha256, job.ext)
                if target not in fresh and not target.exists():
                    fresh[target] = (job, self._temp(job.data))
            with self._lock:
                self._append(INDEX, [_line({"sha256": j.sha256, "ext": j.ext, **j.provenance})
                                     for j, _ in fresh.values()])
                if self.write_journal:
                    self._append(JOURNAL, [_line(j.event) for j in jobs if j.event is not None])
            for target, (_, tmp) in fresh.items():
                if not target.exists():
                    os.replace(tmp, target)
            if fresh:
                _sync_dir(self.dir)  # the new names too, before anything is recorded against them
        except BaseException as exc:
            for job in jobs:
                job.future.set_exception(exc)
            if not isinstance(exc, Exception):
                raise
        else:
            for job in jobs:
                job.future.set_result(Archived(job.sha256, self.path(job.sha256, job.ext), len(job.data)))
        finally:
            for _, tmp in fresh.values():
                if os.path.exists(tmp):
                    os.unlink(tmp)

    def _temp(self, data: bytes) -> str:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                _sync(fh.fileno())
        except BaseException:
            os.unlink(tmp)
            raise
        return tmp

    def _append(self, name: str, lines: list[str]) -> None:
        if not lines:
            return
        fh = self._logs.get(name)
        if fh is None:
            fh = self._logs[name] = open(self.dir / name, "a", encoding="utf-8")
        fh.write("".join(line + "\n" for line in lines))
        fh.flush()
        _sync(fh.fileno())

    # -- reading ------------------------------------------------------------------

    def events(self) -> list[dict]:
        """Journal events in order."""
        return read_jsonl(self.dir / JOURNAL)

    def copies(self, sha256: str) -> list[tuple[str, bytes]]:
        """(ext, bytes) of every archived copy of a file (normally one)."""
        return [(p.suffix[1:], p.read_bytes()) for p in sorted(self.dir.glob(f"{sha256}.*"))
                if ARCHIVED_NAME.match(p.name) and p.suffix != ".json"]

    def names(self) -> list[tuple[str, str]]:
        """(sha256, ext) of every archived file, in name order (as DbArchive.names)."""
        return [(m.group(1), m.group(2)) for p in sorted(self.dir.iterdir())
                for m in [ARCHIVED_NAME.match(p.name)] if m and m.group(2) != "json"]

    def received(self) -> list[dict]:
        """The archive index in archiving order (after the per-file sidecars of older stores)."""
        out = []
        for side in sorted(self.dir.glob("*.json")):  # stores written before the index
            with contextlib.suppress(OSError, ValueError):
                out.append(json.loads(side.read_text(encoding="utf-8")))
        return out + read_jsonl(self.dir / INDEX)


@dataclass
class Damage:
    """An archived file that is not what was received: `kind` is `archive-hash-mismatch`
    (content differs from its sha256 name, e.g. edited or cut short) or `archive-missing`
    (a log names it, the folder does not hold it)."""
    name: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.name}：{self.detail}"


ARCHIVED_NAME = re.compile(r"^([0-9a-f]{64})\.([a-z0-9]+)$")


def verify(folder: Path) -> tuple[int, list[Damage]]:
    """Check every archived file against its sha256 name, and that every file the journal or
    the index lists is there. Read-only. Returns (files checked, damage)."""
    import hashlib
    folder = Path(folder)
    listed = [e for e in read_jsonl(folder / JOURNAL) if e.get("event") == "received"]
    listed += read_jsonl(folder / INDEX)
    damage: list[Damage] = []
    present: set[str] = set()
    checked = 0
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        m = ARCHIVED_NAME.match(path.name)
        if not m or m.group(2) == "json" or not path.is_file():  # <sha256>.json: an older store's sidecar
            continue
        checked += 1
        present.add(path.name)
        digest = hashlib.sha256()
        try:
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    digest.update(block)
        except OSError as exc:
            damage.append(Damage(path.name, ARCHIVE_UNREADABLE, f"无法读取（{exc.strerror or exc}）"))
            continue
        if digest.hexdigest() != m.group(1):
            size = path.stat().st_size
            damage.append(Damage(path.name, ARCHIVE_HASH_MISMATCH,
                                 f"内容与编号不符（文件在存档后被改动或截断，现为 {size} 字节），不能再作为原件使用"))
    damage.extend(missing_listed(listed, present))
    return checked, damage


def missing_listed(listed: list[dict], present) -> list[Damage]:
    """Each file the index or journal lists (`listed`) that is not among `present` (names
    `<sha256>.<ext>`), once: a file gone from the archive."""
    damage, seen = [], set()
    for ev in listed:
        sha, ext = str(ev.get("sha256") or ""), ev.get("ext") or "bin"
        name = f"{sha}.{ext}"
        if not sha or name in present or name in seen:
            continue
        seen.add(name)
        label = ev.get("filename") or ""
        damage.append(Damage(name, ARCHIVE_MISSING,
                             f"日志中记录的文件{f'（原名 {label}）' if label else ''}在归档中已不存在"))
    return damage


def _sync_dir(folder: Path) -> None:
    """Make renames in `folder` durable (POSIX; Windows has no directory handle to sync)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _line(obj: dict) -> str:
    return json.dumps(obj, ensure_ascii=False, default=iso)
