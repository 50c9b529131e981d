"""What the toolkit is compared with, on the same files in the same run.

  naive_merge   what a user would otherwise script: openpyxl `load_workbook` of each
                file, every sheet read cell by cell, the two data tables into pandas,
                one `pd.concat` at the end. No validation, no identity, no store.
  raw_read      the floor: python-calamine alone reading the sheets the merge reads
                (progress, indicator, hidden identity sheet) into Python lists. No checks.
  plain_write   the generation floor: xlsxwriter writing the same cells with the same
                formats, widths and heights, but no protection, no data validation, no
                defined name, no custom properties.
"""
from __future__ import annotations

from pathlib import Path

from toolkit.fillin import layout as L


def naive_merge(files: list[Path]) -> dict:
    """Read every file the naive way; returns the frames' row counts (keyed rows only)."""
    import openpyxl
    import pandas as pd

    tables: dict[str, list] = {L.PROGRESS_SHEET: [], L.INDICATOR_SHEET: []}
    cells = 0
    for path in files:
        wb = openpyxl.load_workbook(path)
        unit = Path(path).name.split("_", 1)[0]
        for ws in wb.worksheets:
            rows = [[ws.cell(r, c).value for c in range(1, ws.max_column + 1)]
                    for r in range(1, ws.max_row + 1)]
            cells += sum(len(r) for r in rows)
            if ws.title in tables and len(rows) >= L.HEADER_ROW:
                header = [str(h) if h is not None else f"col{i}" for i, h in enumerate(rows[L.HEADER_ROW - 1])]
                frame = pd.DataFrame(rows[L.HEADER_ROW:], columns=header)
                frame["_source"] = unit
                tables[ws.title].append(frame)
        wb.close()
    counts = {}
    for title, frames in tables.items():
        data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        counts[title] = int(data[L.ROW_KEY_HEADER].notna().sum()) if L.ROW_KEY_HEADER in data else 0
    return {"task_rows": counts[L.PROGRESS_SHEET], "indicator_rows": counts[L.INDICATOR_SHEET], "cells": cells}


def raw_read(files: list[Path]) -> dict:
    """python-calamine only: the three sheets the merge reads, values into lists, no checks."""
    from python_calamine import CalamineWorkbook

    wanted = (L.PROGRESS_SHEET, L.INDICATOR_SHEET, L.META_SHEET)
    counts = {name: 0 for name in wanted}
    cells = 0
    for path in files:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wanted:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cells += sum(len(r) for r in rows)
            if name != L.META_SHEET:
                key_col = rows[L.HEADER_ROW - 1].index(L.ROW_KEY_HEADER) if rows else -1
                counts[name] += sum(1 for r in rows[L.HEADER_ROW:] if key_col >= 0 and r[key_col] not in ("", None))
        wb.close()
    return {"task_rows": counts[L.PROGRESS_SHEET], "indicator_rows": counts[L.INDICATOR_SHEET], "cells": cells}


def plain_write(plan, quarter, out_dir: Path) -> int:
    """Write every unit's workbook with plain xlsxwriter (see module docstring); returns files written."""
    import xlsxwriter

    from toolkit.fillin.generate import WORKBOOK_OPTIONS, _indicator_owners, select_departments, tasks_by_department

    out_dir.mkdir(parents=True, exist_ok=True)
    owners = _indicator_owners(plan)
    roles = tasks_by_department(plan)
    names = select_departments(plan, None)
    q = quarter.q
    for i, dept in enumerate(names):
        wb = xlsxwriter.Workbook(str(out_dir / f"{i}.xlsx"), WORKBOOK_OPTIONS)
        title = wb.add_format({"bold": True, "font_size": 16, "align": "center"})
        head = wb.add_format({"bold": True, "border": 1, "text_wrap": True, "align": "center", "bg_color": "#DDEBF7"})
        text = wb.add_format({"text_wrap": True, "border": 1, "valign": "top"})
        number = wb.add_format({"border": 1, "num_format": "0.##"})
        entry = wb.add_format({"border": 1, "bg_color": "#FFF2CC", "text_wrap": True})
        guide = wb.add_worksheet(L.GUIDE_SHEET)
        guide.set_column(0, 0, 16)
        guide.set_column(1, 1, 110)
        guide.write_string(0, 0, f"{dept}{quarter.label}民生实事进展填报说明", title)
        for r in range(2, 12):
            guide.write_string(r, 0, "填写方法", head)
            guide.write_string(r, 1, "只填写黄色单元格；其余单元格是计划内容。" * 6, text)
        _table(wb.add_worksheet(L.PROGRESS_SHEET), dept, quarter,
               [*L.PROGRESS_LOCKED, *L.PROGRESS_INPUTS, L.ROW_KEY_HEADER], len(L.PROGRESS_INPUTS),
               [[t.no, t.name, t.target, role, t.milestones[q - 1], None, None, None, None, None, L.task_key(t.no)]
                for t, role in roles.get(dept, [])], (title, head, text, number, entry))
        _table(wb.add_worksheet(L.INDICATOR_SHEET), dept, quarter,
               [*L.INDICATOR_LOCKED, *L.INDICATOR_INPUTS, L.ROW_KEY_HEADER], len(L.INDICATOR_INPUTS),
               [[ind.task_no, ind.name, ind.unit, ind.target, round(ind.planned_at(q), 4), None, None,
                 L.indicator_key(ind.task_no, ind.name)] for ind in owners.get(dept, [])],
               (title, head, text, number, entry))
        meta = wb.add_worksheet(L.META_SHEET)
        lines = [(k, "x" * 16) for k in L.META_KEYS] + [(f"row.{L.PROGRESS_SHEET}", L.task_key(t.no), str(n))
                                                      for n, (t, _) in enumerate(roles.get(dept, []), 5)]
        for r, line in enumerate(lines):
            for c, value in enumerate(line):
                meta.write_string(r, c, value)
        meta.hide()
        wb.close()
    return len(names)


def _table(ws, dept, quarter, headers, n_inputs, rows, formats) -> None:
    title, head, text, number, entry = formats
    ws.write_string(0, 0, f"{quarter.label}民生实事进展填报表", title)
    ws.write_string(1, 0, f"填报单位：{dept}　　　填报季度：{quarter.label}", text)
    for c, label in enumerate(("填报人：", "", "联系电话：", "", "填报日期：", "", "审核人：", "")):
        ws.write_string(2, c, label, text) if label else ws.write_blank(2, c, None, entry)
    first_input = len(headers) - 1 - n_inputs
    for c, h in enumerate(headers):
        ws.write_string(L.HEADER_ROW - 1, c, h, head)
        ws.set_column(c, c, 30 if c in (1, 2, 4) else 12)
    for r, row in enumerate(rows, start=L.HEADER_ROW):
        for c, value in enumerate(row):
            if value is None:
                ws.write_blank(r, c, None, entry if first_input <= c < len(headers) - 1 else text)
            elif isinstance(value, str):
                ws.write_string(r, c, value, text)
            else:
                ws.write_number(r, c, value, number)
        ws.set_row(r, 60)
