"""Attachment names whose RFC 2047 encoded words split a character between them.

RFC 2047 wants each encoded word to decode alone, but some clients (older Foxmail, some web
mail) cut a long GBK name every n bytes, in the middle of a two-byte character:
`=?GBK?B?ytDLrsA=?= =?GBK?B?+77Wtv68…?=`. Python decodes word by word, fails, and leaves the
raw text as the name. Here the bytes of adjacent words of one charset are joined first.
"""
from __future__ import annotations

import base64
import binascii
import re
from email import quoprimime

WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
# the Chinese charsets are decoded by their superset: a GBK or GB2312 name may hold GB18030 text
SUPERSET = {"gbk": "gb18030", "gb2312": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}


def _bytes(kind: str, data: str) -> bytes:
    if kind.lower() == "b":
        return base64.b64decode(data + "=" * (-len(data) % 4))
    return quoprimime.header_decode(data).encode("latin-1")


def joined_words(text: str) -> str:
    """`text` with runs of encoded words of one charset decoded together; "" when it cannot."""
    out, pos, run_cs, run = [], 0, "", b""

    def flush() -> None:
        nonlocal run, run_cs
        if run_cs:
            cs = run_cs.split("*")[0].lower()
            out.append(run.decode(SUPERSET.get(cs, cs)))
        run, run_cs = b"", ""
    try:
        for m in WORD.finditer(text):
            between = text[pos:m.start()]
            if between.strip() or m.group(1).lower() != run_cs.lower():
                flush()
                out.append(between if between.strip() else ("" if not out else between))
            run_cs = m.group(1)
            run += _bytes(m.group(2), m.group(3))
            pos = m.end()
        flush()
        out.append(text[pos:])
        return "".join(out).strip()
    except (LookupError, UnicodeDecodeError, binascii.Error, ValueError):
        return ""
