"""The messages of an .mbox export, split where a message really begins.

Python's `mailbox.mbox` starts a new message at every line beginning with "From ". Clients
that write mboxo without escaping (some Foxmail and Thunderbird exports, hand-joined files)
leave body lines such as "From our bureau, see the attachment" as they are, and the message is
cut there: its attachment lands in a headerless second half and was listed as 没有附件. A
message here begins only at a real separator line, "From <sender> <asctime date>", at the start
of the file or after an empty line, as mutt and qmail's mbox readers check it.
"""
from __future__ import annotations

import mailbox
import re
from pathlib import Path

# From slj@example.gov.cn Fri Jul  5 10:00:00 2019 | From - Sat Jul 06 09:00:00 2019 (Thunderbird)
# | From x@y Fri Jul  5 10:00:00 2019 +0800 | From x@y Fri Jul  5 10:00 CST 2019
SEPARATOR = re.compile(rb"From \S+ +[A-Z][a-z]{2} +[A-Z][a-z]{2} +\d{1,2} +\d{1,2}:\d{2}(?::\d{2})?"
                       rb"(?: +[A-Z]{2,5})? +\d{4}(?: +[+-]\d{4})?[ \t]*\r?\n?\Z")


def mbox_messages(data: bytes, path: Path) -> list[bytes]:
    """Each message's bytes (without its separator line), in file order."""
    lines = data.splitlines(keepends=True)
    if not lines or not SEPARATOR.match(lines[0]):  # not the usual shape: the library's reading
        box = mailbox.mbox(str(path), create=False)
        try:
            return [box.get_bytes(key) for key in box.keys()]
        finally:
            box.close()
    messages: list[list[bytes]] = []
    blank_before = True
    for line in lines:
        if blank_before and line.startswith(b"From ") and SEPARATOR.match(line):
            messages.append([])
        else:
            messages[-1].append(line)
        blank_before = not line.strip()
    out = []
    for msg in messages:
        while msg and not msg[-1].strip():  # the empty line before the next separator is not content
            msg.pop()
        out.append(b"".join(msg))
    return out
