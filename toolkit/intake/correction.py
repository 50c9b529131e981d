"""退回修改表: a department's own returned workbook with every problem marked, to send back.

The clerk's bytes are edited, never regenerated: their entries, the sheet protection and the
embedded identity (custom properties, hidden sheet, defined name) all survive openpyxl's
load/save, so the corrected file merges like any return. Each problem cell gets a fill and a
cell comment with the merge report's own words; a 问题清单 sheet, placed first and opened
first, lists every problem with a link to its cell, and explains the ones no cell can show
(wrong quarter, another plan, an unreadable file).
"""
from __future__ import annotations

import io
import re
from pathlib import Path

from toolkit.fileio import xlsxprint
from toolkit.fileio.safeio import atomic_path
from toolkit.fileio.xlsxtext import fit_row
from toolkit.fillin.files import safe_file_name
from toolkit.problems import ERROR, Problem

SHEET = "问题清单"
EDITABLE = {"xlsx", "xlsm"}  # .xls/.ods cannot be edited without changing what the clerk sent
ERROR_FILL, WARNING_FILL = "FFC7CE", "FFEB9C"
CELL = re.compile(r"^\$?([A-Z]{1,3})\$?([0-9]{1,7})$")
SEVERITY = {ERROR: "错误（须修改）", "warning": "提醒（请核实）"}
HEADER_ROW = 3  # of the 问题清单: title, which file of which quarter, then the table


def correction_name(department: str, filename: str) -> str:
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    return safe_file_name(f"{department or stem}-退回修改表.xlsx")


def correction_about(plan, quarter) -> str:
    """The 问题清单's second line: which plan and quarter the returned file was for."""
    return f"计划：{plan.settings.title}　季度：{quarter.label}"


# files refused as a whole before (or while) reading them: never re-opened with openpyxl here
REFUSED_WHOLE = ("file-", "merge-reader-crashed", "merge-internal-error")
MAX_EDIT_BYTES = 8 * 1024 * 1024  # XML parts inflated; a real return has ~0.3 MB, openpyxl takes ~1.5 s per MB


def _small_enough(data: bytes) -> bool:
    """Whether openpyxl may load this file in a bounded time: a file merged or refused for its
    cells passed the merge's checks, yet 200,000 cell formats in 16 MB took openpyxl 23 s."""
    import zipfile
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return sum(i.file_size for i in zf.infolist() if i.filename.endswith(".xml")) <= MAX_EDIT_BYTES
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def write_correction(data: bytes, ext: str, problems: list[Problem], target: Path, *,
                     department: str = "", filename: str = "", about: str = "") -> Path | None:
    """Write the marked-up workbook; None when the file cannot be edited (not .xlsx/.xlsm, or
    unreadable), in which case the problems are explained in the receipt's text alone.
    `department`, `filename` and `about` (which plan and quarter) go in the list's title lines."""
    if ext not in EDITABLE or not problems or any(p.code.startswith(REFUSED_WHOLE) for p in problems) \
            or not _small_enough(data):
        return None  # refused before any reading (unsafe, damaged...), or too big to re-open
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.hyperlink import Hyperlink
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), keep_vba=ext == "xlsm", rich_text=True)
    except Exception:  # unreadable, encrypted, not a workbook: the text explains it
        return None
    if SHEET in wb.sheetnames:  # a resubmitted correction: a fresh list replaces the old one
        del wb[SHEET]
    pinned: dict[tuple[str, str], list[Problem]] = {}
    for p in problems:
        if p.sheet in wb.sheetnames and CELL.match(p.cell or ""):
            pinned.setdefault((p.sheet, p.cell.replace("$", "")), []).append(p)
    for (sheet, cell), found in pinned.items():
        target_cell = wb[sheet][cell]
        colour = ERROR_FILL if any(p.severity == ERROR for p in found) else WARNING_FILL
        target_cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
        text = "\n".join(f"{SEVERITY.get(p.severity, p.severity)}：{p.message}" for p in found)
        comment = Comment(text, "plankit")
        comment.width, comment.height = 320, 40 + 36 * len(found)
        target_cell.comment = comment

    ws = wb.create_sheet(SHEET, 0)
    widths = (6, 22, 14, 80)
    ws.append([f"{department}退回修改表" if department else "退回修改表"])
    ws.append(["　".join(x for x in (about, f"文件：{filename}" if filename else "",
                                    f"共{len(problems)}个问题，红色为须修改的错误，黄色为请核实的提醒") if x)])
    for r, (size, name) in enumerate(((14, "黑体"), (9, "宋体")), start=1):
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(widths))
        ws.cell(r, 1).font = Font(bold=size > 9, name=name, size=size)
        ws.cell(r, 1).alignment = Alignment(horizontal="center" if size > 9 else None, vertical="center",
                                            wrap_text=True)
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[2].height = fit_row([ws.cell(2, 1).value], [sum(widths)], 9.5)
    ws.append(["序号", "位置（点击跳转）", "级别", "问题说明"])
    for c in ws[HEADER_ROW]:
        c.font = Font(bold=True, name="黑体")
    for n, p in enumerate(problems, 1):
        key = (p.sheet, (p.cell or "").replace("$", ""))
        where = f"{p.sheet}!{key[1]}" if key in pinned else (p.location or "整个文件")
        ws.append([n, where, SEVERITY.get(p.severity, p.severity), p.message])
        if key in pinned:
            link = ws.cell(HEADER_ROW + n, 2)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{p.sheet}'!{key[1]}")
            link.font = Font(color="0563C1", underline="single")
    ws.append([])
    ws.append(["", "怎么改", "", "在原表中改正标红（错误）的单元格，核实标黄（提醒）的单元格，"
                             "保存后把这个文件作为附件直接回复本邮件即可；本页不用删除。"])
    for col, width in zip("ABCD", widths):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=HEADER_ROW + 1):
        for c in row:
            c.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[row[0].row].height = fit_row([c.value for c in row], widths)  # LibreOffice won't autofit
    xlsxprint.setup_openpyxl(ws, left=xlsxprint.escape(f"{department}退回修改表 {filename}".strip()),
                             header_row=HEADER_ROW)
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def write_corrections(archive, folder: Path, files: list, *, warned: bool = False,
                      about: str = "") -> dict[str, str]:
    """A 退回修改表 for every rejected file (and, with `warned`, every accepted one with warnings)
    among a merge's FileOutcomes, from their archived bytes: {sha256: path of the workbook}.

    `archive` is the archive folder, or a store whose archive is in its database (copies(sha256))."""
    from toolkit.intake.outcomes import ACCEPTED, REJECTED
    written: dict[str, str] = {}
    for f in files:
        wanted = f.outcome == REJECTED or (warned and f.outcome == ACCEPTED and f.problems)
        if not wanted or not f.sha256 or f.sha256 in written:
            continue
        if isinstance(archive, Path):
            paths = [p for p in archive.glob(f"{f.sha256}.*") if p.suffix[1:] in EDITABLE]
            found = [(paths[0].suffix[1:], paths[0].read_bytes())] if paths else []
        else:
            found = [(ext, data) for ext, data in archive.copies(f.sha256) if ext in EDITABLE]
        if not found:
            continue
        target = folder / f.sha256[:12] / correction_name(f.department, f.path)
        if write_correction(found[0][1], found[0][0], f.problems, target,
                            department=f.department, filename=f.path, about=about):
            written[f.sha256] = str(target)
    return written
