"""Safe file handling at the boundary: sniff and pre-flight workbooks, write atomically.

Every workbook that comes from outside passes `preflight` before a parser sees it:
the first bytes tell its real type, zip entries are checked against size limits
(zip bombs, forged sizes, path traversal) and XML parts must not declare a DTD
(entity bombs, external entities). Outputs are written to a temp file and renamed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from .errors import InputFileError, OutputLockedError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024

XLSX, XLSM, XLS, ODS, ENCRYPTED = "xlsx", "xlsm", "xls", "ods", "encrypted"


def sniff(path: Path) -> str:
    """Return the real kind of a spreadsheet file, or raise InputFileError saying what it is."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{path}")
    except OSError as exc:
        raise InputFileError(f"无法读取文件 {path}：{exc.strerror or exc}")
    if size == 0:
        raise InputFileError(f"{path.name}：文件是空的（0字节），请让报送单位重新发送。")
    if size > MAX_FILE_BYTES:
        raise InputFileError(f"{path.name}：文件过大（{size // 1024 // 1024}MB），不像填报表，请核实。")
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        raise InputFileError(f"{path.name}：这是网页或XML文件，只是扩展名像表格。请在Excel中另存为“Excel工作簿(*.xlsx)”。")
    raise InputFileError(f"{path.name}：这不是Excel文件（可能是改了扩展名的文本或CSV）。请在Excel中另存为“Excel工作簿(*.xlsx)”。")


def _sniff_ole(path: Path) -> str:
    import msoffcrypto
    try:
        with path.open("rb") as fh:
            office = msoffcrypto.OfficeFile(fh)
            encrypted = office.is_encrypted()
    except Exception:
        return XLS  # legacy xls that msoffcrypto cannot classify; the reader decides
    return ENCRYPTED if encrypted else XLS


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            check_zip_limits(path, infos)
            if "[Content_Types].xml" in names:
                if "word/document.xml" in names:
                    raise InputFileError(f"{path.name}：这是Word文档，不是Excel表格。")
                if "xl/workbook.xml" not in names:
                    raise InputFileError(f"{path.name}：压缩包里没有Excel工作簿，文件可能已损坏。")
                ctypes = zf.read("[Content_Types].xml")
                reject_dtd(path, "[Content_Types].xml", ctypes)
                if b"purl.oclc.org/ooxml" in zf.read("xl/workbook.xml")[:2000]:
                    raise InputFileError(
                        f"{path.name}：文件是“Strict Open XML”格式。请在Excel中另存为“Excel工作簿(*.xlsx)”后再发送。")
                return XLSM if b"macroEnabled" in ctypes else XLSX
            if "mimetype" in names and zf.read("mimetype").startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                return ODS
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：文件不完整或已损坏（可能下载或复制中断），请让报送单位重新发送。")
    raise InputFileError(f"{path.name}：这是一个压缩文件，但不是Excel工作簿。")


def check_zip_limits(path: Path, infos: list[zipfile.ZipInfo]) -> None:
    """Reject zip bombs and path traversal from the declared sizes, before inflating."""
    if len(infos) > MAX_ENTRIES:
        raise InputFileError(f"{path.name}：压缩包内文件数异常（{len(infos)}个），已拒收。")
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/"):
            raise InputFileError(f"{path.name}：压缩包内含有可疑路径“{info.filename}”，已拒收。")
        if info.file_size > MAX_ENTRY_BYTES:
            raise InputFileError(f"{path.name}：解压后内容异常巨大（{info.filename}），疑似压缩炸弹，已拒收。")
        total += info.file_size
    if total > MAX_TOTAL_BYTES:
        raise InputFileError(f"{path.name}：解压后总大小异常（{total // 1024 // 1024}MB），疑似压缩炸弹，已拒收。")


def reject_dtd(path: Path, part: str, data: bytes) -> None:
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data[:4096].upper():
        raise InputFileError(f"{path.name}：文件内部含有不允许的DTD/实体声明（{part}），可能是恶意文件，已拒收。")


def scan_xml_parts(path: Path) -> None:
    """Reject any XML part that declares a DTD (billion laughs, XXE)."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    with zf.open(info) as fh:
                        reject_dtd(path, info.filename, fh.read(4096))
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：文件不完整或已损坏，请让报送单位重新发送。")
    except (zipfile.LargeZipFile, RuntimeError, ValueError) as exc:
        raise InputFileError(f"{path.name}：压缩结构损坏（{exc}），已拒收。")


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temp path beside `target`; on success move it into place.

    If the target is locked (open in Excel on Windows), raise OutputLockedError
    naming a timestamped sibling that was written instead, so nothing is lost.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".~plankit-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(tmp_path, target)
        except PermissionError:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            sibling = target.with_name(f"{target.stem}_{stamp}{target.suffix}")
            os.replace(tmp_path, sibling)
            raise OutputLockedError(
                f"无法覆盖 {target}（文件可能正在Excel/WPS中打开）。新文件已另存为 {sibling}。",
                hint="关闭该文件后重新运行即可覆盖。")
    finally:
        if tmp_path.exists():
            tmp_path.unlink()
