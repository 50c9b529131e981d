"""Quirks the held-out real plans showed (issue 16, second round; see docs/ENGINEERING.md):
万亿, a two-line heading, a sentence before the heading, the notice's signature after the list,
and headers copied from a site's 繁體 version."""
from __future__ import annotations

import pytest

from toolkit.plan.headers import field_of
from toolkit.plan.published import import_plan
from toolkit.plan.suggest import find_quantities


def _plan(tmp_path, text, name="方案.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_plan(path).plan


def test_wan_yi_is_one_multiplier():
    """嘉兴 2022: 地区生产总值突破1万亿元 is 1e12 元, named 地区生产总值 (突破 is the direction)."""
    [q] = find_quantities("地区生产总值突破1万亿元。")
    assert (q.value, q.unit, q.amount, q.name, q.direction) == (1, "万亿元", 1e12, "地区生产总值", "≥")


def test_a_heading_broken_over_two_lines_is_one_title(tmp_path):
    """立山 2023: 立山区政府2023年重点工作 / 任务分解和责任分工方案."""
    plan = _plan(tmp_path, "立山区政府2023年重点工作\n\n任务分解和责任分工方案\n\n一、主要预期目标\n\n"
                 "1.固定资产投资增长15%左右。\n\n牵头单位：区发改局\n\n责任单位：各街道，区市场局\n")
    assert plan.settings.title == "立山区政府2023年重点工作任务分解和责任分工方案"
    assert [(t.leads, t.cos) for t in plan.tasks] == [(("区发改局",), ("各街道", "区市场局"))]


def test_the_heading_wins_over_a_sentence_and_the_signature_ends_the_list(tmp_path):
    """沅江 2023 公告: the first line is a sentence with a year in it; the list ends before the signature."""
    plan = _plan(tmp_path, "沅江市第十八届人民代表大会第二次会议于2022年12月21日依法票决产生了沅江市人民政府2023年民生实事项目，"
                 "现将票决结果公告如下：\n沅江市人民政府2023年民生实事项目：\n1.中心城区水环境综合治理；\n"
                 "2.丘陵区山塘清淤增蓄。\n沅江市第十八届人民代表大会\n第二次会议主席团\n2022年12月21日\n")
    assert (plan.settings.title, plan.settings.year) == ("沅江市人民政府2023年民生实事项目", 2023)
    assert [t.target for t in plan.tasks] == ["中心城区水环境综合治理", "丘陵区山塘清淤增蓄。"]


@pytest.mark.parametrize("header, field", [("序號", "序号"), ("項目內容", "目标任务"), ("工作進度安排", "进度安排"),
                                           ("牽頭單位", "牵头单位"), ("完成時限", "完成时限"), ("目前實施情況", "忽略")])
def test_traditional_headers_are_matched(header, field):
    assert field_of(header) == field


def test_a_table_from_a_traditional_page_imports_with_its_cells_as_published(tmp_path):
    """苍南 2023 (繁體 page): quarters written inside one 工作進度安排 cell."""
    text = ("2023年省政府民生實事項目實施計劃\n序號\t項目內容\t工作進度安排\t目前實施情況\t牽頭單位\n"
            "1\t完成“縣中崛起”。\t第一季度：舉行結對儀式； 第二季度：建立師徒結對關系； 第三季度：開展同步課堂； "
            "第四季度（11月份）：開展集體教研活動。\t已完成第一季度結對儀式。\t縣教育局\n")
    [task] = _plan(tmp_path, text).tasks
    assert task.leads == ("縣教育局",)
    assert [m.split("：")[0] for m in task.milestones] == ["第一季度", "第二季度", "第三季度", "第四季度（11月份）"]
