"""Zip and XML checks on untrusted workbooks, before any parser sees them.

Declared sizes and entry counts (zip bombs), member paths (zip slip), DTD or entity
declarations anywhere in an XML part (billion laughs, XXE), and for sheet parts a row
count and a scan for references far from the table. Streaming through zipfile also
checks each part's CRC, so a forged size fails here rather than inside a parser.
"""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .errors import InputFileError

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ENTRIES = 2000
MAX_ENTRY_BYTES = 100 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024
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
    # A part the caller keeps is read in one go (it is held whole anyway, and the declared size
    # bounds what zipfile inflates); others stream in 64 KB chunks.
    size = max(1 << 16, info.file_size + 1) if keep is not None else 1 << 16
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(size)
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
