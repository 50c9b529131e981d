"""Fill a generated fill-in workbook the way a clerk would: only the input cells.

Used by `plankit demo` to simulate the departments' returns, and by the tests.
Everything else in the workbook (protection, validation, identity) is kept;
writing to a locked cell is refused, so a simulation can never take a shortcut
that a real clerk could not.
"""
from __future__ import annotations

from pathlib import Path

from toolkit.fillin import layout as L

DEFAULT_TASK = {L.P_STATUS: "序时推进", L.P_PERCENT: 50, L.P_PROGRESS: "按序时进度推进。",
                L.P_ISSUES: "无", L.P_NEXT: "继续按计划推进。"}
# In a year-end (Q4) workbook, whose drop-down has no 序时推进: the task is done.
DEFAULT_YEAR_TASK = {**DEFAULT_TASK, L.P_STATUS: "已完成", L.P_PERCENT: 100, L.P_PROGRESS: "全年目标任务已完成。"}
DEFAULT_CONTACT = {"填报人": "张三", "联系电话": "0518-85000000", "审核人": "李四"}


def _offers(ws, word: str) -> bool:
    """True when a drop-down on the sheet offers `word` (or the sheet has no drop-down)."""
    lists = [dv.formula1 or "" for dv in ws.data_validations.dataValidation if dv.type == "list"]
    return not lists or any(word in f for f in lists)


def _task_key(key) -> str:
    return L.task_key(key) if isinstance(key, int) else str(key)


def _indicator_key(key: str) -> str:
    return key if key.startswith(L.INDICATOR_KEY_PREFIX) else f"{L.INDICATOR_KEY_PREFIX}{key}"


def _table(ws):
    """(header -> column index, row key -> sheet row) of a data sheet, found the way a person would."""
    headers = {str(c.value).strip(): c.column for c in ws[L.HEADER_ROW] if c.value not in (None, "")}
    key_col = headers[L.ROW_KEY_HEADER]
    rows = {}
    for r in range(L.HEADER_ROW + 1, ws.max_row + 1):
        key = ws.cell(r, key_col).value
        if key:
            rows[str(key)] = r
    return headers, rows


def _put(ws, row: int, col: int, value, what: str) -> None:
    cell = ws.cell(row, col)
    if cell.protection.locked:
        raise ValueError(f"{ws.title}!{cell.coordinate} ({what}) is not an input cell")
    cell.value = value


def _fill_rows(ws, headers: dict, rows: dict, wanted: dict, inputs: tuple[str, ...], path: Path) -> None:
    """Write {row key: {input header: value}} into a data sheet; unknown keys or headers raise."""
    for key, values in wanted.items():
        if key not in rows:
            raise KeyError(f"no row {key!r} on {ws.title} in {path.name}")
        for header, value in values.items():
            if header not in inputs:
                raise ValueError(f"{header!r} is not an input column of {ws.title}")
            _put(ws, rows[key], headers[header], value, header)


def fill_return(path: Path, *, tasks: dict | None = None, indicators: dict | None = None,
                contact: dict[str, object] | None = None, fill_all: bool = False,
                out: Path | None = None) -> Path:
    """Fill the input cells of a generated workbook with openpyxl and save it; returns the saved path.

    :param tasks: {task no or "T3": {layout.P_STATUS: "滞后", layout.P_PERCENT: 40, ...}} (input headers only)
    :param indicators: {"3:指标名称" or "I3:指标名称": value or {layout.I_VALUE: 12, layout.I_NOTE: "..."}}
    :param contact: {"填报人": "张三", "联系电话": ..., "填报日期": date(2019, 7, 5), "审核人": ...}
    :param fill_all: also fill every row not named, with DEFAULT_TASK and the row's 本季度末序时目标,
                     and the contact block with DEFAULT_CONTACT (plus 填报日期 today) where not given
    :param out: save here (default: overwrite `path`)

    Everything else in the workbook (protection, validation, identity) is kept. Writing to a
    locked cell raises ValueError; an unknown row key raises KeyError.
    """
    import datetime

    import openpyxl
    path = Path(path)
    wb = openpyxl.load_workbook(path)
    ws = wb[L.PROGRESS_SHEET]
    headers, rows = _table(ws)
    wanted = {_task_key(k): v for k, v in (tasks or {}).items()}
    if fill_all:
        default = DEFAULT_TASK if _offers(ws, str(DEFAULT_TASK[L.P_STATUS])) else DEFAULT_YEAR_TASK
        wanted = {**wanted, **{key: {**default, **wanted.get(key, {})} for key in rows}}
    _fill_rows(ws, headers, rows, wanted, L.PROGRESS_INPUTS, path)

    ws = wb[L.INDICATOR_SHEET]
    headers, rows = _table(ws)
    wanted_i = {_indicator_key(k): (v if isinstance(v, dict) else {L.I_VALUE: v})
                for k, v in (indicators or {}).items()}
    if fill_all:
        for key, r in rows.items():
            wanted_i.setdefault(key, {L.I_VALUE: ws.cell(r, headers[L.I_PLANNED]).value or 0})
    _fill_rows(ws, headers, rows, wanted_i, L.INDICATOR_INPUTS, path)

    fields = dict(contact or {})
    if fill_all:
        fields = {**DEFAULT_CONTACT, "填报日期": datetime.date.today(), **fields}
    cells = contact_cells(wb[L.PROGRESS_SHEET])
    for name, value in fields.items():
        row, col = cells[name]
        _put(wb[L.PROGRESS_SHEET], row, col, value, name)
    target = Path(out) if out else path
    wb.save(target)
    return target


def contact_cells(ws) -> dict[str, tuple[int, int]]:
    """Contact field -> (row, column) of its input cell: the cell right after the label (or its merge)."""
    merged_end = {(m.min_row, m.min_col): m.max_col for m in ws.merged_cells.ranges}
    cells = {}
    for row in ws.iter_rows(min_row=1, max_row=L.HEADER_ROW - 1):
        for c in row:
            label = str(c.value or "").strip().rstrip("：:")
            if label in L.CONTACT_FIELDS:
                cells[label] = (c.row, merged_end.get((c.row, c.column), c.column) + 1)
    return cells
