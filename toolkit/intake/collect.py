"""Inputs → received items: walk folders, open zips and saved emails, skip what is not a return.

Nothing here trusts a file name: attachment and zip member names are sanitised and kept
as metadata only (the archive names files by sha256), and identity comes later from the
workbook's embedded metadata. Containers are opened in memory with caps on depth, count
and size; nothing is ever extracted to a path taken from the input.
"""
from __future__ import annotations

import email
import io
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email import policy
from pathlib import Path

from toolkit.errors import FILE_DAMAGED, FILE_NOT_FOUND, FILE_TOO_LARGE, FILE_UNREADABLE, FILE_UNSAFE, os_reason
from toolkit.fileio.zipscan import MAX_FILE_BYTES, check_zip_limits
from toolkit.intake.mailnames import joined_words
from toolkit.intake.mboxsplit import mbox_messages
from toolkit.returns import time_source

SPREADSHEETS = {"xlsx", "xlsm", "xls", "ods"}
CONTAINERS = {"zip", "eml", "mbox", "msg"}
MAX_DEPTH = 3  # email in email in zip ... deeper than this is not a normal return
# a forward of a forward of a forward… each attached as a message: ordinary office mail, and
# bounded by the mail's size cap, so it may go deeper than containers of other kinds
MAX_FORWARDS = 8
MAX_ATTACHMENTS = 50
MAX_EMAIL_BYTES = 100 * 1024 * 1024
MAX_LISTED_OTHERS = 20  # non-spreadsheet entries of one zip listed one by one; more are summarised
JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
SPREADSHEET_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.ms-excel.sheet.macroenabled.12": "xlsm",
    "application/vnd.ms-excel": "xls",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}


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


def collect(inputs: list[Path], *, exclude: Iterable[Path] = (), keep=None) -> list[Item]:
    """Every item in the inputs (files or folders, recursive), in a stable order.

    :param keep: called as keep(item, data) with each container (zip, email) before it is
        opened, so the caller can archive it unchanged.
    """
    excluded = [Path(p).resolve() for p in exclude]
    items: list[Item] = []
    for raw in inputs:
        path = Path(raw)
        if path.is_symlink() and not path.is_dir():
            items.append(_symlink(path))  # a named folder may be a link; a file never is followed
        elif not path.exists():
            items.append(Item(path.name or str(path), str(path), error=f"找不到文件或文件夹：{path}",
                              error_code=FILE_NOT_FOUND))
        elif path.is_dir():
            for child in _walk(path):
                if child.is_symlink():
                    items.append(_symlink(child))
                elif not _is_excluded(child, excluded):
                    items.extend(_from_file(child, keep))
        else:
            items.extend(_from_file(path, keep))
    return items


SYMLINK = "符号链接（快捷方式），为安全起见不跟随、不读取，已跳过；如确是填报表，请把文件本身复制到此文件夹"
SYMLINK_CODE = "file-symlink"  # whole-file rejection code, as the errors branch names them


def _symlink(path: Path) -> Item:
    """A link in the input is never followed: it could point at /proc/self/environ or /etc/shadow
    (or a folder of them), which would then be archived for good."""
    item = Item(sanitise(path.name, "链接"), str(path), skipped=SYMLINK)
    item.error_code = SYMLINK_CODE
    return item


def empty_folders(inputs: list[Path]) -> bool:
    """Every input is a folder with nothing in it (subfolders included): nothing to merge."""
    return bool(inputs) and all(p.is_dir() and not _walk(p) for p in inputs)


def _walk(folder: Path) -> list[Path]:
    """Regular files and symlinks (files or folders) under folder, sorted; links never entered."""
    found: list[Path] = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        base = Path(top)
        for d in dirs:
            if os.path.islink(os.path.join(top, d)):
                found.append(base / d)  # os.walk lists a linked folder but does not enter it
        for f in files:
            found.append(base / f)  # links, and anything not a regular file, are listed as skipped
    return sorted(found)


def _is_excluded(path: Path, excluded: list[Path]) -> bool:
    if not excluded:
        return False
    resolved = os.path.realpath(path)  # strings: half the cost of Path.resolve + parents
    return any(resolved == str(e) or resolved.startswith(os.path.join(str(e), "")) for e in excluded)


def _from_file(path: Path, keep=None) -> list[Item]:
    name = path.name
    if name.startswith(("~$", ".~lock")):
        return [Item(name, str(path), path=path, skipped="Excel/WPS临时锁文件，已跳过")]
    if name.lower() in JUNK_NAMES:  # written by Windows Explorer or the macOS Finder, never by a sender
        return [Item(name, str(path), path=path, skipped="Windows或苹果系统自动生成的文件（缩略图、文件夹设置），已跳过")]
    try:
        info = path.lstat()
    except OSError as exc:
        return [Item(name, str(path), error=f"无法读取文件 {path}：{os_reason(exc)}", error_code=FILE_UNREADABLE)]
    if not stat.S_ISREG(info.st_mode):  # a pipe would block the merge, /dev/zero never end
        special = Item(sanitise(name, "特殊文件"), str(path), skipped="不是普通文件（设备、管道等），不读取，已跳过")
        special.error_code = "file-special"
        return [special]
    mtime = datetime.fromtimestamp(info.st_mtime).replace(microsecond=0)
    item = Item(name, str(path), path=path, mtime=mtime)
    return expand(item, 0, keep)


# Spreadsheets in formats a return cannot come back in (no identity, or not readable here):
# rejected by name, so the sender is told to save as .xlsx instead of staying 未报送 unexplained.
OTHER_SHEETS = {"xml": "Excel 2003 XML表格", "fods": "OpenDocument单文件表格（.fods）", "csv": "CSV文本",
                "et": "WPS表格专用格式（.et）", "ett": "WPS表格模板（.ett）", "xlt": "Excel模板（.xlt）",
                "xltx": "Excel模板（.xltx）", "xlsb": "Excel二进制工作簿（.xlsb）", "numbers": "苹果Numbers表格"}
SAVE_AS_XLSX = "请在Excel或WPS中打开下发的填报表填写，用“文件→另存为”保存为“Excel工作簿(*.xlsx)”后重新发送。"


def expand(item: Item, depth: int = 0, keep=None) -> list[Item]:
    """A spreadsheet as is; a container opened into its items; anything else skipped."""
    ext = item.ext
    if ext in SPREADSHEETS:
        return [item]
    if ext in OTHER_SHEETS:
        return [_fail(item, f"这是{OTHER_SHEETS[ext]}格式，不是填报表的格式，无法读取，已拒收。{SAVE_AS_XLSX}",
                      "file-wrong-format")]
    if ext not in CONTAINERS:
        item.not_a_return = True
        return [_skip(item, "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过")]
    if depth >= MAX_DEPTH:
        return [_fail(item, f"嵌套层数过多（超过{MAX_DEPTH}层），已拒收", FILE_UNSAFE)]
    try:
        data = item.read()
    except OSError as exc:
        return [_fail(item, f"无法读取：{os_reason(exc)}", FILE_UNREADABLE)]
    if keep is not None:
        keep(item, data)
    opener = {"zip": _zip_items, "eml": _eml_items, "mbox": _mbox_items, "msg": _msg_items}[ext]
    try:
        found = opener(item, data, depth, keep)
    except Exception as exc:  # any parser failure in one container must not stop the others
        detail = getattr(exc, "message", None) or (str(exc) if isinstance(exc, ValueError) and _chinese(str(exc))
                                                   else BROKEN.get(ext, "文件已损坏"))
        return [_fail(item, f"无法打开（{detail}）", getattr(exc, "code", ""))]  # a zip bomb: file-zip-bomb
    if not found:
        return [_skip(item, "里面没有表格附件，已跳过")]
    return found


BROKEN = {"zip": "压缩包已损坏或不是zip格式", "eml": "邮件文件已损坏", "mbox": "邮箱文件已损坏",
          "msg": "不是有效的Outlook邮件文件（.msg），可能已损坏或只保存了一部分；请让报送单位把填报表作为附件重新发送"}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _skip(item: Item, reason: str) -> Item:
    item.skipped = reason
    return item


def _fail(item: Item, reason: str, code: str = "") -> Item:
    item.error, item.error_code = f"{item.name}：{reason}", code
    return item


def _child(parent: Item, name: str, data: bytes, **kw) -> Item:
    kw.setdefault("sender", parent.sender)
    kw.setdefault("sent_at", parent.sent_at)
    kw.setdefault("mtime", parent.mtime)
    kw.setdefault("no_date", parent.no_date)
    return Item(name, f"{parent.origin} › {name}", data=data, **kw)


# -- zip --------------------------------------------------------------------------

def _zip_items(parent: Item, data: bytes, depth: int, keep=None) -> list[Item]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _Broken("压缩包已损坏", FILE_DAMAGED)
    with zf:
        infos = zf.infolist()
        check_zip_limits(Path(parent.name), infos)  # zip-slip, bombs: reject the whole zip
        found: list[Item] = []
        others: list[Item] = []
        for info in infos:
            raw = info.filename
            if info.is_dir() or raw.startswith("__MACOSX/"):
                continue
            if not info.flag_bits & 0x800:  # no UTF-8 flag: Chinese Windows writes GBK
                try:
                    raw = raw.encode("cp437").decode("gbk")
                except (UnicodeEncodeError, UnicodeDecodeError):
                    pass
            name = sanitise(raw)
            with zf.open(info) as fh:
                body = fh.read(MAX_FILE_BYTES + 1)  # declared sizes may be forged
            mtime = (_zip_time(info) or parent.mtime) if parent.sent_at is None else parent.mtime
            child = _child(parent, name, body, mtime=mtime)
            if suffix(name) not in SPREADSHEETS | CONTAINERS | set(OTHER_SHEETS) and not name.startswith("~$"):
                others.append(child)  # listed below, summarised when there are many
                continue
            if name.startswith("~$"):
                found.append(_skip(child, "Excel/WPS临时锁文件，已跳过"))
            elif len(body) > MAX_FILE_BYTES:
                found.append(_fail(child, "文件过大，已拒收", FILE_TOO_LARGE))
            else:
                found.extend(expand(child, depth + 1, keep))
        if len(others) > MAX_LISTED_OTHERS:  # 1,000 junk entries are one line, not 1,000 rows
            names = "、".join(o.name for o in others[:5])
            summary = Item(f"{parent.name}中的{len(others)}个其他文件", f"{parent.origin} › …",
                           sender=parent.sender, sent_at=parent.sent_at, mtime=parent.mtime)
            found.append(_skip(summary, f"压缩包中有{len(others)}个不是表格的文件（如{names}等），均已跳过"))
        else:
            found.extend(_skip(o, "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过") for o in others)
        return found


class _Broken(ValueError):
    """A container that cannot be opened, with its error code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message, self.code = message, code


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except ValueError:
        return None


# -- emails -----------------------------------------------------------------------

def _eml_items(parent: Item, data: bytes, depth: int, keep=None) -> list[Item]:
    if len(data) > MAX_EMAIL_BYTES:
        raise _Broken("邮件过大", FILE_TOO_LARGE)
    return _message_items(parent, email.message_from_bytes(data, policy=policy.default), depth, keep)


def _mbox_items(parent: Item, data: bytes, depth: int, keep=None) -> list[Item]:
    # mailbox needs a real file: loose .mbox files only (an mbox inside an email is unusual).
    if parent.path is None:
        raise ValueError("压缩包或邮件中的 .mbox 不支持，请单独保存后再合并")
    found: list[Item] = []
    for n, raw in enumerate(mbox_messages(data, parent.path), 1):
        msg = email.message_from_bytes(raw, policy=policy.default)
        holder = Item(f"{parent.name}#{n}", f"{parent.origin}#{n}", mtime=parent.mtime)
        items = _message_items(holder, msg, depth, keep)
        if not items:  # listed all the same: a message someone sent is never silently passed over
            subject = _header(msg, "Subject")
            items = [_skip(Item(f"{parent.name}#{n}", f"{parent.origin}#{n}", sender=_header(msg, "From"),
                                sent_at=_date(msg), mtime=parent.mtime),
                           f"这封邮件（{subject or '无主题'}）没有附件，已跳过")]
        found.extend(items)
    return found


def _message_items(parent: Item, msg, depth: int, keep=None) -> list[Item]:
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
                found.append(_skip(_child(holder, sanitise("", f"内嵌内容（{part.get_content_type()}）"),
                                          b""), "邮件中内嵌的图片等内容，不是表格文件，已跳过"))
                continue
        if len(found) >= MAX_ATTACHMENTS:
            found.append(_fail(Item(parent.name, parent.origin), f"附件超过{MAX_ATTACHMENTS}个，其余未处理"))
            break
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload(0) if isinstance(part.get_payload(), list) else None
            if inner is not None:
                sub = Item(sanitise(_raw_name(part), "转发邮件"), f"{parent.origin} › 转发邮件")
                sub.sender, sub.mtime = holder.sender, holder.mtime
                found.extend(_message_items(sub, inner, depth + 1, keep) if depth + 1 < MAX_FORWARDS
                             else [_fail(sub, f"转发嵌套层数过多（超过{MAX_FORWARDS}层），已拒收。请让报送单位"
                                              "直接把填报表作为附件发送", FILE_UNSAFE)])
            continue
        name = _filename(part)
        body = part.get_payload(decode=True) or b""
        if not suffix(name):  # a nameless attachment: trust a spreadsheet content type
            guessed = SPREADSHEET_TYPES.get(part.get_content_type())
            if guessed:
                name = f"{name}.{guessed}"
        child = _child(holder, name, body)
        if name.lower() == "winmail.dat" or part.get_content_type() == "application/ms-tnef":
            found.extend(_tnef_items(child, body, depth, keep))
        else:
            found.extend(_attachment(child, depth, keep))
    return found


def _attachment(child: Item, depth: int, keep=None) -> list[Item]:
    """An email attachment (or a file inside winmail.dat): too large, else opened like any file."""
    if len(child.data or b"") > MAX_FILE_BYTES:  # attachments always hold bytes
        return [_fail(child, "附件过大，已拒收")]
    return expand(child, depth + 1, keep)


TNEF_ADVICE = "请让报送单位在Outlook中把邮件格式改为“HTML”或“纯文本”后，把填报表作为普通附件重新发送"


def _tnef_items(item: Item, data: bytes, depth: int, keep=None) -> list[Item]:
    """The files inside an Outlook winmail.dat (TNEF), which Outlook sends in "rich text" mode
    to mail programs it does not know; each is then treated like an ordinary attachment."""
    try:
        from tnefparse import TNEF
        attachments = TNEF(data, do_checksum=False).attachments
    except Exception:  # not TNEF after all, or cut short
        return [_fail(item, f"这是Outlook专用格式（winmail.dat），无法取出其中的附件。{TNEF_ADVICE}")]
    if not attachments:
        return [_skip(item, "Outlook专用格式（winmail.dat）中没有附件，已跳过")]
    found: list[Item] = []
    for n, att in enumerate(attachments):
        if n >= MAX_ATTACHMENTS:
            found.append(_fail(item, f"附件超过{MAX_ATTACHMENTS}个，其余未处理"))
            break
        found.extend(_attachment(_child(item, sanitise(_tnef_name(att), "附件"), att.data or b""), depth, keep))
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

def _msg_items(parent: Item, data: bytes, depth: int, keep=None) -> list[Item]:
    import extract_msg  # reads the OLE file; we never call its save(), which writes by name
    msg = extract_msg.openMsg(data)
    try:
        return _msg_object_items(parent, msg, depth, keep)
    finally:
        close = getattr(msg, "close", None)
        if close:
            close()


def _msg_object_items(parent: Item, msg, depth: int, keep=None) -> list[Item]:
    holder = Item(parent.name, parent.origin, sender=_clean(getattr(msg, "sender", "")) or parent.sender,
                  sent_at=_local(getattr(msg, "date", None)) or parent.sent_at, mtime=parent.mtime)
    found: list[Item] = []
    for att in list(getattr(msg, "attachments", []))[:MAX_ATTACHMENTS]:
        raw = getattr(att, "longFilename", None) or getattr(att, "shortFilename", None) or ""
        name = sanitise(raw)
        body = getattr(att, "data", None)
        if body is not None and not isinstance(body, bytes):  # an embedded .msg
            sub = Item(name, f"{parent.origin} › {name}", sender=holder.sender, mtime=holder.mtime)
            found.extend(_msg_object_items(sub, body, depth + 1, keep) if depth + 1 < MAX_DEPTH
                         else [_fail(sub, f"嵌套层数过多（超过{MAX_DEPTH}层），已拒收")])
            continue
        found.extend(_attachment(_child(holder, name, body or b""), depth, keep))
    return found
