"""What a file really is, whatever its name says: xlsx, xlsm, xls, ods, encrypted, or a clear
"this is a Word document / a web page / a renamed CSV" error in Chinese."""
from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

from toolkit.errors import (
    FILE_DAMAGED, FILE_EMPTY, FILE_ENCRYPTED, FILE_NOT_FOUND, FILE_NOT_SPREADSHEET, FILE_STRICT_XML,
    FILE_TOO_LARGE, FILE_TRUNCATED, FILE_UNREADABLE, InputFileError, os_reason)
from toolkit.fileio.zipscan import MAX_FILE_BYTES, check_zip_limits, reject_dtd

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
XLSX, XLSM, XLS, ODS, ENCRYPTED = "xlsx", "xlsm", "xls", "ods", "encrypted"

# Excel's "read-only recommended" files are encrypted with this well-known default password.
DEFAULT_PASSWORD = "VelvetSweatshop"


def sniff(path: Path) -> str:
    """Return the real kind of a spreadsheet file, or raise InputFileError saying what it is."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(8)
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{path}", code=FILE_NOT_FOUND)
    except OSError as exc:
        raise InputFileError(f"无法读取文件 {path}：{os_reason(exc)}", code=FILE_UNREADABLE)
    if size == 0:
        raise InputFileError(f"{path.name}：文件是空的（0字节），请让报送单位重新发送。", code=FILE_EMPTY)
    if size > MAX_FILE_BYTES:
        raise InputFileError(f"{path.name}：文件过大（{size // 1024 // 1024}MB），不像填报表，请核实。",
                             code=FILE_TOO_LARGE)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(path)
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path)
    if head.lstrip().startswith((b"<", b"\xef\xbb\xbf<")):
        raise InputFileError(f"{path.name}：这是网页或XML文件，只是扩展名像表格。"
                             "请在Excel中另存为“Excel工作簿(*.xlsx)”。", code=FILE_NOT_SPREADSHEET)
    raise InputFileError(f"{path.name}：这不是Excel文件（可能是改了扩展名的文本或CSV）。"
                         "请在Excel中另存为“Excel工作簿(*.xlsx)”。", code=FILE_NOT_SPREADSHEET)


def _sniff_ole(path: Path) -> str:
    return classify_ole(path.read_bytes(), path.name)


def _sniff_zip(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            check_zip_limits(path, infos)
            if "[Content_Types].xml" in names:
                with zf.open("[Content_Types].xml") as fh:
                    reject_dtd(path, "[Content_Types].xml", fh.read(4096))
            return zip_kind(zf, names, path.name)
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：文件不完整或已损坏（可能下载或复制中断），请让报送单位重新发送。",
                             code=FILE_TRUNCATED)
    except (RuntimeError, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise InputFileError(f"{path.name}：压缩结构损坏（{type(exc).__name__}），请让报送单位重新发送。",
                             code=FILE_DAMAGED)


def classify_ole(data: bytes, name: str) -> str:
    """xls, encrypted (an encrypted xlsx or xls), or an InputFileError for other OLE files."""
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(s) for s in ole.listdir(streams=True, storages=False)}
    except Exception:
        raise InputFileError(f"{name}：旧版Excel文件已损坏，无法读取。"
                             "请在Excel中另存为“Excel工作簿(*.xlsx)”后重新发送。", code=FILE_DAMAGED)
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        return ENCRYPTED
    if "WordDocument" in streams:
        raise InputFileError(f"{name}：这是Word文档，不是Excel表格。", code=FILE_NOT_SPREADSHEET)
    if "Workbook" not in streams and "Book" not in streams:
        raise InputFileError(f"{name}：这不是Excel文件（是其他Office格式）。请发送Excel填报表。",
                             code=FILE_NOT_SPREADSHEET)
    try:
        import msoffcrypto
        if msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted():
            return ENCRYPTED
    except Exception:
        pass  # msoffcrypto cannot classify every legacy file; the reader decides
    return XLS


# BIFF records that give a cell a value (calamine makes a cell of these, not of BLANK/MULBLANK):
# FORMULA, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING; row and column open the record.
_VALUE_RECORDS = frozenset({0x0006, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6})
_MULRK = 0x00BD  # row, first column, the values, then the last column in the last two bytes
_BOF, _BOUNDSHEET = 0x0809, 0x0085  # a substream starts; a sheet's name and the offset of its BOF


def xls_far_cell(data: bytes, max_row: int, max_col: int) -> tuple[str, int, int] | None:
    """(sheet, row, column), 0-based, of the first value past row `max_row` or column `max_col`
    in an .xls, read from the record headers of its Workbook stream; None when there is none.

    calamine builds a dense grid from the first to the last value: one value typed at
    IV65536 in a 6 KB .xls costs it 2 s and 1 GB before its extent can be checked.
    """
    import olefile
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            stream = ole.openstream("Workbook" if ole.exists("Workbook") else "Book").read()
    except Exception:  # unreadable here: the reader rejects it with its own message
        return None
    sheets: dict[int, str] = {}  # BOF offset -> sheet name
    sheet = ""
    at, end, unpack = 0, len(stream) - 4, struct.unpack_from
    while at <= end:
        kind, size = unpack("<HH", stream, at)
        if kind == _BOUNDSHEET and size >= 8:
            sheets[unpack("<I", stream, at + 4)[0]] = _sheet_name(stream[at + 10:at + 4 + size])
        elif kind == _BOF:
            sheet = sheets.get(at, sheet)
        elif (kind in _VALUE_RECORDS and size >= 4) or (kind == _MULRK and size >= 6):
            row, col = unpack("<HH", stream, at + 4)
            if kind == _MULRK and at + 4 + size <= len(stream):
                col = unpack("<H", stream, at + 2 + size)[0]
            if row > max_row or col > max_col:
                return sheet, row, col
        at += 4 + size
    return None


def _sheet_name(field: bytes) -> str:
    """A BOUNDSHEET's name: a length byte, then (BIFF8) a flag byte and Latin-1 or UTF-16 text."""
    if not field:
        return ""
    n = field[0]
    if len(field) >= 2 + n and field[1] in (0, 1):  # BIFF8
        raw = field[2:2 + n * (2 if field[1] else 1)]
        return raw.decode("utf-16-le" if field[1] else "latin-1", "replace")
    return field[1:1 + n].decode("latin-1", "replace")  # BIFF5: a non-Latin name shows garbled, the cell not


def decrypt_default(data: bytes, name: str) -> bytes:
    """Decrypt a "read-only recommended" file (default password), else say it is password protected."""
    import msoffcrypto
    out = io.BytesIO()
    try:
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password=DEFAULT_PASSWORD)
        office.decrypt(out)
    except Exception:
        raise InputFileError(f"{name}：文件设置了打开密码，无法读取。"
                             "请在Excel中打开后，点“文件→信息→保护工作簿→用密码进行加密”，清空密码并保存，再重新发送。",
                             code=FILE_ENCRYPTED)
    return out.getvalue()


def zip_kind(zf: zipfile.ZipFile, names: set[str], name: str, parts: dict[str, bytes] | None = None) -> str:
    """xlsx, xlsm or ods for an open zip whose member names are `names`; else InputFileError.

    `parts`: members already inflated (safeio.preflight's), used instead of reading them again.
    """
    def head(part: str, size: int) -> bytes:
        kept = parts.get(part) if parts else None
        if kept is not None:
            return kept[:size]
        with zf.open(part) as fh:
            return fh.read(size)

    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            raise InputFileError(f"{name}：这是Word文档，不是Excel表格。", code=FILE_NOT_SPREADSHEET)
        if "ppt/presentation.xml" in names:
            raise InputFileError(f"{name}：这是PowerPoint文件，不是Excel表格。", code=FILE_NOT_SPREADSHEET)
        if "xl/workbook.bin" in names:
            raise InputFileError(f"{name}：这是Excel二进制工作簿（.xlsb），无法读取（可能改了扩展名）。请在Excel中"
                                 "“另存为”，保存类型选“Excel工作簿(*.xlsx)”后重新发送。", code=FILE_NOT_SPREADSHEET)
        if "xl/workbook.xml" not in names:
            raise InputFileError(f"{name}：压缩包里没有Excel工作簿，文件可能已损坏。", code=FILE_NOT_SPREADSHEET)
        if b"purl.oclc.org/ooxml" in head("xl/workbook.xml", 4000):
            raise InputFileError(f"{name}：文件是“Strict Open XML”格式，无法读取。"
                                 "请在Excel中“另存为”，保存类型选“Excel工作簿(*.xlsx)”后重新发送。",
                                                               code=FILE_STRICT_XML)
        return XLSM if b"macroEnabled" in head("[Content_Types].xml", 1 << 20) else XLSX
    if "mimetype" in names:
        if head("mimetype", 100).startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            if "content.xml" not in names:
                raise InputFileError(f"{name}：表格文件缺少内容部分，文件已损坏。", code=FILE_DAMAGED)
            return ODS
        raise InputFileError(f"{name}：这是其他OpenDocument文件（如文字文档），不是电子表格。",
                             code=FILE_NOT_SPREADSHEET)
    raise InputFileError(f"{name}：这是一个压缩文件，但不是Excel工作簿。", code=FILE_NOT_SPREADSHEET)
