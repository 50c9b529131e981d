"""`plankit export`: a quarter's stored values (quarter_frame) as a .csv or .xlsx table for Excel.

Headers are Chinese (frame.COLUMNS); csv is UTF-8 with a BOM, so Excel and WPS open the Chinese
text correctly on a double click; xlsx is written by xlsxwriter. Yes/no columns
read 是/否 and times read 2019-07-06 09:00:00, as a clerk would type them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import EXIT_PROBLEMS, PlankitError, UsageError
from toolkit.fileio.safeio import atomic_path
from toolkit.model import Plan
from toolkit.paths import quarter_dir
from toolkit.quarter import Quarter, as_quarter
from toolkit.store.frame import COLUMNS, quarter_frame

FORMATS = ("csv", "xlsx")
WIDTHS = {"task_name": 24, "indicator": 20, "department": 16, "progress": 40, "issues": 24,
          "next_steps": 30, "note": 20, "filename": 36, "sha256": 18, "origin": 30, "received_at": 19,
          "merged_at": 19}


class NothingStoredError(PlankitError):
    """Nothing merged for the quarter: nothing to export (exit 1, like any 'found nothing')."""

    exit_code = EXIT_PROBLEMS


@dataclass
class ExportResult:
    path: Path
    format: str
    rows: int
    departments: int


def export_name(plan: Plan, quarter: Quarter, fmt: str) -> str:
    """`2019年第二季度民生实事填报数据.csv`."""
    return f"{quarter.label}{plan.settings.subject}填报数据.{fmt}"


def export_quarter(plan: Plan, quarter: Quarter | str, out_dir: Path | str, target: Path | str | None = None,
                   *, fmt: str | None = None) -> ExportResult:
    """Write every stored value of `quarter` to `target` (default: out/<plan>/<quarter>/export/).

    :param fmt: csv or xlsx; by default taken from target's suffix, else csv.
    Raises NothingStoredError (exit 1) when nothing is stored for the quarter.
    """
    quarter = as_quarter(quarter, plan.settings.year)
    fmt = _format(fmt, target)
    frame = quarter_frame(plan, quarter, out_dir)
    if frame.empty:
        raise NothingStoredError(f"{quarter.label}还没有已接收的报送数据，没有可导出的内容。",
                                 hint=f"请先运行 plankit merge -q {quarter.code} 收件箱目录/ 汇总各部门报回的文件。")
    path = (Path(target) if target
            else quarter_dir(plan, quarter, Path(out_dir), "export") / export_name(plan, quarter, fmt))
    table = _readable(frame)
    with atomic_path(path) as tmp:
        if fmt == "csv":
            table.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx(table, tmp, quarter)
    return ExportResult(path, fmt, len(frame), frame["department"].nunique())


def _format(fmt: str | None, target: Path | str | None) -> str:
    suffix = Path(target).suffix.lower().lstrip(".") if target else ""
    if fmt is None:
        return suffix if suffix in FORMATS else "csv"
    if fmt not in FORMATS:
        raise UsageError(f"不支持的导出格式“{fmt}”。", hint="可选 csv 或 xlsx。")
    if target and suffix in FORMATS and suffix != fmt:
        raise UsageError(f"输出文件 {Path(target).name} 的扩展名与格式 {fmt} 不一致。",
                         hint=f"请把文件名改为 .{fmt} 结尾，或去掉 --format。")
    return fmt


def _readable(frame):
    """Chinese headers, 是/否, minute-precise times: the table as people read it."""
    table = frame.copy()
    for column in ("current", "on_time"):
        table[column] = table[column].map({True: "是", False: "否"})
    for column in ("received_at", "merged_at"):
        table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return table.rename(columns=COLUMNS)


def _write_xlsx(table, path: Path, quarter: Quarter) -> None:
    """Rows straight to xlsxwriter in constant_memory mode. 120,000 rows × 28 columns, one run each:
    41.7 s and 355 MB peak RSS, against 55.8 s and 668 MB through pandas' to_excel; xlsxwriter's own
    cell rate is the limit (csv: 2.2 s)."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                           "strings_to_formulas": False, "strings_to_urls": False})
    try:
        ws = book.add_worksheet(f"{quarter.code}填报数据")
        head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "valign": "vcenter"})
        for n, (name, label) in enumerate(COLUMNS.items()):
            ws.set_column(n, n, WIDTHS.get(name, max(8, 2 * len(label) + 2)))
        ws.write_row(0, 0, list(table.columns), head)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, len(table), len(COLUMNS) - 1)
        values = table.astype(object).where(table.notna(), None)  # NaN is a blank cell, not an error
        for r, row in enumerate(values.itertuples(index=False, name=None), start=1):
            ws.write_row(r, 0, row)
    finally:
        book.close()
