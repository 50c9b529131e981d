"""A blank master workbook to fill in Excel/WPS: 填写说明, header comments, validation, example rows.

Example rows carry 示例 in their first column; the reader skips them
(planbook.EXAMPLE_MARK), so a coordinator may leave them in place.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from toolkit.model import GE, LE, QUARTER_END_NAMES, QUARTER_NAMES
from toolkit.fileio import xlsxprint
from toolkit.fileio.xlsxtext import fit_row
from toolkit.plan.format import (ASSESSMENT_KEYS, BASIC_THRESHOLD_KEY, BREAKDOWN, BREAKDOWN_COLUMNS, DEADLINE_COLUMN,
                                 DEFAULT_YEAR_WORDS, DEPARTMENT_COLUMNS, DEPARTMENTS, EXAMPLE_MARK, INDICATOR_COLUMNS,
                                 INDICATORS, SETTING_KEYS, SETTINGS, SETTINGS_COLUMNS, TASK_COLUMNS, TASKS, YEAR_WORDS_KEY)
from toolkit.fileio.safeio import atomic_path

GUIDE = "填写说明"
DATA_ROWS = 500  # rows that carry data validation
GUIDE_WIDTH = 80  # characters: the 填写说明 prints on an upright A4 page without scaling (110 was cut off)

TASK_HELP = {
    "序号": "必填。任务编号，从1开始连续编号，与方案原文一致。",
    "任务名称": "可空。留空时取“目标任务”第一个句号前的文字。",
    "目标任务": "必填。照抄方案原文的目标任务。",
    "领域": "可空。如教育、卫生、就业，用于简报分领域汇总；留空按“其他”。",
    "牵头单位": "必填。多个单位用顿号“、”分隔，第一个为主要责任单位。单位须在“部门”表中登记。",
    "配合单位": "可空。多个单位用顿号“、”分隔。",
    **{q: f"照抄方案原文{q}的序时进度安排。方案没有季度安排的可留空（按完成时限或全年时间进度评估）。"
       for q in QUARTER_NAMES},
    DEADLINE_COLUMN: "可空。方案写的完成时限，如“6月底前”“年底前”“2020年9月30日”“三季度”；没有季度安排时按它判断序时进度。",
}
INDICATOR_HELP = {
    "序号": "必填。指标所属任务的序号（见“任务”表）。",
    "指标名称": "必填。同一任务内不能重名，如“城镇新增就业”。",
    "单位": "计量单位，如万人、个、%。数字列只填数字，单位写在这里。",
    "方向": "必填。下拉选择：≥（越大越好，如“以上”“不少于”）或≤（越小越好，如“以内”“降至”“不超过”）。",
    "全年目标": "必填。只填数字，如6。",
    **{q: "可空。该季度末应累计完成的数（累计值，不是当季数）；留空按时间进度推算。" for q in QUARTER_END_NAMES},
    "责任单位": "可空。留空表示由该任务第一个牵头单位负责；填写的单位须是该任务的牵头或配合单位。",
    "说明": "可空。数字的来源或口径。以“【建议】”开头的行是plankit自动提取的建议，请核对后删去“【建议】”。",
}
DEPARTMENT_HELP = {
    "部门": "必填。单位全称，与“任务”表中的写法完全一致。",
    "联系人": "可空。填报联系人。", "电话": "可空。", "邮箱": "可空。用于发送填报表。",
}
EXAMPLE_TASK = (f"{EXAMPLE_MARK}（不会被读取）", "增加就业机会", "增加就业机会。城镇新增就业6万人以上。", "就业",
                "市人社局", "市总工会、团市委", "城镇新增就业1.5万人以上。", "城镇新增就业1.5万人以上。",
                "城镇新增就业1.5万人以上。", "城镇新增就业1.5万人以上。", "年底前")
EXAMPLE_INDICATORS = [
    (f"{EXAMPLE_MARK}（不会被读取）", "城镇新增就业", "万人", GE, 6, 1.5, 3, 4.5, 6, "",
     "季度末数为累计值：每季度1.5万人，累计1.5、3、4.5、6"),
    (f"{EXAMPLE_MARK}（不会被读取）", "大班额比例", "%", LE, 5, None, None, None, None, "",
     "“降至5%以内”：方向选≤，季度末留空"),
]
BREAKDOWN_HELP = {
    "序号": "可选表，不分解的计划不用填。序号和指标名称须与“指标”表中的一行完全一致。",
    "指标名称": "分解的指标，如“城镇新增就业”。“指标”表中该指标的全年目标是全市合计。",
    "责任单位": "承担这一部分的单位（如县区），每个单位一行；须在“部门”表中登记。",
    "全年目标": "必填。本单位的全年目标。个、人、万元等可相加的指标，各单位之和须等于全市合计。",
    **{q: "可空。本单位该季度末应累计完成的数；留空按时间进度推算。" for q in QUARTER_END_NAMES},
    "汇总方式": "可空。留空按单位自动判断（%、率、元/月/人等比率和≤指标不相加）；可填“求和”或“不汇总”。",
}
EXAMPLE_BREAKDOWN = [
    (f"{EXAMPLE_MARK}（不会被读取）", "城镇新增就业", "东坡区", 8000, None, None, None, None, ""),
    (f"{EXAMPLE_MARK}（不会被读取）", "城镇新增就业", "彭山区", 3800, None, None, None, None, ""),
]
EXAMPLE_DEPARTMENT = (f"{EXAMPLE_MARK}：市人社局", "张三", "0518-12345678", "zhangsan@example.org.cn")

GUIDE_TEXT = [
    ("title", "计划主表填写说明"),
    ("", "本工作簿是plankit的计划主表：一年一个文件。填好后运行 plankit plan check 文件名.xlsx 检查。"),
    ("head", "一、填写顺序"),
    ("", "1．“设置”表：填写计划名称、年度、编印单位等（“说明”列有解释）。"),
    ("", "2．“部门”表：登记所有牵头、配合单位，每行一个。"),
    ("", "3．“任务”表：每项任务一行，照抄方案原文的目标任务和四个季度的序时进度；方案只有完成时限的，填在“完成时限”列，季度留空。"),
    ("", "4．“指标”表：把目标任务中可量化的数字各填一行（全年目标、方向、单位），季度末填累计值。"),
    ("", "5．“分解”表（可选）：指标要分解到各县区、各单位完成的，每个单位一行，填本单位的全年目标；不分解的不用填。"),
    ("", "6．保存后运行 plankit plan check，按提示逐条修改，直到没有错误。"),
    ("head", "二、注意事项"),
    ("", "● 各表第一行是列标题，请勿改名；把鼠标移到标题上可看到该列的说明。列的顺序可以调整，可以加列。"),
    ("", "● 灰色斜体、序号为“示例”的行是示例，不会被读取，可以保留或删除。"),
    ("", "● 数字列只填数字：写“6”，不写“6万人”；单位写在“单位”列。"),
    ("", "● 方向：“以上”“不少于”“不低于”选≥；“以内”“降至”“不超过”选≤。"),
    ("", "● 季度末的数是累计值：每季度新增1.5万人，则填1.5、3、4.5、6。"),
    ("", "● 多个单位之间用顿号“、”分隔。"),
    ("head", "三、已有方案文件时"),
    ("", "如果收到的是Word方案或其PDF导出的文本，可直接运行："),
    ("code", "plankit plan import 方案.docx -o plans/2020年方案.xlsx"),
    ("", "程序会生成本格式的主表，并自动提取指标建议（说明以“【建议】”开头），核对即可。"),
]


def default_year(today: date | None = None) -> int:
    """Next year from October on (the plan is prepared ahead), else this year."""
    today = today or date.today()
    return today.year + 1 if today.month >= 10 else today.year


def write_blank(path: Path, *, year: int, title: str = "", carried: tuple | None = None,
                settings: dict | None = None) -> Path:
    """Write a blank master workbook atomically; returns the path.

    `carried` = (task rows, indicator rows, department rows) written after the examples, as
    ordinary rows (the carry-over, 结转); `settings` = 设置 values to prefill (key -> value)."""
    tasks, indicators, departments = carried or ((), (), ())
    import xlsxwriter
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                            "strings_to_numbers": False})
        f = {
            "head": wb.add_format({"bold": True, "font_name": "黑体", "bg_color": "#DDEBF7", "border": 1,
                                   "text_wrap": True, "valign": "vcenter", "align": "center"}),
            "text": wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top", "border": 1}),
            "example": wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top", "border": 1,
                                      "italic": True, "font_color": "#808080", "bg_color": "#F2F2F2"}),
            "title": wb.add_format({"bold": True, "font_name": "黑体", "font_size": 16}),
            "guide_head": wb.add_format({"bold": True, "font_name": "黑体", "font_size": 12}),
            "guide": wb.add_format({"font_name": "宋体", "text_wrap": True, "valign": "top"}),
            "code": wb.add_format({"font_name": "Consolas", "bg_color": "#F2F2F2"}),
        }
        _guide(wb, f)
        _settings(wb, f, year, title, settings or {})
        _table(wb, f, TASKS, (*TASK_COLUMNS, DEADLINE_COLUMN), (8, 16, 40, 10, 16, 20, 36, 36, 36, 36, 14), TASK_HELP,
               [EXAMPLE_TASK], tasks)
        ws = _table(wb, f, INDICATORS, INDICATOR_COLUMNS, (8, 24, 10, 8, 10, 10, 10, 10, 10, 14, 40),
                    INDICATOR_HELP, EXAMPLE_INDICATORS, indicators)
        ws.data_validation(1, 3, DATA_ROWS, 3, {
            "validate": "list", "source": [GE, LE], "input_title": "方向",
            "input_message": "≥：越大越好（以上、不少于）\n≤：越小越好（以内、降至、不超过）",
            "error_title": "方向无效", "error_message": "请从下拉列表选择≥或≤。"})
        ws.data_validation(1, 4, DATA_ROWS, 8, {
            "validate": "decimal", "criteria": "between", "minimum": -1e12, "maximum": 1e12,
            "error_title": "请填数字", "error_message": "这里只填数字，单位写在“单位”列。季度末填累计值。"})
        _table(wb, f, DEPARTMENTS, DEPARTMENT_COLUMNS, (24, 14, 18, 30), DEPARTMENT_HELP, [EXAMPLE_DEPARTMENT],
               departments)
        ws = _table(wb, f, BREAKDOWN, BREAKDOWN_COLUMNS, (8, 24, 16, 10, 10, 10, 10, 10, 10), BREAKDOWN_HELP,
                    EXAMPLE_BREAKDOWN)
        ws.data_validation(1, 8, DATA_ROWS, 8, {
            "validate": "list", "source": ["求和", "不汇总"], "ignore_blank": True, "input_title": "汇总方式",
            "input_message": "留空按单位自动判断；求和：全市数为各单位之和；不汇总：比率、平均数等"})
        label = xlsxprint.escape(title or f"{year}年计划主表")
        for ws in wb.worksheets():  # printed to check or sign off: whole width, numbered pages
            guide = ws.get_name() == GUIDE
            xlsxprint.setup(ws, left=f"&A　{label}", landscape=not guide, header_row=None if guide else 0)
        wb.set_properties({"title": title or f"{year}年计划主表", "subject": "plankit 计划主表"})
        wb.close()
    return path


def _guide(wb, f) -> None:
    ws = wb.add_worksheet(GUIDE)
    ws.set_column(0, 0, GUIDE_WIDTH)
    ws.hide_gridlines(2)
    for r, (kind, text) in enumerate(GUIDE_TEXT):
        ws.write_string(r, 0, text, f[{"title": "title", "head": "guide_head", "code": "code"}.get(kind, "guide")])
        # LibreOffice neither grows a wrapped row nor shrinks one over-wide column to the page
        ws.set_row(r, fit_row([text], [GUIDE_WIDTH], {"title": 16, "head": 12}.get(kind, 10.5)))
    ws.activate()


def _settings(wb, f, year: int, title: str, given: dict) -> None:
    ws = wb.add_worksheet(SETTINGS)
    for c, (name, width) in enumerate(zip((*SETTINGS_COLUMNS, "说明"), (28, 60, 50))):
        ws.write_string(0, c, name, f["head"])
        ws.set_column(c, c, width)
    defaults = {"计划名称": title, "年度": year, "简报名称": "民生实事工作简报", "报送期限（季末后天数）": 10,
                "黄灯阈值（落后序时百分点）": 10, "红灯阈值（落后序时百分点）": 30,
                BASIC_THRESHOLD_KEY: 90, YEAR_WORDS_KEY: "、".join(DEFAULT_YEAR_WORDS),
                **{k: d for k, (d, _) in ASSESSMENT_KEYS.items()},
                **{k: v for k, v in given.items() if v not in (None, "")}}
    for r, (key, why) in enumerate(SETTING_KEYS.items(), start=1):
        ws.write_string(r, 0, key, f["text"])
        value = defaults.get(key, "")
        if isinstance(value, int):
            ws.write_number(r, 1, value, f["text"])
        elif value:
            ws.write_string(r, 1, value, f["text"])
        else:
            ws.write_blank(r, 1, None, f["text"])
        ws.write_string(r, 2, ("必填。" if key in ("计划名称", "年度") else "") + why, f["text"])
        ws.set_row(r, fit_row([key, str(value), "必填。" + why], (28, 60, 50)))  # LibreOffice won't grow it
        if key == "年度":
            ws.data_validation(r, 1, r, 1, {"validate": "integer", "criteria": "between", "minimum": 2000,
                                            "maximum": 2100, "error_message": "请填写四位年份，例如2020。"})
        elif "截止日" in key:
            ws.data_validation(r, 1, r, 1, {"validate": "date", "criteria": ">", "value": date(2000, 1, 1),
                                            "error_message": "请填写日期，例如2020-04-10。"})
        elif "天数" in key or "阈值" in key or key in ASSESSMENT_KEYS:
            ws.data_validation(r, 1, r, 1, {"validate": "decimal", "criteria": ">=", "value": 0,
                                            "error_message": "请填写不小于0的数字。"})
    ws.freeze_panes(1, 0)


def _table(wb, f, name, columns, widths, helps, examples, rows=()):
    ws = wb.add_worksheet(name)
    for c, (title, width) in enumerate(zip(columns, widths)):
        ws.write_string(0, c, title, f["head"])
        ws.write_comment(0, c, f"{title}：{helps[title]}", {"x_scale": 2, "y_scale": 1.5})
        ws.set_column(c, c, width)
    for r, values in enumerate(examples, start=1):
        ws.set_row(r, fit_row(values, widths))
        for c, v in enumerate(values):
            if v is None or v == "":
                ws.write_blank(r, c, None, f["example"])
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, f["example"])
            else:
                ws.write_string(r, c, str(v), f["example"])
    for r, values in enumerate(rows, start=len(examples) + 1):
        ws.set_row(r, fit_row(values, widths))
        for c, v in enumerate(values):
            if v is None or v == "":
                ws.write_blank(r, c, None, f["text"])
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v, f["text"])
            else:
                ws.write_string(r, c, str(v), f["text"])
    if columns[0] == "序号":
        ws.data_validation(len(examples) + 1, 0, DATA_ROWS, 0, {
            "validate": "integer", "criteria": ">=", "value": 1, "error_title": "序号无效",
            "error_message": "序号请填写正整数1、2、3……"})
    ws.freeze_panes(1, 0)
    return ws
