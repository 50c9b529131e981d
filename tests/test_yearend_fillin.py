"""Year-end (Q4) fill-in workbooks: the year-end status words in the drop-down, the guide and the merge.

A Q4 workbook offers 已完成/基本完成/未完成; a Q4 return from an old (quarterly) template is
still read: 已完成 stays, 滞后/未启动 become 未完成, 超序时/序时推进 give no self-status (the
figures decide) with a warning (docs/ENGINEERING.md, evaluate/yearend).
"""
from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from tests.returnfile_helpers import FIRST_TASK, filled, generate
from toolkit.fillin import layout as L
from toolkit.intake.returnfile import read_return
from toolkit.quarter import Quarter

Q2, Q4 = Quarter(2019, 2), Quarter(2019, 4)
YEAR = ("已完成", "基本完成", "未完成")
CONTACT = {"填报日期": datetime(2020, 1, 5)}


def _status_lists(path) -> list[str]:
    ws = openpyxl.load_workbook(path)[L.PROGRESS_SHEET]
    return [dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"]


def test_q4_workbook_offers_the_year_end_words(tmp_path, plan):
    lists = _status_lists(generate(tmp_path, plan, quarter=Q4))
    assert lists == ['"已完成,基本完成,未完成"']
    guide = openpyxl.load_workbook(generate(tmp_path, plan, quarter=Q4))[L.GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in guide.iter_rows() for c in row if c.value)
    assert "基本完成：全年目标任务大部分完成（完成全年目标90%及以上" in text
    assert "未完成：全年目标任务未完成" in text
    assert "超序时" not in text and "序时推进" not in text


def test_q2_workbook_keeps_the_quarterly_words(tmp_path, plan):
    assert _status_lists(generate(tmp_path, plan, quarter=Q2)) == ['"已完成,超序时,序时推进,滞后,未启动"']


def _q4_return(tmp_path, plan, status, percent=95, issues="部分项目用地手续尚未办结。"):
    return filled(tmp_path, plan, quarter=Q4, contact=CONTACT,
                  tasks={FIRST_TASK: {L.P_STATUS: status, L.P_PERCENT: percent, L.P_ISSUES: issues}})


def test_q4_return_with_basic_done_reads_clean(tmp_path, plan):
    r = read_return(_q4_return(tmp_path, plan, "基本完成"), plan, Q4)
    assert r.problems == []
    assert r.tasks[0].status == "基本完成"
    assert {t.status for t in r.tasks[1:]} == {"已完成"}  # fill_all's year-end default


def test_q4_return_with_undone_and_no_reason_is_warned(tmp_path, plan):
    r = read_return(_q4_return(tmp_path, plan, "未完成", 60, issues=""), plan, Q4)
    assert [p.code for p in r.problems] == ["return-undone-no-reason"]
    assert r.tasks[0].status == "未完成"


@pytest.mark.parametrize("typed, stored", [("序时推进", ""), ("超序时", ""), ("按序时", ""),
                                           ("滞后", "未完成"), ("未启动", "未完成"), ("已完成", "已完成")])
def test_q4_return_from_an_old_template_is_mapped(tmp_path, plan, typed, stored):
    percent = {"未启动": 0, "已完成": 100}.get(typed, 95)
    r = read_return(_q4_return(tmp_path, plan, typed, percent), plan, Q4)
    assert r.errors == []
    assert r.tasks[0].status == stored
    codes = [p.code for p in r.problems]
    assert codes == (["return-old-status"] if not stored else [])
    if not stored:
        assert "年末只按已完成、基本完成、未完成判定" in r.problems[0].message


def test_q4_return_with_a_word_outside_both_lists_is_rejected(tmp_path, plan):
    r = read_return(_q4_return(tmp_path, plan, "差不多"), plan, Q4)
    bad = [p for p in r.problems if p.code == "return-bad-status"]
    assert len(bad) == 1 and "已完成、基本完成、未完成" in bad[0].message


def test_old_status_with_figures_is_judged_by_the_figures():
    # 序时推进 read at Q4 is no self-status: a task without indicators is judged by its %.
    from tests.evaluate_helpers import entry, quarter_of, ret, tiny_plan
    from toolkit.evaluate.judge import evaluate
    tiny = tiny_plan()
    for status, percent, want in (("", 95.0, "基本完成"), ("", 60.0, "未完成"), ("基本完成", 95.0, "基本完成")):
        r = ret("乙局", "2019Q4", [entry(2, "乙局", status=status, percent=percent)])
        t = evaluate(tiny, Q4, quarter_of(tiny, "2019Q4", [r])).tasks[1]
        assert (t.status, t.percent) == (want, percent)
        assert not any(f.startswith("牵头单位已报送") for f in t.flags)
