"""Issue 19, third pass: a task renumbered after the sheets went out, the 填报日期 range check,
long attachment names in notes, and the cases of the third hostile pass that failed."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests import returnfile_helpers as H
from tests.sheets_helpers import fill_return
from toolkit.intake.merge import merge
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter

Q2 = Quarter(2019, 2)
FIXTURES = Path(__file__).parent / "fixtures" / "hostile"


# -- item 1: a task renumbered in the plan after the sheets went out ----------------------------

def _renumbered(plan):
    """The plan with a new task (of another department) inserted before 市住建局's first task:
    that task and every later one move up by one."""
    first = plan.tasks_for(H.DEPT)[0][0]
    other = next(d for d in plan.department_names() if d != H.DEPT)
    new = dataclasses.replace(first, name="新增的一项民生实事", target="新增目标", leads=(other,), cos=())
    tasks = []
    for t in plan.tasks:
        if t.no == first.no:
            tasks.append(new)
        tasks.append(dataclasses.replace(t, no=t.no + 1) if t.no >= first.no else t)
    inds = [dataclasses.replace(i, task_no=i.task_no + 1) if i.task_no >= first.no else i for i in plan.indicators]
    shifted = dataclasses.replace(plan, tasks=tasks, indicators=inds, _fingerprint="", _units=(), _split=(),
                                  earlier={})
    assert shifted.fingerprint != plan.fingerprint
    return shifted, first


def _baseline(plan, tmp_path: Path, sheet: Path):
    out = tmp_path / "base"
    (tmp_path / "bin").mkdir()
    merge(plan, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "bin" / "r.xlsx")])
    r = load_quarter(plan, Q2, out).returns[H.DEPT]
    return r


@pytest.mark.parametrize("kept_copy", [False, True], ids=["no-kept-copy", "kept-copy"])
def test_real_a_task_renumbered_after_the_sheets_went_out_is_stored_under_its_new_number(tmp_path, plan, kept_copy):
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / "out"
    [sheet] = generate_sheets(plan, Q2, out, departments=[H.DEPT])
    if not kept_copy:
        shutil.rmtree(store_dir(plan, out) / "plans")
    base = _baseline(plan, tmp_path, sheet.path)
    shifted, first = _renumbered(plan)
    (tmp_path / "in").mkdir()
    result = merge(shifted, Q2, out, [fill_return(sheet.path, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-task-renumbered"]
    assert f"任务{first.no}（{first.name[:10]}" in note.message and f"现为任务{first.no + 1}" in note.message
    assert "return-old-plan" not in [p.code for p in f.problems]
    got = load_quarter(shifted, Q2, out).returns[H.DEPT]
    moved = {no: no + 1 if no >= first.no else no for no in range(1, 1000)}
    assert sorted((moved[t.task_no], t.status, t.percent, t.progress) for t in base.tasks) == \
        sorted((t.task_no, t.status, t.percent, t.progress) for t in got.tasks)
    assert sorted((moved[i.task_no], i.name, i.value) for i in base.indicators) == \
        sorted((i.task_no, i.name, i.value) for i in got.indicators)
    assert {t.task_no for t in got.tasks} == {t.no for t, _ in shifted.tasks_for(H.DEPT)}


# -- item 2: the 填报日期 is range-checked (a warning naming the cell, never a rejection) --------

def _with_fill_date(src: Path, out: Path, value) -> tuple[Path, str]:
    import openpyxl
    wb = openpyxl.load_workbook(src)
    ws = wb["进展填报"]
    for row in ws.iter_rows(max_row=6):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().rstrip(":：") == "填报日期":
                target = next(c for c in row[cell.column:cell.column + 5] if c.value is not None)
                target.value = value
                ref = target.coordinate
                wb.save(out)
                return out, ref
    raise AssertionError("no 填报日期 label")


@pytest.mark.parametrize("value,why", [
    ("2091-07-05", "晚于今天"),
    ("2017-07-05", "比2019年第二季度开始早一年以上"),
    ("2019-07-05", ""),
    ("2018-12-20", ""),  # early but within a year: an old habit, not worth a word
])
def test_a_fill_date_in_the_future_or_years_early_is_a_warning_naming_the_cell(tmp_path, plan, value, why):
    from toolkit.intake.returnfile import read_return
    path, ref = _with_fill_date(H.filled(tmp_path, plan), tmp_path / "d.xlsx", value)
    r = read_return(path, plan, Q2)
    odd = [p for p in r.problems if p.code == "return-odd-date"]
    assert not r.errors, [str(p) for p in r.errors]
    assert r.contact["填报日期"] == value
    if not why:
        assert not odd
        return
    [p] = odd
    assert p.cell == ref and p.sheet == "进展填报"
    assert p.message.startswith(f"填报日期“{value}”{why}")
