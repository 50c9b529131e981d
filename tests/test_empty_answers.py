"""Issue 22 item 6: answers that mean "nothing" (无, 无。, /, 暂无, -, 没有) are empty everywhere."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.returnfile_helpers import Q2, filled, set_input
from toolkit.evaluate.judge import has_issue
from toolkit.fillin import layout as L
from toolkit.intake.returnfile import read_return
from toolkit.render.brief import reason_of
from toolkit.returns import TaskEntry
from toolkit.values import answer_text, check_text, is_empty_answer


@pytest.mark.parametrize("text", ["无", "无。", " 无 ", "/", "／", "暂无", "暂无。", "-", "－", "——", "没有", "没有。",
                                  "无问题", "", None])
def test_empty_meaning_answers(text):
    assert is_empty_answer(text) and answer_text(text) == "" and check_text(text) == "" and not has_issue(text or "")


@pytest.mark.parametrize("text", ["无人机采购延迟", "无，按计划推进下一步", "资金未到位", "0", "NA", "None"])
def test_real_answers_are_kept(text):
    assert not is_empty_answer(text) and answer_text(text) == text


@pytest.mark.parametrize("text", ["没有问题", "暂无问题。。。。。。。。。。", "　无此项　", "无" + "。" * 300, "无\r\n",
                                  "_x65E0_"])
def test_empty_answers_of_any_length_or_escape(text):
    # the reader skips the NFKC of texts with five or more ideographs (values._IDEOGRAPHS): the
    # empty answers have at most four, however much punctuation or space surrounds them
    assert is_empty_answer(text)


@pytest.mark.parametrize("text", ["无问题啊啊", "已完成全部", "无。无。无。无。无", "资金未到位，正在协调"])
def test_five_ideographs_are_never_empty(text):
    assert not is_empty_answer(text) and answer_text(text) == text


def test_a_return_answering_wu_stores_nothing(tmp_path, plan):
    path = set_input(filled(tmp_path, plan), tmp_path / "wu.xlsx", L.PROGRESS_SHEET, "T14", L.P_ISSUES, "无。")
    r = read_return(path, plan, Q2)
    assert next(t for t in r.tasks if t.task_no == 14).issues == ""


def test_briefing_reason_never_ends_in_wu():
    lead = TaskEntry(3, "市水利局", "牵头", "滞后", 40, "推进中", "征地晚于计划。")
    cos = [TaskEntry(3, "市财政局", "配合", issues="无。"), TaskEntry(3, "市自然资源局", "配合", issues="/")]
    r = SimpleNamespace(lead_entry=lead, co_entries=cos)
    assert reason_of(r) == "征地晚于计划。"
    r = SimpleNamespace(lead_entry=TaskEntry(3, "市水利局", "牵头", issues="暂无"), co_entries=cos)
    assert reason_of(r) == "未说明原因。"
