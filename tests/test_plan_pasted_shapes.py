"""Shapes found on real published plans (issue 16, second round): a table pasted from a browser,
two task-text columns, units and people labelled inside numbered items, a section named 社会保障,
two deadlines of one task in merged rows. Each test is one quirk, in the form the office publishes."""
from __future__ import annotations

import openpyxl

from toolkit.plan.published import import_plan


def _text(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return import_plan(path).plan


def test_browser_paste_keeps_cells_with_line_breaks_and_rows_under_merged_cells(tmp_path):
    """柯桥 2023: a cell's line break is a bare newline; the row under the merged 序号 has one cell."""
    text = ("2023年度省政府民生实事涉我区工作任务一季度进展情况\n"
            "序号\t工作任务\t责任单位\t一季度目标\t进展情况、存在问题及下一步打算\t目标完成情况\n"
            "1\t新改扩建公办中小学校1所\t教体局\t室内安装、装修及场外施工\t进展情况：完成80%。\n下步打算：加快进度。\t顺利推进\n"
            "新增学位810个\n"
            "2\t完成结对帮扶学校2所\t县水务局\n县住建局\t互派人员到位\t进展情况：已交流。\t顺利推进\n")
    plan = _text(tmp_path, "进展.txt", text)
    assert [(t.no, t.target, t.leads, t.milestones[0]) for t in plan.tasks] == [
        (1, "新改扩建公办中小学校1所；新增学位810个", ("教体局",), "室内安装、装修及场外施工"),
        (2, "完成结对帮扶学校2所", ("县水务局", "县住建局"), "互派人员到位")]


def test_a_name_column_and_two_task_text_columns_are_joined(tmp_path):
    path = tmp_path / "计划.csv"
    path.write_text("2024年某区民生实事项目计划表\n序号,项目名称,建设内容,年度目标,牵头单位,完成时限\n"
                    "1,城区学校建设,新建小学1所,完成主体工程，新增学位810个,区教育局,12月底前\n", encoding="utf-8")
    [task] = import_plan(path).plan.tasks
    assert (task.name, task.target) == ("城区学校建设", "新建小学1所；完成主体工程，新增学位810个")


def test_labelled_units_and_people_inside_an_item(tmp_path):
    """成都 2019: （牵头领导：…，牵头单位：…，责任单位：…，数据提供单位：…） — people and data providers are not units."""
    plan = _text(tmp_path, "分解.txt", "2019年主要目标任务责任分解方案\n一、主要预期目标\n"
                 "（一）全社会固定资产投资增长10%。（牵头领导：某某，牵头单位：市发改委，责任单位：市经信局、市商务局，"
                 "数据提供单位：市统计局）\n（二）城镇登记失业率控制在4%以内。（牵头领导：某某，牵头单位：市人社局）\n")
    assert [(t.target, t.leads, t.cos) for t in plan.tasks] == [
        ("全社会固定资产投资增长10%。", ("市发改委",), ("市经信局", "市商务局")),
        ("城镇登记失业率控制在4%以内。", ("市人社局",), ())]
    assert {d.name for d in plan.departments} == {"市发改委", "市经信局", "市商务局", "市人社局"}


def test_labelled_lines_under_an_item_and_the_first_listed_unit_leading(tmp_path):
    """湖州/桐乡: 责任单位：A、B、C（列第一位者为牵头单位，下同）."""
    plan = _text(tmp_path, "分解.txt", "2020年民生实事项目责任分解\n1.新建城乡公厕120座。\n"
                 "责任单位：市城管局、市财政局（列第一位者为牵头或汇总单位，下同）\n2.新增托位1000个。\n责任单位：市卫健委、市教育局\n")
    assert [(t.leads, t.cos) for t in plan.tasks] == [(("市城管局",), ("市财政局",)), (("市卫健委",), ("市教育局",))]


def test_a_section_named_social_security_does_not_end_the_list(tmp_path):
    """宣城 2024: 二、社会保障（5项） is a section of tasks; 三、工作要求 ends the list."""
    plan = _text(tmp_path, "通知.txt", "2024年实施民生实事的通知\n一、促进就业（1项）\n1.新增城镇就业4.3万人。（牵头单位：市人社局）\n"
                 "二、社会保障（1项）\n2.提高低保标准。（牵头单位：市民政局）\n三、工作要求\n1.加强领导。\n")
    assert [(t.no, t.domain, t.leads) for t in plan.tasks] == [(1, "促进就业", ("市人社局",)), (2, "社会保障", ("市民政局",))]


def test_two_deadlines_of_one_task_in_merged_rows_stay_apart(tmp_path):
    """大竹 2016: 序号 and 责任单位 merged over two rows, each row with its own 完成时限."""
    wb = openpyxl.Workbook()
    ws = wb.active
    for row in (["2016年民生实事目标任务分解表"], ["序号", "民生实事", "责任单位", "完成时限"],
                [5, "开工建设县老年养护楼。", "县民政局", "5月底前动工"], [None, "开工建设老年大学。", None, "12月底前"]):
        ws.append(row)
    ws.merge_cells("A3:A4")
    ws.merge_cells("C3:C4")
    wb.save(tmp_path / "分解表.xlsx")
    [task] = import_plan(tmp_path / "分解表.xlsx").plan.tasks
    assert (task.target, task.leads, task.deadline) == ("开工建设县老年养护楼。开工建设老年大学。", ("县民政局",), "5月底前动工；12月底前")


def test_a_table_copied_one_cell_per_line(tmp_path):
    """大竹 2016 as text copied from a PDF or a flattened page: each cell on its own line, units one per
    line, and the merged 序号 row (开工建设老年大学 / 12月底前) with no number of its own."""
    lines = ["2016年民生实事目标任务分解表", "序号", "民生实事", "责任单位", "完成时限",
             "1", "启动建设城区段综合治理工程。", "县水务局", "县住建局", "县护城河指挥部", "12月底前",
             "2", "新建2座人行天桥。", "县住建局", "9月投入使用",
             "3", "迁建县政务服务中心。", "县政务服务中心", "县代建中心", "12月底前",
             "4", "开工建设县老年养护楼。", "县民政局", "5月底前动工", "开工建设老年大学。", "12月底前"]
    result = import_plan(_write(tmp_path, "分解表.txt", "\n\n".join(lines)))
    assert [(t.no, t.target, t.leads, t.deadline) for t in result.plan.tasks] == [
        (1, "启动建设城区段综合治理工程。", ("县水务局", "县住建局", "县护城河指挥部"), "12月底前"),
        (2, "新建2座人行天桥。", ("县住建局",), "9月投入使用"),
        (3, "迁建县政务服务中心。", ("县政务服务中心", "县代建中心"), "12月底前"),
        (4, "开工建设县老年养护楼。开工建设老年大学。", ("县民政局",), "5月底前动工；12月底前")]
    assert "原文是每格一行的表格（如从PDF或网页复制），已按序号读出4项任务，请核对各列的归属。" in result.todo


def test_one_cell_per_line_with_a_column_not_in_the_synonym_table(tmp_path):
    """苍南 2022 进度表: 当前进度 is not a known header; it is read and ignored, the cells stay in place."""
    lines = ["2022年度市县民生实事项目进度表", "序号", "项目内容", "当前进度", "牵头单位", "备注",
             "1", "建设四好农村路55公里。", "95%", "县交通局", "县民生实事",
             "2", "新增16个“文化驿站”。", "98.4%", "县文广旅体局", "县民生实事"]
    plan = import_plan(_write(tmp_path, "进度表.txt", "\n".join(lines))).plan
    assert [(t.target, t.leads) for t in plan.tasks] == [("建设四好农村路55公里。", ("县交通局",)),
                                                         ("新增16个“文化驿站”。", ("县文广旅体局",))]


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_browser_paste_of_a_row_under_a_merged_unit_cell_keeps_its_lead(tmp_path):
    """泰顺 2024: 牵头单位 merged over tasks 1-2; task 2's row has one cell fewer and its 落实情况 must
    not land in the unit column (no invented unit 已完成)."""
    text = ("2024年4月省政府民生实事项目进展情况汇总表\n序号\t项目内容\t月度工作计划\t牵头单位\t落实情况\n"
            "1\t免费接种流感疫苗24723人。\t4月：制定工作方案。\t县卫生健康局\t已完成。\n"
            "2\t重点筛查60岁以上人群7400人。\t4月：完成筛查人数1480人。\t已完成。 完成筛查3495人。\n"
            "3\t培训应急救护人员235人。\t4月：完成培训65人。\t县红十字会\t已完成。\n")
    plan = _text(tmp_path, "汇总表.txt", text)
    assert [(t.no, t.leads, t.milestones[1]) for t in plan.tasks] == [
        (1, ("县卫生健康局",), "4月：制定工作方案"), (2, ("县卫生健康局",), "4月：完成筛查人数1480人"),
        (3, ("县红十字会",), "4月：完成培训65人")]
    assert {d.name for d in plan.departments} == {"县卫生健康局", "县红十字会"}


def test_a_schedule_that_stops_early_is_flagged_and_a_later_deadline_wins(tmp_path):
    from toolkit.plan.timing import schedule_basis
    path = tmp_path / "进展.csv"
    path.write_text("2023年民生实事一季度进展\n序号,工作任务,责任单位,一季度目标,完成时限\n"
                    "1,新建公厕3座,县城管局,完成选址,年底前\n2,新增托位100个,县卫健局,完成规划,\n", encoding="utf-8")
    result = import_plan(path)
    first, second = result.plan.tasks
    assert schedule_basis(first, 1)[0] == 25.0 and schedule_basis(second, 1)[0] == 100.0
    assert any(line.startswith("1项任务的季度安排不到四季度（如第2项）") for line in result.todo)
