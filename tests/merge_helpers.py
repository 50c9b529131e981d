"""Fixtures for the merge tests, built by code.

`fake_return(...)` makes a stand-in return: JSON bytes saved under a spreadsheet name;
`use_fake_reader(monkeypatch)` replaces the single-file reader with one that parses them.
That isolates intake/store/merge from the workbook reader (tested on its own). Emails are
built with the `email` package, including hostile attachment names.
"""
from __future__ import annotations

import hashlib
import json
import struct
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from types import SimpleNamespace

from toolkit import problems as P
from toolkit.errors import InputFileError
from toolkit.returns import IndicatorEntry, TaskEntry

Q2 = "2019Q2"
ON_TIME = datetime(2019, 7, 5, 9, 30)
LATE = datetime(2019, 7, 20, 16, 0)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def fake_return(department: str, quarter: str = Q2, *, percent: float = 50, progress: str = "按计划推进",
                value: float | None = 100.0, errors: list[str] = (), warnings: list[str] = (),
                noise: str = "", fail: str = "", crash: str = "") -> bytes:
    """Bytes of a stand-in return. `noise` changes the bytes but not the values (like a re-save)."""
    return json.dumps({"department": department, "quarter": quarter, "percent": percent,
                       "progress": progress, "value": value, "errors": list(errors),
                       "warnings": list(warnings), "noise": noise, "fail": fail, "crash": crash},
                      ensure_ascii=False).encode("utf-8")


def write(path: Path, data: bytes, mtime: datetime | None = None) -> Path:
    import os
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if mtime:
        os.utime(path, (mtime.timestamp(), mtime.timestamp()))
    return path


class PanicException(BaseException):
    """What pyo3 raises when Rust code (python-calamine) panics: not an Exception."""


def fake_read(path, plan, quarter=None, *, display_name=None, previous=None, data=None):
    """Parse a fake_return file the way returnfile.read_return would parse a workbook."""
    name = display_name or Path(path).name
    try:
        d = json.loads(data if data is not None else Path(path).read_bytes())
    except ValueError:
        raise InputFileError(f"{name}：这不是Excel文件。")
    if d["fail"]:
        raise InputFileError(f"{name}：{d['fail']}")
    if d["crash"].startswith("panic"):
        raise PanicException(d["crash"])
    if d["crash"]:
        raise RuntimeError(d["crash"])
    dept = d["department"]
    tasks = [TaskEntry(t.no, dept, role, "序时推进", d["percent"], d["progress"], "", "继续", f"进展填报!G{5 + k}")
             for k, (t, role) in enumerate(plan.tasks_for(dept))]
    indicators = [IndicatorEntry(i.task_no, i.name, dept, d["value"], "", f"指标填报!F{5 + k}")
                  for k, i in enumerate(plan.indicators_for(dept))]
    problems = [P.Problem("read-bad-value", P.ERROR, m, name, "进展填报", "G5", "x") for m in d["errors"]]
    problems += [P.Problem("read-note", P.WARNING, m, name, "进展填报", "H5", "") for m in d["warnings"]]
    values = {k: d[k] for k in ("department", "quarter", "percent", "progress", "value")}
    return SimpleNamespace(
        path=Path(path), kind="xlsx", identity={"department": dept, "quarter": d["quarter"]},
        identified_by="properties", department=dept, quarter=d["quarter"], tasks=tasks,
        indicators=indicators, contact={"填报人": "张三"}, problems=problems,
        content_hash=hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest())


def use_fake_reader(monkeypatch):
    import toolkit.intake.readers
    monkeypatch.setattr(toolkit.intake.readers, "_read", fake_read)


def make_email(attachments: list[tuple[str, bytes]], *, sender: str = "市教育局 <jyj@example.cn>",
               date: datetime = ON_TIME, subject: str = "二季度民生实事进展") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "hz@example.cn"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone())
    msg.set_content("附件是我单位填报表，请查收。")
    for name, data in attachments:
        msg.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name)
    return msg


def raw_email(attachment_header: str, data: bytes, *, date: datetime = ON_TIME,
              sender: str = "jyj@example.cn") -> bytes:
    """An email whose attachment header is written by hand (QQ Mail style, raw GBK, ...)."""
    import base64
    body = base64.encodebytes(data)
    return (b"From: " + sender.encode() + b"\r\nTo: hz@example.cn\r\nSubject: test\r\n"
            b"Date: " + format_datetime(date.astimezone()).encode() + b"\r\n"
            b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n"
            b"--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n"
            b"--XX\r\nContent-Type: application/octet-stream\r\n" + attachment_header +
            b"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + body + b"--XX--\r\n")


def make_msg(attachments: list[tuple[str, bytes]], *, sender: str = "市教育局 <jyj@example.cn>",
             date: datetime = ON_TIME, subject: str = "二季度民生实事进展") -> bytes:
    """A minimal Outlook .msg (MS-OXMSG: OLE storages, property streams), written with extract-msg's OleWriter."""
    import io
    import struct
    from datetime import timezone

    from extract_msg import OleWriter

    def u16(text: str) -> bytes:
        return text.encode("utf-16-le") + b"\0\0"

    def props(entries, top: bool) -> bytes:
        head = b"\0" * 8 + (struct.pack("<IIII", 0, 0, 1, 1) + b"\0" * 8 if top else b"")
        return head + b"".join(struct.pack("<II", tag, 6) + value for tag, value in entries)

    def sized(blob: bytes) -> bytes:
        return struct.pack("<II", len(blob), 0)

    filetime = int((date.astimezone(timezone.utc) - datetime(1601, 1, 1, tzinfo=timezone.utc)).total_seconds()
                   * 10**7)
    w = OleWriter()
    subj, frm = u16(subject), u16(sender)
    w.addEntry("__properties_version1.0", props([(0x0037001F, sized(subj)), (0x0C1A001F, sized(frm)),
                                                 (0x00390040, struct.pack("<Q", filetime))], top=True))
    w.addEntry("__substg1.0_0037001F", subj)
    w.addEntry("__substg1.0_0C1A001F", frm)
    w.addEntry("__substg1.0_001A001F", u16("IPM.Note"))
    w.addEntry("__nameid_version1.0", storage=True)
    for n in ("0002", "0003", "0004"):
        w.addEntry(f"__nameid_version1.0/__substg1.0_{n}0102", b"")
    for k, (name, data) in enumerate(attachments):
        a = f"__attach_version1.0_#{k:08X}"
        long_name = u16(name)
        w.addEntry(a, storage=True)
        w.addEntry(f"{a}/__properties_version1.0", props(
            [(0x37050003, struct.pack("<II", 1, 0)), (0x37010102, sized(data)), (0x3707001F, sized(long_name))],
            top=False))
        w.addEntry(f"{a}/__substg1.0_37010102", data)
        w.addEntry(f"{a}/__substg1.0_3707001F", long_name)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def make_tnef(attachments: list[tuple[str, bytes]], *, long_names: bool = True, codepage: int = 936) -> bytes:
    """An Outlook winmail.dat (TNEF, MS-OXTNEF) as a Chinese Outlook writes it: message attributes,
    then per attachment its rendering, 8.3 title in the code page, data and (optionally) the
    long file name as a Unicode MAPI property."""
    def attr(level: int, attr_id: int, data: bytes) -> bytes:
        return struct.pack("<BII", level, attr_id, len(data)) + data + struct.pack("<H", sum(data) & 0xFFFF)
    out = struct.pack("<IH", 0x223E9F78, 0x0001)
    out += attr(1, 0x00089006, struct.pack("<I", 0x00010000))  # attTnefVersion
    out += attr(1, 0x00069007, struct.pack("<II", codepage, 0))  # attOemCodepage
    for name, data in attachments:
        stem, _, ext = name.rpartition(".")
        title = f"{stem[:3]}~1.{ext[:3].upper()}".encode("gbk") + b"\0"
        out += attr(2, 0x00069002, b"\x01\x00" + b"\xff" * 4 + b"\x00" * 8)  # attAttachRendData
        out += attr(2, 0x00018010, title)  # attAttachTitle
        out += attr(2, 0x0006800F, data)  # attAttachData
        if long_names:
            utf16 = name.encode("utf-16-le") + b"\0\0"
            props = struct.pack("<IHHII", 1, 0x001F, 0x3707, 1, len(utf16)) + utf16 + b"\0" * (-len(utf16) % 4)
            out += attr(2, 0x00069005, props)  # attAttachment: PR_ATTACH_LONG_FILENAME
    return out


def running(pid: int) -> bool:
    """Whether a process (a reader left behind by a killed merge) still runs: not gone, not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
