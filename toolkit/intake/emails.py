"""Saved emails in the inputs: .eml, .mbox, Outlook .msg and winmail.dat (TNEF) opened into their
attachments, each then opened like any input file (the caller's `open_child`).

Attachment names are decoded (RFC 2231/2047, raw GBK) and sanitised; they are metadata only.
"""
from __future__ import annotations

import email
import re
import unicodedata
from datetime import datetime
from email import policy

from toolkit.errors import FILE_TOO_LARGE, FILE_UNSAFE
from toolkit.fileio.zipscan import MAX_FILE_BYTES
from toolkit.intake.mailnames import joined_words
from toolkit.intake.mboxsplit import mbox_messages
from toolkit.intake.items import MAX_DEPTH, Broken, Item, OpenChild, child_item, fail, sanitise, skip, suffix

# a forward of a forward of a forward… each attached as a message: ordinary office mail, and
# bounded by the mail's size cap, so it may go deeper than containers of other kinds
MAX_FORWARDS = 8
MAX_ATTACHMENTS = 50
MAX_EMAIL_BYTES = 100 * 1024 * 1024
SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsm",
    "application/vnd.ms-excel": "xls",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}


def eml_items(parent: Item, data: bytes, depth: int, open_child: OpenChild) -> list[Item]:
    if len(data) > MAX_EMAIL_BYTES:
        raise Broken("邮件过大", FILE_TOO_LARGE)
    return _message_items(parent, email.message_from_bytes(data, policy=policy.default), depth, open_child)


def mbox_items(parent: Item, data: bytes, depth: int, open_child: OpenChild) -> list[Item]:
    # mailbox needs a real file: loose .mbox files only (an mbox inside an email is unusual).
    if parent.path is None:
        raise ValueError("压缩包或邮件中的 .mbox 不支持，请单独保存后再合并")
    found: list[Item] = []
    for n, raw in enumerate(mbox_messages(data, parent.path), 1):
        msg = email.message_from_bytes(raw, policy=policy.default)
        holder = Item(f"{parent.name}#{n}", f"{parent.origin}#{n}", mtime=parent.mtime)
        items = _message_items(holder, msg, depth, open_child)
        if not items:  # listed all the same: a message someone sent is never silently passed over
            subject = _header(msg, "Subject")
            items = [skip(Item(f"{parent.name}#{n}", f"{parent.origin}#{n}", sender=_header(msg, "From"),
                                sent_at=_date(msg), mtime=parent.mtime),
                           f"这封邮件（{subject or '无主题'}）没有附件，已跳过")]
        found.extend(items)
    return found


def _message_items(parent: Item, msg, depth: int, open_child: OpenChild) -> list[Item]:
    sender = _header(msg, "From")
    sent_at = _date(msg)
    holder = Item(parent.name, parent.origin, sender=sender or parent.sender,
                  sent_at=sent_at or parent.sent_at, mtime=parent.mtime)
    holder.no_date = holder.sent_at is None
    found: list[Item] = []
    for part in _parts(msg):
        if part.get_content_type() != "message/rfc822" and not (
                _raw_name(part) or part.get_content_disposition() == "attachment"):
            if part.get_content_maintype() == "text" or part.get_content_maintype() == "multipart":
                continue  # the body text, not an attachment
            if part.get_content_type() not in SPREADSHEET_TYPES:  # an inline picture and the like
                found.append(skip(child_item(holder, sanitise("", f"内嵌内容（{part.get_content_type()}）"),
                                          b""), "邮件中内嵌的图片等内容，不是表格文件，已跳过"))
                continue
        if len(found) >= MAX_ATTACHMENTS:
            found.append(fail(Item(parent.name, parent.origin), f"附件超过{MAX_ATTACHMENTS}个，其余未处理"))
            break
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0) if isinstance(part.get_payload(), list) else None
            if inner is not None:
                sub = Item(sanitise(_raw_name(part), "转发邮件"), f"{parent.origin} › 转发邮件")
                sub.sender, sub.mtime = holder.sender, holder.mtime
                found.extend(_message_items(sub, inner, depth + 1, open_child) if depth + 1 < MAX_FORWARDS
                             else [fail(sub, f"转发嵌套层数过多（超过{MAX_FORWARDS}层），已拒收。请让报送单位"
                                              "直接把填报表作为附件发送", FILE_UNSAFE)])
            continue
        name = _filename(part)
        body = part.get_payload(decode=True) or b""
        if not suffix(name):  # a nameless attachment: trust a spreadsheet content type
            guessed = SPREADSHEET_TYPES.get(part.get_content_type())
            if guessed:
                name = f"{name}.{guessed}"
        child = child_item(holder, name, body)
        if name.lower() == "winmail.dat" or part.get_content_type() == "application/ms-tnef":
            found.extend(_tnef_items(child, body, depth, open_child))
        else:
            found.extend(_attachment(child, depth, open_child))
    return found


def _attachment(child: Item, depth: int, open_child: OpenChild) -> list[Item]:
    """An email attachment (or a file inside winmail.dat): too large, else opened like any file."""
    if len(child.data or b"") > MAX_FILE_BYTES:  # attachments always hold bytes
        return [fail(child, "附件过大，已拒收")]
    return open_child(child, depth + 1)


TNEF_ADVICE = "请让报送单位在Outlook中把邮件格式改为“HTML”或“纯文本”后，把填报表作为普通附件重新发送"


def _tnef_items(item: Item, data: bytes, depth: int, open_child: OpenChild) -> list[Item]:
    """The files inside an Outlook winmail.dat (TNEF), which Outlook sends in "rich text" mode
    to mail programs it does not know; each is then treated like an ordinary attachment."""
    try:
        from tnefparse import TNEF
        attachments = TNEF(data, do_checksum=False).attachments
    except Exception:  # not TNEF after all, or cut short
        return [fail(item, f"这是Outlook专用格式（winmail.dat），无法取出其中的附件。{TNEF_ADVICE}")]
    if not attachments:
        return [skip(item, "Outlook专用格式（winmail.dat）中没有附件，已跳过")]
    found: list[Item] = []
    for n, att in enumerate(attachments):
        if n >= MAX_ATTACHMENTS:
            found.append(fail(item, f"附件超过{MAX_ATTACHMENTS}个，其余未处理"))
            break
        found.extend(_attachment(child_item(item, sanitise(_tnef_name(att), "附件"), att.data or b""), depth, open_child))
    return found


def _tnef_name(att) -> str:
    """The attachment's long name (a MAPI property), else its short title, whatever the encoding:
    a Chinese Outlook writes the title in its code page, which tnefparse decodes as UTF-8."""
    try:
        name = att.long_filename()
    except Exception:  # the fallback title was not UTF-8
        name = getattr(att, "_name", b"")
    if isinstance(name, bytes):
        name = name.split(b"\0", 1)[0]
        for encoding in ("utf-8", "gb18030"):
            try:
                return name.decode(encoding)
            except UnicodeDecodeError:
                continue
        return name.decode("latin-1")
    return str(name or "").strip("\0")


def _parts(msg):
    """Leaf parts and forwarded messages, without descending into the latter (recursion does)."""
    if msg.get_content_maintype() == "multipart":
        for part in msg.iter_parts():
            yield from _parts(part)
    else:
        yield msg


def _raw_name(part) -> str:
    try:
        return part.get_filename() or ""
    except Exception:  # a malformed header: treat as nameless
        return ""


def _filename(part) -> str:
    """policy.default decodes RFC 2231 and RFC 2047 (even in quotes); raw 8-bit GBK is recovered."""
    name = _raw_name(part)
    if "\ufffd" in name or _has_surrogates(name):
        name = _raw_gbk_name(part) or name
    if "=?" in name:  # encoded words left undecoded: a character split between two of them
        name = joined_words(name) or name
    return sanitise(name.encode("utf-8", "replace").decode("utf-8"))


def _has_surrogates(text: str) -> bool:
    return any(0xDC80 <= ord(ch) <= 0xDCFF for ch in text)


def _raw_gbk_name(part) -> str:
    for key, value in part.raw_items():
        if key.lower() not in ("content-disposition", "content-type"):
            continue
        m = re.search(r'name\*?="?([^";\r\n]+)', value)
        if m:
            try:
                return m.group(1).encode("ascii", "surrogateescape").decode("gbk")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
    return ""


def _header(msg, key: str) -> str:
    try:
        return _clean(msg.get(key, ""))
    except Exception:
        return ""


def _clean(value) -> str:
    """Header-like text for display: no control characters (a .msg string may end in NUL)."""
    return "".join(ch for ch in str(value or "") if unicodedata.category(ch) != "Cc").strip()


def _date(msg) -> datetime | None:
    try:
        header = msg.get("Date")
        value = getattr(header, "datetime", None)
    except Exception:
        return None
    return _local(value)


def _local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone().replace(tzinfo=None)
    return value.replace(microsecond=0)


# -- Outlook .msg -----------------------------------------------------------------

def msg_items(parent: Item, data: bytes, depth: int, open_child: OpenChild) -> list[Item]:
    import extract_msg  # reads the OLE file; we never call its save(), which writes by name
    msg = extract_msg.openMsg(data)
    try:
        return _msg_object_items(parent, msg, depth, open_child)
    finally:
        close = getattr(msg, "close", None)
        if close:
            close()


def _msg_object_items(parent: Item, msg, depth: int, open_child: OpenChild) -> list[Item]:
    holder = Item(parent.name, parent.origin, sender=_clean(getattr(msg, "sender", "")) or parent.sender,
                  sent_at=_local(getattr(msg, "date", None)) or parent.sent_at, mtime=parent.mtime)
    found: list[Item] = []
    for att in list(getattr(msg, "attachments", []))[:MAX_ATTACHMENTS]:
        raw = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
        name = sanitise(raw)
        body = getattr(att, "data", None)
        if body is not None and not isinstance(body, bytes):  # an embedded .msg
            sub = Item(name, f"{parent.origin} › {name}", sender=holder.sender, mtime=holder.mtime)
            found.extend(_msg_object_items(sub, body, depth + 1, open_child) if depth + 1 < MAX_DEPTH
                         else [fail(sub, f"嵌套层数过多（超过{MAX_DEPTH}层），已拒收")])
            continue
        found.extend(_attachment(child_item(holder, name, body or b""), depth, open_child))
    return found
