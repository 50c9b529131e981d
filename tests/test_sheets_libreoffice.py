"""Fill-in workbooks through LibreOffice: a clerk's round trip and the printed page."""
from __future__ import annotations

import re
import subprocess
from datetime import date, datetime

import pytest

from toolkit.fillin import layout as L
from toolkit.fillin.identity import (DEFINED_NAME, META_SHEET_STORE, PROPERTIES, read_identity, read_identity_all,
    read_meta)
from toolkit.fileio.office import convert
from toolkit.returns import QuarterReturns, Return, TaskEntry
from toolkit.fillin.generate import generate_sheets

from tests.sheets_helpers import input_cell, libreoffice_fill, read_inputs, uno_available

EDU = "市教育局"


def test_libreoffice_fill_and_save_as_xlsx_xls_ods(plan, tmp_path, soffice_available):
    if not uno_available():
        pytest.skip("python3-uno is not installed for /usr/bin/python3")
    src = generate_sheets(plan, "2019Q2", tmp_path / "out", [EDU])[0].path
    ind = plan.indicators_for(EDU)[2]
    ikey = L.indicator_key(ind.task_no, ind.name)
    cell = lambda sheet, key, header: input_cell(src, sheet, key, header)  # noqa: E731
    contact = {k: v.split("!")[1] for k, v in read_meta(src).contact.items()}
    edits = [
        (L.PROGRESS_SHEET, cell(L.PROGRESS_SHEET, "T1", L.P_STATUS), "滞后"),
        (L.PROGRESS_SHEET, cell(L.PROGRESS_SHEET, "T1", L.P_PERCENT), 40),
        (L.PROGRESS_SHEET, cell(L.PROGRESS_SHEET, "T1", L.P_PROGRESS), "完成7所学校方案设计，\n4所开工。"),
        (L.PROGRESS_SHEET, cell(L.PROGRESS_SHEET, "T2", L.P_ISSUES), "=SUM(1,2)"),  # text, not a formula
        (L.INDICATOR_SHEET, cell(L.INDICATOR_SHEET, ikey, L.I_VALUE), 12.5),
        (L.PROGRESS_SHEET, contact["填报人"], "王五"),
        (L.PROGRESS_SHEET, contact["联系电话"], "0518-85000001"),
        (L.PROGRESS_SHEET, contact["填报日期"], {"typed": "2019-07-05"}),
    ]
    outputs = libreoffice_fill(src, edits, tmp_path / "lo", stem="clerk renamed it")
    original = read_identity(src)[0]
    expected_stores = {"xlsx": {PROPERTIES, META_SHEET_STORE, DEFINED_NAME},
                       "ods": {PROPERTIES, META_SHEET_STORE, DEFINED_NAME},
                       "xls": {META_SHEET_STORE}}
    for fmt, path in outputs.items():
        found = read_identity_all(path)
        assert {s for s, v in found.items() if v == original} == expected_stores[fmt], fmt
        assert read_identity(path)[0] == original
        values = read_inputs(path)
        t1 = values["tasks"]["T1"]
        assert (t1[L.P_STATUS], t1[L.P_PERCENT]) == ("滞后", 40), fmt
        assert t1[L.P_PROGRESS] == "完成7所学校方案设计，\n4所开工。", fmt
        assert values["tasks"]["T2"][L.P_ISSUES] == "=SUM(1,2)", fmt
        assert values["indicators"][ikey][L.I_VALUE] == 12.5, fmt
        assert values["tasks"]["T3"][L.P_STATUS] == "", fmt
        contact = values["contact"]
        assert (contact["填报人"], contact["联系电话"]) == ("王五", "0518-85000001"), fmt
        assert contact["填报日期"] in (date(2019, 7, 5), datetime(2019, 7, 5)), fmt
    import openpyxl
    wb = openpyxl.load_workbook(outputs["xlsx"])
    assert wb[L.META_SHEET].sheet_state in ("hidden", "veryHidden")
    ws = wb[L.PROGRESS_SHEET]
    assert ws.protection.sheet and len(ws.data_validations.dataValidation) >= 5


def _pages(pdf) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def test_pdf_has_every_column_on_one_page_width(plan, tmp_path, soffice_available):
    """The widest layout (with last quarter's column) of the department with the most rows."""
    dept = "市住建局"
    previous = QuarterReturns("2019Q1", plan.department_names(), {dept: Return(
        dept, "2019Q1", datetime(2019, 4, 9), True, "0" * 64, "q1.xlsx",
        tasks=[TaskEntry(t.no, dept, r, "序时推进", 30, "按计划推进。" * 20) for t, r in plan.tasks_for(dept)])})
    src = generate_sheets(plan, "2019Q2", tmp_path / "out", [dept], previous=previous)[0].path
    pdf = convert(src, "pdf", tmp_path / "pdf")
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # landscape
    pages = _pages(pdf)
    assert "填报说明" in pages[0]
    table_pages = pages[1:]
    assert len(table_pages) >= 2
    compact = [re.sub(r"\s+", "", p) for p in table_pages]
    progress = [p for p in compact if "本季度序时进度安排" in p]
    indicator = [p for p in compact if "本季度末序时目标" in p]
    assert progress and indicator and len(progress) + len(indicator) == len(table_pages)
    for page in progress:  # header repeated, first and last columns on the same page
        assert all(h in page for h in ("序号", "上季度报送进展", "下一步计划"))
        assert dept in page and re.search(r"第\d+页共\d+页", page)
    for page in indicator:
        assert all(h in page for h in ("序号", "上季度末累计", "数据说明"))
