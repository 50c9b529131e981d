"""A table that comes out as one cell per line: text copied from a PDF, or from a page whose
table the browser flattens (序号 / 民生实事 / 责任单位 / 完成时限, then 1 / the task / each unit on
its own line / 12月底前, then 2 …).

The header is a run of lines that are all column names; a task starts at a line holding the
next 序号 (1, 2, 3 … in order, so a figure in the text never starts one). When a task has as
many lines as the header has columns after 序号, line i is column i. Otherwise a cell was cut
into lines (units one per line, a row under a merged 序号): each line goes to the column its
content belongs to — unit names to the unit column, a deadline to the time column, the rest
to the task text — in the order written.
"""
from __future__ import annotations

import re

from toolkit.errors import PlanError
from toolkit.model import QUARTER_NAMES, Task
from toolkit.plan import headers as H
from toolkit.plan.pubtable import pick_title, split_published_units, task_from_cells
from toolkit.plan.timing import due_quarter

_UNIT_END = re.compile(r"(?:局|委|办|中心|院|政府|公司|街道|镇|乡|部|会|联|队|所|站|馆|处|厅|团|集团|银行|办事处|管委会|"
                       r"指挥部|分局|支队|大队)(?:（牵头）|\(牵头\))?$")
_TEXT_FIELDS = (H.TARGET, H.NAME)
_TIME = (*QUARTER_NAMES, H.DEADLINE, H.SCHEDULE)
MAX_HEADER = 12
_LOOSE = (None, H.IGNORE, H.MEASURE)  # 领导, 单位, 完成 alone: most likely half of a header cell


def _is_units(line: str) -> bool:
    if line.endswith(("。", "；", ";", "，")):
        return False  # a sentence of the task, though it may end in 中心 or 站
    units, _ = split_published_units(line)
    return len(line) <= 40 and bool(units) and all(_UNIT_END.search(u) for u in units)


def _is_time(line: str) -> bool:
    return len(line) <= 24 and due_quarter(line) is not None and not line.endswith("。")


def _unknown_column(line: str) -> bool:
    """A short label such as 当前进度 among known column names (read, then ignored)."""
    return len(line) <= 10 and not re.search(r"[。，,；;：:\d]", line)


def _join_split_headers(lines: list[str], overrides: dict | None) -> list[str]:
    """A header cell broken over two lines (责任 / 领导, 牵头 / 单位, 完成 / 时限) joined where the two make a
    column name of the synonym table and one half is not a column of its own (项目 / 内容 stay two);
    only before the first `1`."""
    out: list[str] = []
    i = 0
    first = next((k for k, line in enumerate(lines) if line == "1"), len(lines))
    while i < len(lines):
        line = lines[i]
        pair = (H.field_of(line, overrides), H.field_of(lines[i + 1], overrides)) if i + 1 < first else (None, None)
        if i + 1 < first and len(line) <= 4 and len(lines[i + 1]) <= 4 and H.is_synonym(line + lines[i + 1]) \
                and any(f in _LOOSE for f in pair) and not all(f in _TEXT_FIELDS for f in pair):
            out.append(line + lines[i + 1])
            i += 2
            continue
        out.append(line)
        i += 1
    return out


def _header(lines: list[str], overrides: dict | None) -> tuple[int, list[str | None]] | None:
    """(index after the header, field per column) when a run of column names is followed by `1`."""
    for start in range(min(len(lines), 60)):
        fields: list[str | None] = []
        end = start
        while end < len(lines) and len(fields) < MAX_HEADER and not lines[end].isdigit() and \
                (H.field_of(lines[end], overrides) is not None or _unknown_column(lines[end])):
            fields.append(H.field_of(lines[end], overrides))
            end += 1
        if len(fields) >= 3 and fields[0] == H.NO and set(fields) & set(_TEXT_FIELDS) and \
                sum(f is not None for f in fields) >= 3 and \
                end < len(lines) and lines[end] == "1":
            return end, fields
    return None


def cells_per_line(lines: list[str], file: str, overrides: dict | None = None) -> tuple[str, list[Task]]:
    """(title, tasks) from a one-cell-per-line table; PlanError when the text is not one."""
    lines = _join_split_headers([line.strip() for line in lines if line.strip()], overrides)
    found = _header(lines, overrides)
    if found is None:
        raise PlanError(f"{file}：不是逐格分行的表格。")
    start, fields = found
    columns = fields[1:]
    groups: list[list[str]] = []
    expected = 1
    for line in lines[start:]:
        if line == str(expected):
            groups.append([])
            expected += 1
        elif groups:
            groups[-1].append(line)
    tasks = []
    for no, group in enumerate(groups, start=1):
        cells: dict[str, str] = {}
        if len(group) == len(columns):
            placed = list(zip(columns, group))
        else:
            placed = [(_column_of(line, columns), line) for line in group]
        for column, text in placed:
            if column is None or column == H.IGNORE:
                continue
            before = cells.get(column, "")
            sep = "\n" if column in (H.LEADS, H.COS) else "；" if column in _TIME else ""
            cells[column] = before + (sep if before else "") + text
        tasks.append(task_from_cells(no, cells))
    if not tasks:
        raise PlanError(f"{file}：表头之后没有任务行。")
    return pick_title(lines[:start]), tasks


def _column_of(line: str, columns: list[str | None]) -> str | None:
    """The column a line of a cut cell belongs to, by its content."""
    if _is_units(line):
        return next((c for c in columns if c == H.LEADS), None) or next((c for c in columns if c == H.COS), None)
    if _is_time(line):
        return next((c for c in columns if c in _TIME), None)
    return next((c for c in columns if c == H.TARGET), None) or next((c for c in columns if c == H.NAME), None)
