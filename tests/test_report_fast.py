"""The report's fast row writer (toolkit.render.report_fast) against xlsxwriter itself (issue 17d).

The report is written twice from the same merged store, with plain xlsxwriter.Workbook and with
RowWorkbook, the clock held (generated_at and docProps/core.xml); the two files must be the same
bytes (and, for a readable failure, the same parts). Stores: the bundled plan with real returns
(generated, filled as a clerk would — texts that need XML escaping, _xHHHH_
escapes, a quote prefix, a cut — and merged), its year-end quarter, and a national-shape plan (every
indicator broken down over every unit). Then one sheet written cell by cell both ways with what the
fast path hands back to xlsxwriter (formulas, rich strings, booleans, comments, A1 notation, earlier
rows, out of range) and what it keeps (row and column formats, hidden rows, odd numbers).
"""
from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
import xlsxwriter
import xlsxwriter.core

from benchmarks.synth import answers, national_plan
from toolkit.demo.simulate import fill_return
from toolkit.fillin import layout as L
from toolkit.fillin.generate import generate_sheets
from toolkit.intake.merge import merge
from toolkit.quarter import parse_quarter
from toolkit.render import report as R
from toolkit.render import report_fast as F

AT = datetime(2019, 7, 10, 9, 30)
HOSTILE = ["甲&乙<丙>丁\"戊", "  前后空格  ", "_x0041_ 不是转义", "响铃_x0007_字符", "-1 减号开头", "@SUM(A1)",
           "第一行\n第二行", "<r>像富文本</r>", "很长" * 10000, "\t制表开头"]


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2019, 7, 10, 9, 30, 0, tzinfo=tz)


@pytest.fixture
def still(monkeypatch):
    monkeypatch.setattr(xlsxwriter.core, "datetime", _Frozen)


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _both_ways(monkeypatch, plan, quarter, out: Path) -> bytes:
    made = {}
    for name, cls in (("plain", xlsxwriter.Workbook), ("fast", F.RowWorkbook)):
        monkeypatch.setattr(R, "WORKBOOK", cls)
        made[name] = R.build_report(plan, quarter, out, generated_at=AT).path.read_bytes()
    plain, fast = _parts(made["plain"]), _parts(made["fast"])
    assert list(plain) == list(fast)
    assert [p for p in plain if plain[p] != fast[p]] == []
    assert made["plain"] == made["fast"]
    return made["fast"]


def _merged(plan, quarter: str, out: Path, answer) -> None:
    inbox = out / "inbox"
    inbox.mkdir(parents=True)
    for g in generate_sheets(plan, quarter, out / "gen"):
        tasks, inds = answer(g.department)
        fill_return(g.path, tasks=tasks, indicators=inds, fill_all=True, out=inbox / g.path.name)
    result = merge(plan, quarter, out, [inbox])
    assert result.ok, [p.message for f in result.files for p in f.problems]


def _hostile(plan):
    def answer(dept):
        tasks = {}
        for k, (task, _role) in enumerate(plan.tasks_for(dept)):
            text = HOSTILE[(k + len(dept)) % len(HOSTILE)]
            tasks[task.no] = {L.P_PROGRESS: text, L.P_ISSUES: HOSTILE[(k + 3) % len(HOSTILE)]}
        return tasks, {}
    return answer


@pytest.mark.parametrize("quarter", ["2019Q2", "2019Q4"])
def test_bundled_plan_report_is_the_same_bytes(plan, quarter, tmp_path, monkeypatch, still):
    _merged(plan, quarter, tmp_path, _hostile(plan))
    data = _both_ways(monkeypatch, plan, quarter, tmp_path)
    sheets = [v for k, v in _parts(data).items() if k.startswith("xl/worksheets/sheet")]
    joined = b"".join(sheets)
    for seen in (b"&amp;", b"&lt;r&gt;", b"inlineStr", "很长很长".encode(), "第一行\n第二行".encode()):
        assert seen in joined


def test_national_shape_report_is_the_same_bytes(tmp_path, monkeypatch, still):
    plan = national_plan(6, tasks=12, indicators=20)
    q = parse_quarter("2019Q2", plan.settings.year)
    _merged(plan, "2019Q2", tmp_path, lambda dept: answers(plan, dept, q.q)[:2])
    data = _both_ways(monkeypatch, plan, "2019Q2", tmp_path)
    assert len([p for p in _parts(data) if p.startswith("xl/worksheets/sheet")]) > 7  # the 分解 sheets too


def _sheet_ops(ws, wb):
    bold, fill = wb.add_format({"bold": True}), wb.add_format({"bg_color": "#FFEEEE"})
    codes = [ws.set_column(2, 2, 12, fill), ws.set_row(0, 30, bold), ws.write_string(0, 0, "行格式")]
    codes += [ws.write_blank(0, 1, None, fill), ws.write_blank(0, 4, None), ws.write_number(0, 2, 1e20)]
    ws.set_row(1, None, None, {"hidden": True, "level": 1})
    codes += [ws.write_number(1, 2, -0.0), ws.write_number(1, 3, 1 / 7, bold), ws.write_number(1, 5, 12345678901234567890)]
    ws.set_row(2, 40)  # a row with attributes only
    codes += [ws.write_string(3, 0, "  空格  "), ws.write_string(3, 1, "_x0041_\x01"), ws.write_string(3, 2, "")]
    codes += [ws.write_string(4, 0, "<r>x</r>"), ws.write_formula(4, 1, "=1+1", None, 2), ws.write_boolean(4, 2, True)]
    codes += [ws.write("A6", "A1 写法"), ws.write_number(5, 1, 7), ws.write_string(5, 2, "x" * 40000)]
    codes += [ws.write_string(4, 0, "已写过的行"), ws.write_number(2_000_000, 0, 1), ws.write_string(6, 20_000, "界外")]
    ws.write_comment(7, 0, "批注")
    codes += [ws.write_string(7, 0, "有批注"), ws.write_rich_string(8, 0, "富", bold, "文本"), ws.write_string(8, 1, "同行")]
    codes += [ws.write_number(9, 0, 3, bold), ws.write_blank(9, 1, "", bold)]
    ws.set_row(11, 20)
    return codes


def test_one_sheet_cell_by_cell_is_the_same_bytes(tmp_path, still):
    made = {}
    for name, cls in (("plain", xlsxwriter.Workbook), ("fast", F.RowWorkbook)):
        path = tmp_path / f"{name}.xlsx"
        wb = cls(str(path), R.WORKBOOK_OPTIONS)
        codes = _sheet_ops(wb.add_worksheet("甲"), wb)
        _sheet_ops(wb.add_worksheet("乙"), wb)
        wb.close()
        made[name] = (codes, path.read_bytes())
    assert made["plain"][0] == made["fast"][0]
    assert -1 in made["fast"][0] and -2 in made["fast"][0]
    plain, fast = _parts(made["plain"][1]), _parts(made["fast"][1])
    assert [p for p in plain if plain[p] != fast[p]] == []
    assert made["plain"][1] == made["fast"][1]


def test_the_report_uses_the_fast_rows():
    assert R.WORKBOOK is F.RowWorkbook and F.RowWorkbook.worksheet_class is F.RowWorksheet
