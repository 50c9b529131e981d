"""Issue 22 item 7: 版本变化 and `status -d` name the cell of the field that changed
(a change in 数据说明 at its own cell, not at the row's 累计完成值 cell)."""
from __future__ import annotations

import openpyxl
from click.testing import CliRunner

from tests.returnfile_helpers import DEPT, FIRST_TASK, Q2, cell_of, filled, set_input
from toolkit.cli import main
from toolkit.fillin import layout as L
from toolkit.fillin.layout import indicator_key, task_key
from toolkit.intake.merge import merge
from toolkit.intake.receipt import HEADER_ROW


def test_changed_fields_are_reported_at_their_own_cells(tmp_path, plan, plan_path, each_store):
    ind = plan.indicators_for(DEPT)[0]
    key = indicator_key(ind.task_no, ind.name)
    v1 = filled(tmp_path, plan, "v1.xlsx")
    v2 = set_input(v1, tmp_path / "v2.xlsx", L.INDICATOR_SHEET, key, L.I_NOTE, "含在建项目")
    v2 = set_input(v2, tmp_path / "v2.xlsx", L.PROGRESS_SHEET, task_key(FIRST_TASK), L.P_ISSUES, "资金未到位")
    note_cell = cell_of(v2, L.INDICATOR_SHEET, key, L.I_NOTE)
    issues_cell = cell_of(v2, L.PROGRESS_SHEET, task_key(FIRST_TASK), L.P_ISSUES)
    value_cell = cell_of(v2, L.INDICATOR_SHEET, key, L.I_VALUE)
    assert note_cell != value_cell
    out = tmp_path / "out"
    merge(plan, Q2, out, [v1])
    second = merge(plan, Q2, out, [v2])
    got = {(c.field, c.cell) for c in second.files[0].changes}
    assert got == {("note", f"{L.INDICATOR_SHEET}!{note_cell}"), ("issues", f"{L.PROGRESS_SHEET}!{issues_cell}")}
    for path in (second.report_path, second.run_report_path):
        ws = openpyxl.load_workbook(path)["版本变化"]
        assert {(r[3], r[6]) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)} == {
            ("数据说明", f"{L.INDICATOR_SHEET}!{note_cell}"), ("存在问题", f"{L.PROGRESS_SHEET}!{issues_cell}")}
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(out), "-q", "2019Q2", "-d", DEPT])
    assert f"（{L.INDICATOR_SHEET}!{note_cell}）" in r.output and f"（{L.INDICATOR_SHEET}!{value_cell}）" not in r.output
