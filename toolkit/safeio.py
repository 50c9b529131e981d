"""Safe file handling at the boundary: sniff and pre-flight workbooks, write atomically.

Every workbook that comes from outside passes `preflight` before a parser sees it:
the first bytes tell its real type, zip entries are checked against size limits
(zip bombs, forged sizes, path traversal) and XML parts must not declare a DTD
(entity bombs, external entities). Outputs are written to a temp file and renamed.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .errors import InputFileError, OutputLockedError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
KEEP_PART_BYTES = 8 * 1024 * 1024  # preflight(keep_parts=True): parts kept for reuse (a return's are ~0.4 MB)
KEEP_TOTAL_BYTES = 32 * 1024 * 1024

XLSX, XLSM, XLS, ODS, ENCRYPTED = "xlsx", "xlsm", "xls", "ods", "encrypted"

# Excel's "read-only recommended" files are encrypted with this well-known default password.
DEFAULT_PASSWORD = "VelvetSweatshop"
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.I)
# Row elements are counted by substring, an upper bound that never misses one: `<row`
# (and the one `<rowBreaks`), and `:row` for prefixed writers (`<x:row` and `</x:row`, so
# counted twice). Two C-level counts; a regex findall per chunk cost 3× as much.
_ROW_NEEDLES = (b"<row", b":row")
_ODS_ROW_NEEDLES = (b"<table:table-row",)
# calamine allocates a dense grid from the first to the last used cell: one value typed at
# XFD1048576 asks for 512 GB and aborts the whole process (not an exception). So a row or
# cell reference past MAX_REF_ROW or past column MAX_REF_COL (BZ) rejects the file first.
# The literal `r="` keeps the scan fast; the byte before it must be XML whitespace (a
# `header="..."` or text never counts).
MAX_REF_ROW, MAX_REF_COL = 9999, "BZ"  # at most ~780k cells for calamine and the grid
_FAR_REF = re.compile(rb'r="((?:[A-Z]{3}|[C-Z][A-Z])\d|[A-Z]{0,2}\d{5})')
_OVERLAP = 32


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
            return _zip_kind(zf, names, path.name)
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：文件不完整或已损坏（可能下载或复制中断），请让报送单位重新发送。")
    except (RuntimeError, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise InputFileError(f"{path.name}：压缩结构损坏（{type(exc).__name__}），请让报送单位重新发送。")


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
    """Reject a DTD in the first bytes of a part (see `scan_part` for the whole part)."""
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data[:4096].upper():
        raise InputFileError(f"{path.name}：文件内部含有不允许的DTD/实体声明（{part}），可能是恶意文件，已拒收。")


def scan_xml_parts(path: Path) -> None:
    """Reject any XML part that declares a DTD anywhere (billion laughs, XXE), not only in its head."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.filename.endswith((".xml", ".rels")):
                    scan_part(zf, info, Path(path).name)
    except zipfile.BadZipFile:
        raise InputFileError(f"{path.name}：文件不完整或已损坏，请让报送单位重新发送。")
    except (zipfile.LargeZipFile, RuntimeError, ValueError, EOFError, OSError) as exc:
        raise InputFileError(f"{path.name}：压缩结构损坏（{exc}），已拒收。")


def scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, *, count_rows: bool = False,
              max_rows: int | None = None, keep: list[bytes] | None = None) -> int:
    """Stream one part: reject a DTD anywhere in it; optionally count rows (stop past max_rows).

    Streaming through zipfile also checks the CRC, so a part whose declared size was forged
    fails here instead of inflating unbounded inside a parser. With `keep`, the inflated
    chunks are appended to it, so a caller can reuse the checked part without inflating
    it again (only meaningful when the scan returns normally: a part cut short at
    max_rows is incomplete).
    """
    needles = (_ODS_ROW_NEEDLES if info.filename == "content.xml" else _ROW_NEEDLES) if count_rows else ()
    rows, buffer, first = 0, b"", True
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 16)
            if first:
                first = False
                if chunk[:2] in (b"\xff\xfe", b"\xfe\xff") or chunk[:4] == b"<\x00?\x00":
                    raise InputFileError(f"{name}：文件内部使用了不支持的编码（{info.filename}），可能是恶意文件，已拒收。")
            if keep is not None:
                keep.append(chunk)
            buffer += chunk
            cut = len(buffer) if not chunk else max(len(buffer) - _OVERLAP, 0)
            if _DTD.search(buffer):
                raise InputFileError(f"{name}：文件内部含有不允许的DTD/实体声明（{info.filename}），可能是恶意文件，已拒收。")
            if needles:
                # those starting before `cut` (the rest are counted with the next chunk)
                rows += sum(buffer.count(n, 0, cut + len(n) - 1) for n in needles)
                if max_rows is not None and rows > max_rows:
                    return rows
                _reject_far_refs(buffer, name, info.filename)
            buffer = buffer[cut:]
            if not chunk:
                return rows


def _reject_far_refs(buffer: bytes, name: str, part: str) -> None:
    for m in _FAR_REF.finditer(buffer):
        if m.start() and buffer[m.start() - 1] in b" \t\r\n":
            end = buffer.find(b'"', m.start(1), m.start(1) + 16)
            ref = buffer[m.start(1):end if end > 0 else m.end(1)].decode("ascii", "replace")
            where = f"第{ref}行" if ref.isdigit() else f"单元格 {ref}"
            raise InputFileError(
                f"{name}：工作表中有远离表格的内容（{part.rsplit('/', 1)[-1]} 的{where}，超出第{MAX_REF_ROW}行"
                f"或{MAX_REF_COL}列），无法安全读取，已拒收。",
                hint="请让报送单位在Excel中按 Ctrl+End 找到最后一个单元格，删除表格以外多余的行和列后保存，再重新发送。")


@dataclass
class Preflight:
    """A workbook that passed the checks: its real kind and its bytes (decrypted if needed)."""
    kind: str
    data: bytes
    decrypted: bool = False  # opened with Excel's default "read-only recommended" password
    rows: dict[str, int] | None = None  # worksheet part -> row elements counted
    # With keep_parts: every .xml/.rels part as inflated (and DTD-checked) by the scan, so
    # later readers need not inflate it again. Bounded: each declared size was checked first
    # and zipfile never inflates past it.
    parts: dict[str, bytes] | None = None
    from_path: bool = True  # `data` is what the file at the given path holds


def preflight(path: Path, *, name: str | None = None, max_bytes: int = MAX_FILE_BYTES,
              max_part_bytes: int = MAX_ENTRY_BYTES, max_rows: int | None = None,
              keep_parts: bool = False, data: bytes | None = None) -> Preflight:
    """Everything checked before any parser sees an untrusted workbook; raise InputFileError.

    Reads the file once (size-capped) so later readers work on the same checked bytes.
    Encrypted files are tried with Excel's default password, else rejected as password
    protected. Zip workbooks get the declared-size, path and DTD checks on every XML part
    and, with `max_rows`, a row count per sheet that rejects absurd sheets.
    With `data`, those bytes are checked instead of reading `path` (a merge hands its reader
    processes the bytes it received while the archive copy is still being written).
    """
    path = Path(path)
    name = name or path.name
    from_path = data is None
    try:
        size = path.stat().st_size if from_path else len(data)
        if size > max_bytes:
            raise InputFileError(f"{name}：文件过大（{size // 1024 // 1024}MB），不像填报表，已拒收。")
        if from_path:
            data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{name}")
    except OSError as exc:
        raise InputFileError(f"无法读取文件 {name}：{exc.strerror or exc}")
    if not data:
        raise InputFileError(f"{name}：文件是空的（0字节），请让报送单位重新发送。")
    decrypted = False
    if data.startswith(OLE_MAGIC):
        kind = classify_ole(data, name)
        if kind == ENCRYPTED:
            data = decrypt_default(data, name)
            decrypted = True
            if data.startswith(OLE_MAGIC):
                kind = classify_ole(data, name)
                if kind == ENCRYPTED:
                    raise InputFileError(f"{name}：文件设置了打开密码，无法读取。")
    if data.startswith(ZIP_MAGIC):
        parts: dict[str, bytes] | None = {} if keep_parts else None
        kind, rows = _check_zip(data, name, max_part_bytes, max_rows, parts)
        return Preflight(kind, data, decrypted, rows, parts, from_path)
    if data.startswith(OLE_MAGIC):
        return Preflight(kind, data, decrypted, from_path=from_path)
    head = data[:64].lstrip()
    if head.startswith((b"<", b"\xef\xbb\xbf<")):
        raise InputFileError(f"{name}：这是网页或XML文件，只是扩展名像表格。请在Excel中另存为“Excel工作簿(*.xlsx)”。")
    if data.startswith(b"%PDF"):
        raise InputFileError(f"{name}：这是PDF文件，不是Excel表格。请发送Excel填报表本身。")
    if data.startswith(b"PK"):
        raise InputFileError(f"{name}：文件不完整或已损坏（可能下载或复制中断），请让报送单位重新发送。")
    raise InputFileError(f"{name}：这不是Excel文件（可能是改了扩展名的文本或CSV）。请在Excel中另存为“Excel工作簿(*.xlsx)”。")


def classify_ole(data: bytes, name: str) -> str:
    """xls, encrypted (an encrypted xlsx or xls), or an InputFileError for other OLE files."""
    import olefile
    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
        streams = {"/".join(s) for s in ole.listdir(streams=True, storages=False)}
    except Exception:
        raise InputFileError(f"{name}：旧版Excel文件已损坏，无法读取。请在Excel中另存为“Excel工作簿(*.xlsx)”后重新发送。")
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        return ENCRYPTED
    if "WordDocument" in streams:
        raise InputFileError(f"{name}：这是Word文档，不是Excel表格。")
    if "Workbook" not in streams and "Book" not in streams:
        raise InputFileError(f"{name}：这不是Excel文件（是其他Office格式）。请发送Excel填报表。")
    try:
        import msoffcrypto
        if msoffcrypto.OfficeFile(io.BytesIO(data)).is_encrypted():
            return ENCRYPTED
    except Exception:
        pass  # msoffcrypto cannot classify every legacy file; the reader decides
    return XLS


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
                             "请在Excel中打开后，点“文件→信息→保护工作簿→用密码进行加密”，清空密码并保存，再重新发送。")
    return out.getvalue()


def _check_zip(data: bytes, name: str, max_part: int, max_rows: int | None,
               parts: dict[str, bytes] | None = None) -> tuple[str, dict[str, int]]:
    rows: dict[str, int] = {}
    kept = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            check_zip_limits(Path(name), infos)
            names = {i.filename for i in infos}
            for info in infos:
                if info.flag_bits & 0x1:
                    raise InputFileError(f"{name}：压缩包内的文件被加密，无法读取，已拒收。")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise InputFileError(f"{name}：文件使用了不支持的压缩方式，可能已损坏。请在Excel中另存后重新发送。")
                if info.file_size > max_part:
                    what = "工作表行数过多或内容异常巨大" if "worksheets/" in info.filename else "文件内容异常巨大"
                    raise InputFileError(f"{name}：{what}（{info.filename}），不像填报表，已拒收。")
            kind = _zip_kind(zf, names, name)
            if kind == ODS and max_rows is not None:
                scan_part(zf, zf.getinfo("content.xml"), name)  # DTD check first: expat is next
                _check_ods_repeats(zf.read("content.xml"), name, max_rows)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    sheet = info.filename.startswith("xl/worksheets/") or info.filename == "content.xml"
                    # Keep only what a reader would hold anyway: a hostile file may declare up to
                    # MAX_TOTAL_BYTES of parts, which the streaming scan never held at once.
                    keep = (parts is not None and info.file_size <= KEEP_PART_BYTES
                            and kept + info.file_size <= KEEP_TOTAL_BYTES)
                    chunks: list[bytes] | None = [] if keep else None
                    n = scan_part(zf, info, name, count_rows=sheet and max_rows is not None, max_rows=max_rows,
                                  keep=chunks)
                    if sheet and max_rows is not None:
                        rows[info.filename] = n
                        if n > max_rows:
                            raise InputFileError(f"{name}：工作表行数过多（超过{max_rows}行），不像填报表，已拒收。"
                                                 "请只保留下发的填报表内容后重新发送。")
                    if parts is not None:  # a duplicate name: the last wins, as in zipfile.read
                        parts.pop(info.filename, None)
                        if chunks is not None:
                            parts[info.filename] = b"".join(chunks)
                            kept += info.file_size
    except zipfile.BadZipFile as exc:
        detail = "压缩数据校验失败" if "CRC" in str(exc) else "文件不完整"
        raise InputFileError(f"{name}：文件已损坏（{detail}），请让报送单位重新发送。")
    except (zipfile.LargeZipFile, RuntimeError, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise InputFileError(f"{name}：压缩结构损坏（{type(exc).__name__}），请让报送单位重新发送。")
    return kind, rows


MAX_ODS_CELLS = 500_000


def _check_ods_repeats(data: bytes, name: str, max_rows: int) -> None:
    """ODS compresses repeats into attributes: a tiny file can declare a million filled rows.

    Count filled cells and rows as a reader would expand them (empty repeated rows, which
    LibreOffice writes to the end of every sheet, cost nothing and are not counted).
    """
    from xml.parsers import expat
    state = {"rows": 1, "row_cells": 0, "sheet_rows": 0, "cells": 0, "cell": None}

    def repeat(attrs, key):
        try:
            return max(1, int(attrs.get(key, "1")))
        except ValueError:
            return 1

    def start(tag, attrs):
        if tag == "table:table":
            state["sheet_rows"] = 0
        elif tag == "table:table-row":
            state.update(rows=repeat(attrs, "table:number-rows-repeated"), row_cells=0)
        elif tag in ("table:table-cell", "table:covered-table-cell"):
            state["cell"] = [repeat(attrs, "table:number-columns-repeated"), "office:value-type" in attrs]
        elif tag == "text:p" and state["cell"] is not None:
            state["cell"][1] = True

    def end(tag):
        if tag in ("table:table-cell", "table:covered-table-cell") and state["cell"] is not None:
            reps, filled = state["cell"]
            state["row_cells"] += reps if filled else 0
            state["cell"] = None
        elif tag == "table:table-row" and state["row_cells"]:
            state["cells"] += state["row_cells"] * state["rows"]
            state["sheet_rows"] += state["rows"]
            if state["sheet_rows"] > max_rows or state["cells"] > MAX_ODS_CELLS:
                raise InputFileError(f"{name}：工作表行数过多（超过{max_rows}行）或内容异常巨大，不像填报表，已拒收。")

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise InputFileError(f"{name}：表格内容损坏（content.xml），请让报送单位重新保存后发送。")


def _zip_kind(zf: zipfile.ZipFile, names: set[str], name: str) -> str:
    if "[Content_Types].xml" in names:
        if "word/document.xml" in names:
            raise InputFileError(f"{name}：这是Word文档，不是Excel表格。")
        if "ppt/presentation.xml" in names:
            raise InputFileError(f"{name}：这是PowerPoint文件，不是Excel表格。")
        if "xl/workbook.xml" not in names:
            raise InputFileError(f"{name}：压缩包里没有Excel工作簿，文件可能已损坏。")
        with zf.open("xl/workbook.xml") as fh:
            head = fh.read(4000)
        if b"purl.oclc.org/ooxml" in head:
            raise InputFileError(f"{name}：文件是“Strict Open XML”格式，无法读取。"
                                 "请在Excel中“另存为”，保存类型选“Excel工作簿(*.xlsx)”后重新发送。")
        with zf.open("[Content_Types].xml") as fh:
            ctypes = fh.read(1 << 20)
        return XLSM if b"macroEnabled" in ctypes else XLSX
    if "mimetype" in names:
        with zf.open("mimetype") as fh:
            mime = fh.read(100)
        if mime.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
            if "content.xml" not in names:
                raise InputFileError(f"{name}：表格文件缺少内容部分，文件已损坏。")
            return ODS
        raise InputFileError(f"{name}：这是其他OpenDocument文件（如文字文档），不是电子表格。")
    raise InputFileError(f"{name}：这是一个压缩文件，但不是Excel工作簿。")


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
