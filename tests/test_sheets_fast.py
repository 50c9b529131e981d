"""The fast fill-in writer (toolkit.fillin.fastxlsx) against xlsxwriter itself (issue 17).

Every unit's workbook is generated twice, by `generate_sheets` with plain xlsxwriter.Workbook
and with FastWorkbook, with the clock, the file ids and the run time held still; the two files
must be the same bytes (and, for a readable failure, the same parts). Plans: the bundled one
(Q2, and Q3 with last quarter's returns, contacts and hostile answer texts), a national-shape
plan (every indicator broken down over every unit; Q2 and the year-end Q4), and unit names
that need XML escaping, whitespace keeping, _xHHHH_ escapes, that equal a string the workbook
already holds, or look like a rich string (which sends the shared strings back to xlsxwriter).
"""
from __future__ import annotations

import dataclasses
import io
import itertools
import zipfile
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import xlsxwriter
import xlsxwriter.core

from benchmarks.synth import national_plan
from toolkit.fillin import fastxlsx as F
from toolkit.fillin import generate as G
from toolkit.model import Department, Plan
from toolkit.returns import IndicatorEntry, QuarterReturns, Return, TaskEntry


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime(2019, 7, 1, 9, 30, 0, tzinfo=tz)


@pytest.fixture
def still(monkeypatch):
    """Hold the clock (generated_at, docProps/core.xml) and make file ids repeatable per run."""
    monkeypatch.setattr(G, "datetime", _Frozen)
    monkeypatch.setattr(xlsxwriter.core, "datetime", _Frozen)

    def reset():
        counter = itertools.count(1)
        monkeypatch.setattr(G, "uuid", SimpleNamespace(uuid4=lambda: SimpleNamespace(hex=f"{next(counter):032x}")))
    return reset


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {i.filename: z.read(i) for i in z.infolist()}


def _both_ways(still, monkeypatch, tmp_path, plan, quarter, **kw) -> int:
    """Generate every unit with xlsxwriter and with FastWorkbook; assert the same files. Returns the count."""
    made = {}
    for name, cls in (("plain", xlsxwriter.Workbook), ("fast", F.FastWorkbook)):
        monkeypatch.setattr(G, "WORKBOOK", cls)
        still()
        made[name] = {s.department: s.path.read_bytes()
                      for s in G.generate_sheets(plan, quarter, tmp_path / name, **kw)}
    assert made["plain"].keys() == made["fast"].keys() and made["plain"]
    for dept, plain in made["plain"].items():
        fast = made["fast"][dept]
        if fast != plain:
            a, b = _parts(plain), _parts(fast)
            assert list(a) == list(b), dept
            for part in a:
                assert a[part] == b[part], f"{dept}: {part} differs"
            pytest.fail(f"{dept}: same parts, different zip container")
    return len(made["plain"])


def test_bundled_plan_every_unit(plan, still, monkeypatch, tmp_path):
    assert _both_ways(still, monkeypatch, tmp_path, plan, "2019Q2") == len(plan.department_names())


def test_bundled_plan_with_last_quarter(plan, still, monkeypatch, tmp_path):
    returns = {}
    hostile = ["完成方案设计 & 招标 <一期>", "  前有空格", "后有空格  ", "含_x0041_字样\n第二行", "控制\x07字符", "滞后"]
    for i, dept in enumerate(plan.department_names()[:8]):
        tasks = [TaskEntry(t.no, dept, role, "滞后", 20 + i, hostile[(i + k) % len(hostile)])
                 for k, (t, role) in enumerate(plan.tasks_for(dept)[:3])]
        inds = [IndicatorEntry(ind.task_no, ind.name, dept, [6, 1 / 3, 1e20, -0.0][k % 4])
                for k, ind in enumerate(plan.indicators_for(dept)[:4])]
        returns[dept] = Return(dept, "2019Q2", datetime(2019, 7, 8), True, "0" * 64, "a.xlsx",
                               contact={"填报人": hostile[i % len(hostile)], "联系电话": "0518-1234"},
                               tasks=tasks, indicators=inds)
    previous = QuarterReturns("2019Q2", plan.department_names(), returns)
    _both_ways(still, monkeypatch, tmp_path, plan, "2019Q3", previous=previous)


@pytest.mark.parametrize("quarter", ["2019Q2", "2019Q4"])
def test_national_plan_every_unit(still, monkeypatch, tmp_path, quarter):
    plan = national_plan(12, tasks=20, indicators=60)
    assert _both_ways(still, monkeypatch, tmp_path, plan, quarter) == 12


def _renamed(plan: Plan, names: list[str]) -> Plan:
    new = dict(zip(plan.department_names(), names))
    tasks = [dataclasses.replace(t, leads=tuple(new[u] for u in t.leads), cos=tuple(new[u] for u in t.cos))
             for t in plan.tasks]
    shares = [dataclasses.replace(s, unit=new[s.unit]) for s in plan.breakdown]
    departments = [Department(new[d.name]) for d in plan.departments]
    return Plan(plan.settings, tasks, plan.indicators, departments, breakdown=shares)


def test_unit_names_that_need_care(still, monkeypatch, tmp_path):
    names = ["甲&乙<联合>办公室", " 前后空格 ", "牵头", "序号", "单位_x0041_", "<r>富文本</r>", '引号"单位',
             "很长的单位名称" * 6]  # the guide rows grow with the name
    plan = _renamed(national_plan(len(names), tasks=6, indicators=12), names)
    assert _both_ways(still, monkeypatch, tmp_path, plan, "2019Q2") == len(names)


def test_fast_path_off_gives_the_same_files(still, monkeypatch, tmp_path):
    monkeypatch.setattr(F, "ENABLED", False)
    _both_ways(still, monkeypatch, tmp_path, national_plan(3, tasks=4, indicators=8), "2019Q2")


# ---------------------------------------------------------------- cells the fill-in sheets never write

def _sheet(cls, build, monkeypatch) -> bytes:
    monkeypatch.setattr(xlsxwriter.core, "datetime", _Frozen)
    out = io.BytesIO()
    wb = cls(out, {"in_memory": True})
    build(wb)
    wb.close()
    return out.getvalue()


def _file_both_ways(tmp_path, monkeypatch, build) -> None:
    files = {}
    for cls in (xlsxwriter.Workbook, F.FastWorkbook):
        path = tmp_path / f"{cls.__name__}.xlsx"
        monkeypatch.setattr(xlsxwriter.core, "datetime", _Frozen)
        wb = cls(str(path), {"in_memory": True})
        build(wb)
        wb.close()
        files[cls] = path.read_bytes()
    assert _parts(files[xlsxwriter.Workbook]) == _parts(files[F.FastWorkbook])
    assert files[xlsxwriter.Workbook] == files[F.FastWorkbook]


def test_row_and_column_attributes(tmp_path, monkeypatch):
    def build(wb):
        ws, bold, grey = wb.add_worksheet("表"), wb.add_format({"bold": True}), wb.add_format({"bg_color": "#EEEEEE"})
        ws.set_column(2, 2, 12, grey)
        ws.set_row(0, 30, bold)
        ws.set_row(3, None, None, {"hidden": True, "level": 2, "collapsed": True})
        ws.set_row(40, 18)  # attributes only, no cells
        ws.set_default_row(16)
        for r in range(0, 60, 3):
            ws.write_string(r, r % 5, f"第{r}行 & <x>")
            ws.write_number(r, 5, r / 7)
            ws.write_number(r + 1, 7, [1e20, -0.0, 3, 0.1 + 0.2, 12345678901234567890][r % 5])
            ws.write_blank(r + 1, 2, None)  # no format: nothing stored
            ws.write_blank(r + 2, 2, None, bold)
        ws.write("J5", "A1 写法")  # A1 notation goes through xlsxwriter's wrapper
        ws.write_string(70, 0, "")  # empty string
        ws.write_number(71, 16383, 1)
        assert ws.write_string(1048576, 0, "越界") == -1 and ws.write_number(0, 16384, 1) == -1
        assert ws.write_string(72, 0, "长" * 40000) == -2  # truncated by xlsxwriter
    _file_both_ways(tmp_path, monkeypatch, build)


def test_cells_the_fast_loop_hands_back(tmp_path, monkeypatch):
    def build(wb):
        ws, other = wb.add_worksheet(), wb.add_worksheet()
        ws.write_formula(0, 0, "=1+1", None, 2)
        ws.write_boolean(1, 0, True)
        ws.write_datetime(2, 0, datetime(2019, 7, 1), wb.add_format({"num_format": "yyyy-mm-dd"}))
        ws.write_rich_string(3, 0, "普通", wb.add_format({"bold": True}), "加粗")
        ws.write_comment(4, 0, "批注")
        ws.write_number(5, 0, float("nan")) if wb.nan_inf_to_errors else None
        other.write_string(0, 0, "<r>像富文本</r>")  # a plain string xlsxwriter treats as rich
        other.write_number(1, 0, 2.5)
    _file_both_ways(tmp_path, monkeypatch, build)


def test_zip_is_zipfiles(tmp_path):
    files = [("[Content_Types].xml", b"<a/>" * 100), ("xl/空.xml", b""), ("docProps/app.xml", bytes(range(256)))]
    F.write_zip(str(tmp_path / "fast.zip"), files)
    with zipfile.ZipFile(tmp_path / "plain.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in files:
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    assert (tmp_path / "fast.zip").read_bytes() == (tmp_path / "plain.zip").read_bytes()
    F.write_zip(str(tmp_path / "again.zip"), files)  # the remembered deflate of the same bytes
    assert (tmp_path / "again.zip").read_bytes() == (tmp_path / "plain.zip").read_bytes()
    assert datetime.now(timezone.utc)  # (module import check for the frozen clock helper)


def test_write_cells_is_the_cell_by_cell_calls(tmp_path, monkeypatch):
    """fastxlsx.write_cells (a row at once on a FastWorksheet) against the same cells written one
    by one on xlsxwriter's Worksheet: ordinary rows and every cell it hands back."""
    answers = []

    def build(wb):
        ws, fmt = wb.add_worksheet("行"), wb.add_format({"bold": True})
        codes: list = []
        for r in range(3, 40):
            codes += F.write_cells(ws, r, [(0, r, fmt), (2, f"第{r % 7}行", None), (1, None, fmt), (5, r / 3, None),
                                           (4, "共用", fmt)], 15 + r % 4)
        codes += F.write_cells(ws, 41, [(3, "长" * 40000, fmt), (1, 2.5, None), (2, True, fmt),
                                        (6, None, None), (16384, "越界", fmt), (7, "后", fmt)], 0)
        codes += F.write_cells(ws, 1048576, [(0, "越界行", fmt)], 20)
        codes += F.write_cells(ws, 42, [], 12.5)
        codes += F.write_cells(ws, 43, [(8, 12345678901234567890, fmt), (9, -0.0, None)])
        answers.append(codes)
    _file_both_ways(tmp_path, monkeypatch, build)
    assert answers[0] == answers[1] == [(3, -2), (16384, -1), (0, -1)]
