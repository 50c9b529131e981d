"""Inputs → received items: walk folders, open zips and saved emails, skip what is not a return.

Nothing here trusts a file name: attachment and zip member names are sanitised and kept
as metadata only (the archive names files by sha256), and identity comes later from the
workbook's embedded metadata. Containers are opened in memory with caps on depth, count
and size; nothing is ever extracted to a path taken from the input.
"""
from __future__ import annotations

import io
import os
import stat
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from toolkit.errors import FILE_DAMAGED, FILE_NOT_FOUND, FILE_TOO_LARGE, FILE_UNREADABLE, FILE_UNSAFE, os_reason
from toolkit.fileio.zipscan import MAX_FILE_BYTES, check_zip_limits
from toolkit.intake.emails import eml_items, mbox_items, msg_items
from toolkit.intake.items import (CONTAINERS, MAX_DEPTH, SPREADSHEETS, Broken, Item, OpenChild, child_item, fail, sanitise,
    skip, suffix)

MAX_LISTED_OTHERS = 20  # non-spreadsheet entries of one zip listed one by one; more are summarised
JUNK_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}


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
        return [fail(item, f"这是{OTHER_SHEETS[ext]}格式，不是填报表的格式，无法读取，已拒收。{SAVE_AS_XLSX}",
                      "file-wrong-format")]
    if ext not in CONTAINERS:
        item.not_a_return = True
        return [skip(item, "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过")]
    if depth >= MAX_DEPTH:
        return [fail(item, f"嵌套层数过多（超过{MAX_DEPTH}层），已拒收", FILE_UNSAFE)]
    try:
        data = item.read()
    except OSError as exc:
        return [fail(item, f"无法读取：{os_reason(exc)}", FILE_UNREADABLE)]
    if keep is not None:
        keep(item, data)
    opener = {"zip": _zip_items, "eml": eml_items, "mbox": mbox_items, "msg": msg_items}[ext]

    def open_child(child: Item, child_depth: int) -> list[Item]:
        return expand(child, child_depth, keep)

    try:
        found = opener(item, data, depth, open_child)
    except Exception as exc:  # any parser failure in one container must not stop the others
        detail = getattr(exc, "message", None) or (str(exc) if isinstance(exc, ValueError) and _chinese(str(exc))
                                                   else BROKEN.get(ext, "文件已损坏"))
        return [fail(item, f"无法打开（{detail}）", getattr(exc, "code", ""))]  # a zip bomb: file-zip-bomb
    if not found:
        return [skip(item, "里面没有表格附件，已跳过")]
    return found


BROKEN = {"zip": "压缩包已损坏或不是zip格式", "eml": "邮件文件已损坏", "mbox": "邮箱文件已损坏",
          "msg": "不是有效的Outlook邮件文件（.msg），可能已损坏或只保存了一部分；请让报送单位把填报表作为附件重新发送"}


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# -- zip --------------------------------------------------------------------------

def _zip_items(parent: Item, data: bytes, depth: int, open_child: OpenChild) -> list[Item]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Broken("压缩包已损坏", FILE_DAMAGED)
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
            child = child_item(parent, name, body, mtime=mtime)
            if suffix(name) not in SPREADSHEETS | CONTAINERS | set(OTHER_SHEETS) and not name.startswith("~$"):
                others.append(child)  # listed below, summarised when there are many
                continue
            if name.startswith("~$"):
                found.append(skip(child, "Excel/WPS临时锁文件，已跳过"))
            elif len(body) > MAX_FILE_BYTES:
                found.append(fail(child, "文件过大，已拒收", FILE_TOO_LARGE))
            else:
                found.extend(open_child(child, depth + 1))
        if len(others) > MAX_LISTED_OTHERS:  # 1,000 junk entries are one line, not 1,000 rows
            names = "、".join(o.name for o in others[:5])
            summary = Item(f"{parent.name}中的{len(others)}个其他文件", f"{parent.origin} › …",
                           sender=parent.sender, sent_at=parent.sent_at, mtime=parent.mtime)
            found.append(skip(summary, f"压缩包中有{len(others)}个不是表格的文件（如{names}等），均已跳过"))
        else:
            found.extend(skip(o, "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过") for o in others)
        return found


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except ValueError:
        return None
