"""Issue 22 item 1: a form sent back with nothing typed in is 空表, not a return."""
from __future__ import annotations

from tests.returnfile_helpers import Q2, generate
from tests.sheets_helpers import fill_return
from toolkit.intake.merge import merge
from toolkit.mail.outgoing import remind_targets
from toolkit.store.db import load_quarter
from toolkit.intake.receipt import HEADER_ROW


def test_blank_form_is_rejected_counted_missing_and_reminded(tmp_path, plan):
    import openpyxl
    inbox = tmp_path / "in"
    inbox.mkdir()
    blank = generate(tmp_path, plan, "市水利局")
    (inbox / "市水利局_填报表.xlsx").write_bytes(blank.read_bytes())
    fill_return(generate(tmp_path, plan, "市教育局"), fill_all=True, out=inbox / "市教育局.xlsx")
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [inbox])
    got = {f.department: f.outcome for f in result.files}
    assert got == {"市水利局": "rejected", "市教育局": "accepted"}
    assert "市水利局" in result.missing and "市水利局" not in result.late
    qr = load_quarter(plan, Q2, out)
    assert "市水利局" not in qr.returns
    target = remind_targets(plan, Q2, out)["市水利局"]
    assert target["rejected"] and any("空表" in p for p in target["problems"])
    ws = openpyxl.load_workbook(result.report_path)["未报与迟报"]
    assert ("市水利局", "未报送（收到空表）") in {(r[0], r[1]) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)}
