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


# --- second holdout set ----------------------------------------------------------------------------

def test_labelled_values_in_running_text_keep_only_organisations(tmp_path):
    """宁波 2014 公示: labels run on one line separated by spaces; a flattened table follows the 配合单位;
    the next item starts after a space (… 24 4.新投放…)."""
    text = ("2014年市政府民生实事项目进展情况公示。 1.新辟公交线路10条，优化调整20条。 牵头领导：某某 责任单位：市交通委 "
            "项目责任人：某某 配合单位：市公安局、市城管局，各区政府 鄞州 海曙 合计 新辟线路年度目标 2 5 1 2 10 实际完成 1 2 0 3 6 "
            "2.新投放公共自行车3000辆。 牵头领导：某某 责任单位：市交通委，各区政府 项目责任人：某某 配合单位：市发改委、宁波电业局\n")
    plan = _plan(tmp_path, text, "ningbo-2014.txt")
    assert [(t.no, t.leads, t.cos) for t in plan.tasks] == [
        (1, ("市交通委",), ("市公安局", "市城管局", "各区政府")),
        (2, ("市交通委", "各区政府"), ("市发改委", "宁波电业局"))]
    assert plan.settings.year == 2014  # from the file name when the text has no title


def test_a_header_cell_over_two_columns_in_a_browser_paste(tmp_path):
    """高淳 2020 (繁體): 年度任務 spans the name and the text, so every row has one cell more than the
    header; the 下月計劃 text must not become a unit."""
    text = ("高淳區2020年3月民生重點實事進度表\n序號\t年度任務\t本月進展\t是否達進度\t下月計劃\t責任單位\n"
            "1\t綠道建設\t全區新改建綠道60公里。\t部分道路已開工。\t是\t計劃完成4公里。\t城建局\n"
            "2\t村級小泵站更新改造\t實施12座村級小泵站、2條翻水線更新改造。\t完成項目形象進度10%。\t是\t完成20%。\t水務局\n")
    plan = _plan(tmp_path, text)
    assert [(t.name, t.target, t.leads) for t in plan.tasks] == [
        ("綠道建設", "全區新改建綠道60公里。", ("城建局",)),
        ("村級小泵站更新改造", "實施12座村級小泵站、2條翻水線更新改造。", ("水務局",))]
    assert [(i.target, i.unit) for i in import_plan(tmp_path / "方案.txt").plan.indicators] == [
        (60, "公里"), (12, "座"), (2, "條")]


def test_a_breakdown_written_in_one_cell_and_rows_under_merged_cells(tmp_path):
    """昭化 2017 分解表: 项目 and 目标 span two columns each, the townships' figures in one cell
    (元坝镇280 白果乡15 …, never units), the second indicator's row lacks the merged cells."""
    text = ("2017年度民生工程目标任务分解表\n项 目\t目标\t分 解 情 况\t责任领导\t责任单位\t责任人\n"
            "就业促进工程\t促进城乡劳动者就业创业\t城镇新增就业人数（人）\t1300\t元坝镇280 白果乡15 柏林沟镇40 朝阳乡20 陈江乡15 "
            "大朝乡20 丁家乡15 红岩镇25 虎跳镇120\t某某\t区人社局\t某某\n"
            "城镇失业人员再就业（人）\t250\t白果乡8 柏林沟镇8 朝阳乡5 陈江乡5 大朝乡6 丁家乡5 红岩镇5 虎跳镇12 黄龙乡5\n")
    plan = _plan(tmp_path, text)
    # third round: the figures are read into 分解 (each township a department), and kept with the task text
    assert [(t.target.split("（原文所列分解数：")[0], t.leads) for t in plan.tasks] == [
        ("就业促进工程；促进城乡劳动者就业创业；城镇新增就业人数1300人", ("区人社局",)),
        ("就业促进工程；促进城乡劳动者就业创业；城镇失业人员再就业250人", ("区人社局",))]
    assert plan.tasks[0].target.endswith("（原文所列分解数：元坝镇280、白果乡15、柏林沟镇40、朝阳乡20、陈江乡15、大朝乡20、"
                                         "丁家乡15、红岩镇25、虎跳镇120）")
    assert [d.name for d in plan.departments][:3] == ["区人社局", "元坝镇", "白果乡"]
    assert "元坝镇280" not in {d.name for d in plan.departments}
    assert [(i.name, i.target) for i in plan.indicators] == [("城镇新增就业人数", 1300), ("城镇失业人员再就业", 250)]
    assert [(b.task_no, b.name, b.unit, b.target) for b in plan.breakdown][:2] == [
        (1, "城镇新增就业人数", "元坝镇", 280), (1, "城镇新增就业人数", "白果乡", 15)]
    assert len(plan.breakdown) == 9 + 9


@pytest.mark.parametrize("cell", ["元坝镇280", "计划完成4公里。", "75%", "进展情况：已完成"])
def test_a_figure_or_a_sentence_is_never_a_unit(cell):
    from toolkit.plan.pubtable import split_published_units
    assert split_published_units(cell) == ([], [])


# --- third holdout set ------------------------------------------------------------------------------

def test_a_standard_raised_from_a_to_b_counts_only_b():
    """肇庆 2020: 从每人每月574元、271元分别提高到每人每月609元、300元 — the targets are 609 and 300, named
    after what is raised."""
    found = find_quantities("将城镇、农村低保人均最低补差水平从每人每月574元、271元分别提高到每人每月609元、300元。")
    assert [(q.value, q.name) for q in found] == [(609, "城镇、农村低保人均最低补差水平"),
                                                  (300, "城镇、农村低保人均最低补差水平（元）")]


def test_the_size_of_a_project_is_not_a_target():
    """甘谷 2020: 加快建设总投资7.58亿元的县医院迁建项目."""
    assert find_quantities("加快建设总投资7.58亿元的县医院迁建项目。") == []


def test_a_person_written_after_the_unit_is_not_a_unit(tmp_path):
    """肇庆 2020: 牵头单位及主要负责人 = `市民政局 伍泽国`; 大类 merged over the rows is the 领域; the first line is
    the header (no title)."""
    text = ("大类\t序号\t工作任务\t分管 市领导\t牵头单位及 主要负责人\t落实进展情况\n"
            "一、继续提高底线民生保障水平\t1\t将低保补差水平提高到每人每月609元。\t某某\t市民政局 伍泽国\t已完成。\n"
            "2\t将孤儿养育标准提高到每人每月2200元。\t某某\t市民政局 伍泽国\t已完成。\n")
    plan = _plan(tmp_path, text, "zhaoqing-2020.txt")
    assert [(t.no, t.leads, t.domain) for t in plan.tasks] == [(1, ("市民政局",), "继续提高底线民生保障水平"),
                                                               (2, ("市民政局",), "继续提高底线民生保障水平")]
    assert (plan.settings.title, plan.settings.year) == ("zhaoqing-2020", 2020)


def test_traditional_mu_is_a_measure():
    """洋县 2024 (繁體): 實施田塊整治500畝，田間監測3萬畝."""
    assert [(q.value, q.unit) for q in find_quantities("實施田塊整治500畝，田間監測3萬畝")] == [(500, "畝"), (3, "萬畝")]


@pytest.mark.parametrize("cell, units", [("市民政局 伍泽国", ["市民政局"]), ("县发改局、财政、住建", ["县发改局", "财政", "住建"]),
                                         ("县水务局 县住建局", ["县水务局", "县住建局"])])
def test_only_a_name_after_a_space_is_taken_for_a_person(cell, units):
    from toolkit.plan.pubtable import split_published_units
    assert split_published_units(cell)[0] == units
