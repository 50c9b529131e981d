"""Third holdout round (issue 16): general causes found on eight real plans the importer had not seen.

Each test is one rule, with text in the shape of the real plan that showed it (README.md of
fixtures/plans cites the sources; the corpus entries are in fixtures/plans/expected_third.py).
"""
from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from toolkit.cli.app import main
from toolkit.model import Task
from toolkit.plan.pubcells import cells_per_line
from toolkit.plan.published import import_plan
from toolkit.plan.pubtable import pick_title
from toolkit.plan.quantities import find_quantities
from toolkit.plan.suggest import suggest_task


def _task(text: str) -> Task:
    return Task(1, "x", text, "", (), (), ("", "", "", ""))


def _names(text: str) -> list[tuple[str, float, str]]:
    return [(i.name, i.target, i.unit) for i in suggest_task(_task(text))]


def _plan(tmp_path: Path, text: str, name: str = "方案.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_plan(path)


def test_a_converters_gongli_is_read_as_kilometres():
    """杭州 2018 (繁體): 農村公路380公裏 — 公裏 is how a converter writes 公里."""
    assert _names("提升改造農村公路380公裏、實施精品示範公路145公裏。") == [
        ("提升改造農村公路", 380, "公裏"), ("實施精品示範公路", 145, "公裏")]


def test_single_prescription_and_a_village_group_are_not_counts():
    """一次處方 is "one prescription at a time"; 天泉村六组 is a village group's name."""
    assert _names("慢性病患者一次處方醫保用藥量延長至最多12周;新增公共場所母嬰設施120處。") == [
        ("新增公共場所母嬰設施", 120, "處")]
    assert _names("荣山镇天泉村六组桥梁工程") == []


def test_a_threshold_names_what_is_counted():
    """咸宁 2021: 投资10亿元以上项目10个 — 10亿元 is the size of the projects counted, not a target;
    建成5个以上生态文明示范村和1000户… keeps its ≥5."""
    assert _names("投资10亿元以上项目10个、亿元以上项目100个。") == [("投资10亿元以上项目", 10, "个"), ("亿元以上项目", 100, "个")]
    assert ("建成生态文明示范村", 5, "个") in _names("建成5个以上生态文明示范村和1000户最美农家示范户。")
    assert all(i[1] != 10 for i in _names("未成年人10万元以上部分报销比例不足90%的，提高到90%。"))


def test_what_was_done_so_far_is_not_a_target():
    """A progress report pasted with its plan: after 上半年，/ 截至6月底， the figures are actuals."""
    text = "引进龙头企业投资项目不少于3个;亿元以上项目100个。上半年,引进龙头企业投资项目2个;引进亿元及以上项目107个。"
    assert [n[1] for n in _names(text)] == [3, 100]
    assert [n[1] for n in _names("培育平台2家。截至6月底,已培育平台1家。")] == [2]


def test_a_rate_keeps_its_measure_and_its_name():
    """岳阳楼区: 城市低保標準600元/月/人 — the unit is the rate, the name what is set."""
    assert _names("城市低保標準600元/月/人；農村低保標準4686元/年/人") == [
        ("城市低保標準", 600, "元/月/人"), ("農村低保標準", 4686, "元/年/人")]


def test_a_short_note_inside_the_counted_noun_phrase():
    """杭州 2018: 建設615個村(社區)公共文化場地WIFI設施 — the bracket does not end what is counted."""
    [q] = find_quantities("建設615個村(社區)公共文化場地WIFI設施,實現全覆蓋。")
    assert q.name == "村公共文化場地WIFI設施"


def test_the_notices_attachment_list_and_closing_words_are_not_tasks(tmp_path):
    """湖州 2020: 附件:1.… / 2.… before the plan; 区人大公告: 现予公告。 after the last item."""
    plan = _plan(tmp_path, "附件:1.2020年重点工作责任分解\n2.十方面民生实事责任分解\n附件1\n2020年重点工作责任分解\n"
                           "一、某某市长主抓重点工作\n1.支持企业发展。减轻企业负担200亿元。\n责任单位:市经信局、市财政局\n"
                           "2.推进项目建设。新开工项目120个。\n现予公告。\n").plan
    assert [t.name for t in plan.tasks] == ["支持企业发展", "推进项目建设"]
    assert plan.tasks[1].target == "推进项目建设。新开工项目120个。"


def test_the_headline_targets_paragraph_is_a_task(tmp_path):
    """潜江 2017: 主要预期目标是：a；b；c written before the 一、 sections."""
    plan = _plan(tmp_path, "《政府工作报告》重点工作责任分解\n2017年全市主要预期目标是:地区生产总值增长8.5%左右;"
                           "城镇登记失业率控制在4.5%以内。\n一、加快转型升级\n突出工业主体地位。\n").plan
    assert [(t.no, t.name, t.domain) for t in plan.tasks] == [(1, "主要预期目标", "主要预期目标"), (2, "加快转型升级", "")]
    assert [(i.task_no, i.target, i.unit) for i in plan.indicators] == [(1, 8.5, "%"), (1, 4.5, "%")]


def test_a_work_arrangement_heading_is_the_title():
    """静安 2023: the heading 2023年区政府重点工作安排 wins over the sentence quoting it."""
    assert pick_title(["现将《2023年区政府重点工作安排》印发给你们,请认真分解。", "2023年区政府重点工作安排"]) == \
        "2023年区政府重点工作安排"


def test_a_name_is_not_cut_inside_a_bracket(tmp_path):
    plan = _plan(tmp_path, "一、实事\n(一)新建改造提升750座公共廁所(其中,城區公廁100座)。\n(二)新增母嬰設施120處。\n").plan
    assert plan.tasks[0].name == "新建改造提升750座公共廁所"


def test_a_header_cell_split_over_two_lines_in_cell_per_line_text():
    """象山-like: 责任 / 领导, 牵头 / 单位, 完成 / 时限 — one column each; 项目 / 内容 stay two columns."""
    lines = ("2023年民生实事项目表\n序号\n项目\n内容\n责任\n领导\n牵头\n单位\n完成\n时限\n1\n学前教育\n新建公办幼儿园2所。\n某某\n"
             "县教育局\n12月底前\n2\n农贸市场\n改造农贸市场3个。\n某某\n县商务局\n9月底前").split("\n")
    _, tasks = cells_per_line(lines, "x")
    assert [(t.name, t.target, t.leads, t.deadline) for t in tasks] == [
        ("学前教育", "新建公办幼儿园2所。", ("县教育局",), "12月底前"), ("农贸市场", "改造农贸市场3个。", ("县商务局",), "9月底前")]


def test_an_indicator_table_with_a_measure_column_and_a_two_column_header(tmp_path):
    """岳阳楼区: 序號 | 考核指標 (over the project and its indicators) | 單位 | 工作目標; rows under a
    project's merged cells have two cells fewer. 單位 is the measure word, never a department."""
    text = ("序號\t考核指標\t單位\t工作目標\t已完成數\t占比\t備註\n"
            "1\t特殊群體健康保障\t孕產婦免費產前篩查\t人次\t2800\t1564\t55.9%\t\n"
            "困難殘疾人家庭無障礙改造\t戶\t70\t5\t54%\t已開始施工\n"
            "2\t老年人服務保障\t居家適老化改造\t戶\t174\t0\t0\t\n")
    result = _plan(tmp_path, text)
    plan = result.plan
    assert [(t.name, t.target) for t in plan.tasks] == [("特殊群體健康保障", "孕產婦免費產前篩查2800人次；困難殘疾人家庭無障礙改造70戶"),
                                                        ("老年人服務保障", "居家適老化改造174戶")]
    assert plan.departments == []
    assert [(i.task_no, i.name, i.target, i.unit) for i in plan.indicators] == [
        (1, "孕產婦免費產前篩查", 2800, "人次"), (1, "困難殘疾人家庭無障礙改造", 70, "戶"), (2, "居家適老化改造", 174, "戶")]


def test_a_unit_column_named_danwei_is_still_a_unit_column(tmp_path):
    """單位 holding organisations (not measure words) is the lead unit column."""
    plan = _plan(tmp_path, "序号\t工作任务\t单位\n1\t新建幼儿园2所。\t县教育局\n2\t改造农贸市场3个。\t县商务局\n").plan
    assert [t.leads for t in plan.tasks] == [("县教育局",), ("县商务局",)]


def test_a_breakdown_table_copied_one_cell_per_line_is_refused_with_what_to_do(tmp_path):
    """眉山 2019 完成情况表 copied from the page: empty cells are lost, so no figure can be placed."""
    cells = ["2019年十大民生工程项目完成情况表", "地区", "就业促进工程", "城镇新增就业(人)", "城镇失业人员再就业(人)",
             "市人力资源社会保障局", "目标", "进度", "目标", "进度", "全市", "27800", "52242", "4400", "5358",
             "市本级", "60", "东坡区", "8000", "22921", "1200", "1444", "彭山区", "3800", "6138", "660", "709"]
    path = tmp_path / "眉山2019.txt"
    path.write_text("\n\n".join(cells), encoding="utf-8")
    result = CliRunner().invoke(main, ["plan", "import", str(path), "-o", str(tmp_path / "p.xlsx")])
    assert result.exit_code == 2
    assert "眉山2019.txt像是分解表（每个地区一行、每个指标一列），但复制成了每格一行的文字：空格子在复制时丢失，" \
           "无法确定每个数字属于哪一列，未生成计划主表。" in result.output
    assert "粘贴到Excel（保留行列），另存为.xlsx再导入" in result.output
    assert not (tmp_path / "p.xlsx").exists()


def test_danwei_with_organisations_beside_a_text_work_target(tmp_path):
    """项目 | 单位 | 工作目标 where 单位 names organisations: 工作目标 stays the task text."""
    plan = _plan(tmp_path, "序号\t项目\t单位\t工作目标\n1\t幼儿园\t县教育局\t新建幼儿园2所。\n").plan
    assert [(t.name, t.target, t.leads) for t in plan.tasks] == [("幼儿园", "新建幼儿园2所。", ("县教育局",))]
