"""Safe file handling at the boundary: pre-flight returned workbooks, write outputs atomically.

Every workbook that comes from outside passes `preflight` before a parser sees it:
the first bytes tell its real type (filekind), encrypted files are tried with Excel's
default password, and zip workbooks get every check of zipscan (sizes, paths, DTDs, row
counts, far references). Outputs are written to a temp file and renamed.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from typing import Any
from datetime import datetime
from pathlib import Path

from toolkit.errors import (
    FILE_DAMAGED, FILE_EMPTY, FILE_ENCRYPTED, FILE_NOT_FOUND, FILE_NOT_SPREADSHEET, FILE_TOO_LARGE,
    FILE_TOO_MANY_ROWS, FILE_TRUNCATED, FILE_UNREADABLE, FILE_UNSAFE, FILE_ZIP_BOMB, InputFileError, OutputLockedError, os_reason)
from toolkit.fileio.filekind import (ENCRYPTED, ODS, OLE_MAGIC, XLS, ZIP_MAGIC, classify_ole, decrypt_default,
    xls_far_cell, zip_kind)
from toolkit.fileio.xlsxmeta import col_letter
from toolkit.fileio.zipscan import (MAX_ENTRY_BYTES, MAX_FILE_BYTES, MAX_REF_COLS, MAX_REF_ROW, check_zip_limits,
    far_cell_error, scan_member, scan_part)

KEEP_PART_BYTES = 8 * 1024 * 1024  # preflight(keep_parts=True): parts kept for reuse (a return's are ~0.4 MB)
KEEP_TOTAL_BYTES = 32 * 1024 * 1024


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
    names: list[str] | None = None  # zip member names, in order (zip workbooks only)

    def zip(self) -> CheckedZip | None:
        """The kept parts as a read-only zip (None unless preflight ran with keep_parts on a zip)."""
        if self.parts is None or self.names is None:
            return None
        return CheckedZip(self.data, self.names, self.parts)


class CheckedZip:
    """A zip that passed preflight, as its readers use it: `namelist()` and `read(part)`.

    Parts come as preflight inflated and checked them; a part it did not keep (too large
    to hold) is read from the zip bytes when asked for. Opening the zip again per reader
    cost more than reading the parts (0.08 ms per open of a return).
    """

    def __init__(self, data: bytes, names: list[str], parts: dict[str, bytes]):
        self._data, self._names, self._parts = data, names, parts
        self._zf: zipfile.ZipFile | None = None

    def namelist(self) -> list[str]:
        return list(self._names)

    def read(self, part: str) -> bytes:
        kept = self._parts.get(part)
        if kept is not None:
            return kept
        if self._zf is None:
            self._zf = zipfile.ZipFile(io.BytesIO(self._data))
        return self._zf.read(part)

    def close(self) -> None:
        if self._zf is not None:
            self._zf.close()

    def __enter__(self) -> CheckedZip:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


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
        size = len(data) if data is not None else path.stat().st_size
        if size > max_bytes:
            raise InputFileError(f"{name}：文件过大（{size // 1024 // 1024}MB），不像填报表，已拒收。",
                                 code=FILE_TOO_LARGE)
        if from_path:
            data = path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"找不到文件：{name}", code=FILE_NOT_FOUND)
    except OSError as exc:
        raise InputFileError(f"无法读取文件 {name}：{os_reason(exc)}", code=FILE_UNREADABLE)
    if not data:
        raise InputFileError(f"{name}：文件是空的（0字节），请让报送单位重新发送。", code=FILE_EMPTY)
    decrypted = False
    if data.startswith(OLE_MAGIC):
        kind = classify_ole(data, name)
        if kind == ENCRYPTED:
            data = decrypt_default(data, name)
            decrypted = True
            if data.startswith(OLE_MAGIC):
                kind = classify_ole(data, name)
                if kind == ENCRYPTED:
                    raise InputFileError(f"{name}：文件设置了打开密码，无法读取。", code=FILE_ENCRYPTED)
    if data.startswith(ZIP_MAGIC):
        parts: dict[str, bytes] | None = {} if keep_parts else None
        kind, rows, names = _check_zip(data, name, max_part_bytes, max_rows, parts)
        return Preflight(kind, data, decrypted, rows, parts, from_path, names)
    if data.startswith(OLE_MAGIC):
        if kind == XLS and max_rows is not None:
            _reject_far_xls(data, name)
        return Preflight(kind, data, decrypted, from_path=from_path)
    head = data[:64].lstrip()
    if head.startswith((b"<", b"\xef\xbb\xbf<")):
        raise InputFileError(f"{name}：这是网页或XML文件，只是扩展名像表格。请在Excel中另存为“Excel工作簿(*.xlsx)”。",
                             code=FILE_NOT_SPREADSHEET)
    if data.startswith(b"%PDF"):
        raise InputFileError(f"{name}：这是PDF文件，不是Excel表格。请发送Excel填报表本身。", code=FILE_NOT_SPREADSHEET)
    if data.startswith(b"PK"):
        raise InputFileError(f"{name}：文件不完整或已损坏（可能下载或复制中断），请让报送单位重新发送。",
                             code=FILE_TRUNCATED)
    raise InputFileError(f"{name}：这不是Excel文件（可能是改了扩展名的文本或CSV）。"
                         "请在Excel中另存为“Excel工作簿(*.xlsx)”。", code=FILE_NOT_SPREADSHEET)


def _reject_far_xls(data: bytes, name: str) -> None:
    """A value far from the table in an .xls: rejected before calamine builds its grid (zipscan
    does the same for xlsx; for .ods calamine's extent is cheap and Book.grid checks it)."""
    far = xls_far_cell(data, MAX_REF_ROW - 1, MAX_REF_COLS - 1)
    if far is not None:
        sheet, row, col = far
        raise far_cell_error(name, f"“{sheet}”的单元格 {col_letter(col)}{row + 1}")


def _check_zip(data: bytes, name: str, max_part: int, max_rows: int | None,
               parts: dict[str, bytes] | None = None) -> tuple[str, dict[str, int], list[str]]:
    """(kind, rows per sheet part, member names in order); with `parts`, the XML parts kept."""
    rows: dict[str, int] = {}
    kept = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
            check_zip_limits(Path(name), infos)
            names = [i.filename for i in infos]
            folded = [n.replace("\\", "/").lower() for n in names]  # part names ignore case (OPC)
            if len(set(folded)) != len(folded):
                twice = next(n for n, f in zip(names, folded) if folded.count(f) > 1)
                # readers disagree on which copy counts (Python and calamine take the last, others
                # the first): what is stored could differ from what Excel shows
                raise InputFileError(f"{name}：压缩包内有两个同名的部件（{twice}），各程序读到的内容可能不同，"
                                     "已拒收。请让报送单位在Excel中打开后另存为“Excel工作簿(*.xlsx)”再发送。",
                                     code=FILE_UNSAFE)
            for info in infos:
                if info.flag_bits & 0x1:
                    raise InputFileError(f"{name}：压缩包内的文件被加密，无法读取，已拒收。", code=FILE_ENCRYPTED)
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise InputFileError(f"{name}：文件使用了不支持的压缩方式，可能已损坏。请在Excel中另存后重新发送。",
                                         code=FILE_DAMAGED)
                if info.file_size > max_part:
                    what = "工作表行数过多或内容异常巨大" if "worksheets/" in info.filename else "文件内容异常巨大"
                    raise InputFileError(f"{name}：{what}（{info.filename}），不像填报表，已拒收。", code=FILE_ZIP_BOMB)
            for info in infos:
                if info.filename.endswith((".xml", ".rels")):
                    sheet = info.filename.startswith("xl/worksheets/") or info.filename == "content.xml"
                    # Keep only what a reader would hold anyway: a hostile file may declare up to
                    # MAX_TOTAL_BYTES of parts, which the streaming scan never held at once.
                    keep = (parts is not None and info.file_size <= KEEP_PART_BYTES
                            and kept + info.file_size <= KEEP_TOTAL_BYTES)
                    count = sheet and max_rows is not None
                    if keep:  # held whole anyway: inflated by one zlib call from the bytes in memory
                        part, n = scan_member(data, info, name, count_rows=count, max_rows=max_rows)
                    else:
                        part, n = None, scan_part(zf, info, name, count_rows=count, max_rows=max_rows)
                    if sheet and max_rows is not None:
                        rows[info.filename] = n
                        if n > max_rows:
                            raise InputFileError(f"{name}：工作表行数过多（超过{max_rows}行），不像填报表，已拒收。"
                                                 "请只保留下发的填报表内容后重新发送。", code=FILE_TOO_MANY_ROWS)
                    if parts is not None:  # a duplicate name: the last wins, as in zipfile.read
                        parts.pop(info.filename, None)
                        if part is not None:
                            parts[info.filename] = part
                            kept += info.file_size
            # after the scan (every XML part is DTD-free before expat reads content.xml), from the
            # parts it inflated: opening [Content_Types].xml and workbook.xml again cost 0.09 ms
            kind = zip_kind(zf, set(names), name, parts)
            if kind == ODS and max_rows is not None:
                _check_ods_repeats((parts or {}).get("content.xml") or zf.read("content.xml"), name, max_rows)
    except zipfile.BadZipFile as exc:
        detail = "压缩数据校验失败" if "CRC" in str(exc) else "文件不完整"
        raise InputFileError(f"{name}：文件已损坏（{detail}），请让报送单位重新发送。",
                             code=FILE_DAMAGED if "CRC" in str(exc) else FILE_TRUNCATED)
    except (zipfile.LargeZipFile, RuntimeError, ValueError, EOFError, OSError, NotImplementedError) as exc:
        raise InputFileError(f"{name}：压缩结构损坏（{type(exc).__name__}），请让报送单位重新发送。", code=FILE_DAMAGED)
    return kind, rows, names


MAX_ODS_CELLS = 500_000


def _check_ods_repeats(data: bytes, name: str, max_rows: int) -> None:
    """ODS compresses repeats into attributes: a tiny file can declare a million filled rows.

    Count filled cells and rows as a reader would expand them (empty repeated rows, which
    LibreOffice writes to the end of every sheet, cost nothing and are not counted).
    """
    from xml.parsers import expat
    state: dict[str, Any] = {"rows": 1, "row_cells": 0, "sheet_rows": 0, "cells": 0, "cell": None}

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
                raise InputFileError(f"{name}：工作表行数过多（超过{max_rows}行）或内容异常巨大，不像填报表，已拒收。",
                                     code=FILE_ZIP_BOMB)

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler, parser.EndElementHandler = start, end
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        raise InputFileError(f"{name}：表格内容损坏（content.xml），请让报送单位重新保存后发送。", code=FILE_DAMAGED)


def os_error_of(exc: BaseException | None) -> OSError | None:
    """The OSError behind an exception (itself, its first argument, or its cause/context):
    libraries such as xlsxwriter wrap a full disk in their own exception types."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OSError):
            return exc
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else None
        exc = inner or exc.__cause__ or exc.__context__
        seen += 1
    return None


TEMP_PREFIX = ".~plankit-"
_TEMP_PID = re.compile(r"^\.~plankit-(\d+)-")
STALE_TEMP_SECONDS = 24 * 3600  # a temp whose writer cannot be asked about (Windows, old names)


def temp_prefix() -> str:
    """The prefix of this process's temp files and folders: `.~plankit-<pid>-`, so a later run can
    tell the leftovers of a killed one (no `finally` runs on kill -9 or a power cut)."""
    return f"{TEMP_PREFIX}{os.getpid()}-"


def _writer_gone(pid: int) -> bool:
    if pid == os.getpid() or sys.platform == "win32":  # os.kill would end the process there
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


def sweep_stale_temps(folder: Path) -> None:
    """Remove temp files and folders left in `folder` by a plankit run that was killed mid-write
    (its process is gone, or the temp is over a day old). Never fails the caller."""
    import shutil
    import time
    try:
        entries = [e for e in Path(folder).iterdir() if e.name.startswith(TEMP_PREFIX)]
    except OSError:
        return
    for entry in entries:
        m = _TEMP_PID.match(entry.name)
        try:
            age = time.time() - entry.lstat().st_mtime
            # a minute of grace: a writer on another machine sharing the folder has a pid we cannot see
            stale = (m is not None and age > 60 and _writer_gone(int(m.group(1)))) or age > STALE_TEMP_SECONDS
            if not stale:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink()
        except (OSError, ValueError):
            continue


@contextlib.contextmanager
def atomic_path(target: Path):
    """Yield a temp path beside `target`; on success move it into place.

    If the target is locked (open in Excel on Windows), raise OutputLockedError
    naming a timestamped sibling that was written instead, so nothing is lost.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    sweep_stale_temps(target.parent)
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        try:
            yield tmp_path
        except Exception as exc:
            cause = os_error_of(exc)
            if cause is not None and cause is not exc:  # xlsxwriter's FileCreateError wraps the disk's error
                raise cause from exc
            raise
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
