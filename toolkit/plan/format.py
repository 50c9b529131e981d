"""The master workbook's documented format: sheet and column names, the 设置 keys, and the
problem codes of reading and checking a plan (shared by the reader, the checks and plan new)."""
from __future__ import annotations

from toolkit import problems as P
from toolkit.model import QUARTER_END_NAMES, QUARTER_NAMES

SETTINGS, TASKS, INDICATORS, DEPARTMENTS = "设置", "任务", "指标", "部门"
EXAMPLE_MARK = "示例"  # a row whose first column starts with this is an example (plan new) and is skipped
UNIT_SEP = "、"
SUGGESTED = "【建议】"  # 说明 of an indicator suggested by plan/suggest.py and not yet reviewed

TASK_COLUMNS = ("序号", "任务名称", "目标任务", "领域", "牵头单位", "配合单位", *QUARTER_NAMES)
DEADLINE_COLUMN = "完成时限"  # optional, after the quarters: written only when some task has one
INDICATOR_COLUMNS = ("序号", "指标名称", "单位", "方向", "全年目标", *QUARTER_END_NAMES, "责任单位", "说明")
DEPARTMENT_COLUMNS = ("部门", "联系人", "电话", "邮箱")
SETTINGS_COLUMNS = ("项目", "内容")
REQUIRED = {
    SETTINGS: SETTINGS_COLUMNS,
    TASKS: TASK_COLUMNS,
    INDICATORS: INDICATOR_COLUMNS[:-2],
    DEPARTMENTS: DEPARTMENT_COLUMNS[:1],
}

# 设置 keys, with their explanation (written into the workbook beside each value).
SETTING_KEYS = {
    "计划名称": "计划全称，用于文件名和简报标题",
    "计划编号": "计划的唯一编号（英文、数字、连字符），写入填报表用于识别",
    "年度": "计划年度，四位数字",
    "编印单位": "简报的编印单位",
    "简报名称": "简报报头名称",
    "报送期限（季末后天数）": "季度结束后多少天内报送；也可在下面四行分别填写具体日期",
    "一季度报送截止日": "可选，填写后优先于天数",
    "二季度报送截止日": "可选",
    "三季度报送截止日": "可选",
    "四季度报送截止日": "可选",
    "黄灯阈值（落后序时百分点）": "落后序时进度超过该百分点亮黄灯，默认10",
    "红灯阈值（落后序时百分点）": "落后序时进度超过该百分点亮红灯，默认30",
    "报送对象": "填报表报送给谁（单位、联系人、邮箱）",
    "部门说明": "牵头、配合单位的来源说明",
    "基本完成阈值（%）": "年末（四季度）完成全年目标达到该百分比、但未全部完成的任务判为“基本完成”，默认90",
    "年末状态用语": "年末三种判定的用语，依次为完成、基本完成、未完成，用“、”分隔；默认“已完成、基本完成、未完成”",
}
BASIC_THRESHOLD_KEY, YEAR_WORDS_KEY = "基本完成阈值（%）", "年末状态用语"
DEFAULT_YEAR_WORDS = ("已完成", "基本完成", "未完成")
# Words a year-end status may not take: the quarterly judgements and 未报送 keep their meaning.
RESERVED_WORDS = ("超序时", "序时推进", "滞后", "未报送", "未启动")

# 年度考核 rules: 设置 rows "考核：…", each with its points (default) and what it means.
ASSESSMENT_PREFIX = "考核："
ASSESSMENT_KEYS = {
    "考核：按时报送（每季度得分）": (10, "每个季度按时报送得分；四个季度合计满分40"),
    "考核：逾期报送（每季度得分）": (5, "每个季度逾期但已报送得分；未报送不得分"),
    "考核：牵头任务完成（满分）": (30, "按牵头任务年末状态折算：完成得满分比例100%，基本完成按下一行比例，未完成、未报送不得分；没有牵头任务的单位得满分"),
    "考核：基本完成得分比例（%）": (80, "基本完成的任务按此比例计分"),
    "考核：配合报送（满分）": (15, "配合任务每季度填写了进展的比例 × 满分；没有配合任务的单位得满分"),
    "考核：数据质量（满分）": (15, "从满分扣减，扣完为止，扣分项见下面四行"),
    "考核：退回扣分（每份）": (2, "每份被退回的报送文件"),
    "考核：更正扣分（每次）": (1, "每次报送更正版（同一季度第二版起）"),
    "考核：报告与数据不符扣分（每项）": (2, "牵头任务每季度每个“报告与数据不符”提示"),
    "考核：未填报扣分（每项）": (1, "已报送但指标或任务未填写，每季度每项"),
}
SETTING_KEYS.update({k: f"{why}（默认{d}）" for k, (d, why) in ASSESSMENT_KEYS.items()})

C = P.register
MISSING_SHEET = C("plan-missing-sheet", P.ERROR, "缺少工作表“{sheet}”。请按计划主表格式补上该工作表（可用 plankit plan new 生成空白模板对照）。")
MISSING_COLUMN = C("plan-missing-column", P.ERROR, "工作表“{sheet}”第1行缺少列“{column}”。请补上该列标题。")
BAD_NUMBER = C("plan-bad-number", P.ERROR, "“{value}”不是数字。{column}请只填数字（单位写在“单位”列）。")
BAD_INTEGER = C("plan-bad-no", P.ERROR, "序号“{value}”不是正整数。请填写1、2、3……")
DUPLICATE_NO = C("plan-duplicate-no", P.ERROR, "序号{value}重复出现（另见第{other}行）。每项任务的序号必须唯一。")
MISSING_NO = C("plan-missing-no", P.ERROR, "序号不连续：缺少第{value}项。请核对是否漏录或序号写错。")
EMPTY_FIELD = C("plan-empty-field", P.ERROR, "“{column}”为空。请填写。")
EMPTY_MILESTONE = C("plan-empty-milestone", P.WARNING, "第{task}项的{column}序时进度为空：该季度按完成时限或全年时间进度评估。方案原文有该季度安排的，请填写。")
NO_MILESTONES = C("plan-no-milestones", P.WARNING, "第{task}项没有季度序时进度{basis}。方案原文有季度安排的，请填写。")
UNREVIEWED = C("plan-unreviewed-suggestion", P.WARNING, "第{task}项的指标“{value}”是自动提取的建议（说明以“【建议】”开头），尚未核对。核对无误后删去说明中的“【建议】”；不需要的整行删除。")
UNKNOWN_UNIT = C("plan-unknown-unit", P.ERROR, "单位“{value}”不在“部门”工作表中。请在“部门”表中添加该单位，或改正单位名称。")
BAD_DIRECTION = C("plan-bad-direction", P.ERROR, "方向“{value}”无效。请填写“≥”（越大越好）或“≤”（越小越好）。")
UNKNOWN_TASK = C("plan-indicator-unknown-task", P.ERROR, "指标所属序号{value}在“任务”表中不存在。")
OWNER_NOT_UNIT = C("plan-owner-not-unit", P.ERROR, "责任单位“{value}”不是第{task}项的牵头或配合单位。请改正，或留空表示由牵头单位负责。")
DUPLICATE_INDICATOR = C("plan-duplicate-indicator", P.ERROR, "第{task}项的指标“{value}”重复。同一任务内指标名称必须唯一。")
WRONG_WAY = C("plan-cumulative-wrong-way", P.ERROR, "“{name}”的季度末累计值{detail}，方向为“{direction}”时不应如此。季度末数应填累计值。")
Q4_MISSES = C("plan-q4-misses-target", P.WARNING, "“{name}”四季度末计划值{q4}与全年目标{target}不一致（方案原文如此则保留，评估时以全年目标为准）。")
BAD_SETTING = C("plan-bad-setting", P.ERROR, "设置“{key}”的值“{value}”无效：{why}")
MISSING_SETTING = C("plan-missing-setting", P.ERROR, "设置中缺少“{key}”。请在“设置”表中添加一行：项目“{key}”，内容填写{why}。")
NO_TASKS = C("plan-no-tasks", P.ERROR, "“任务”工作表中没有任何任务。")
DEPT_DUPLICATE = C("plan-duplicate-department", P.ERROR, "部门“{value}”重复出现。")

# The optional 分解 sheet: an indicator's annual target broken down by responsible unit (县区).
BREAKDOWN = "分解"
BREAKDOWN_COLUMNS = ("序号", "指标名称", "责任单位", "全年目标", *QUARTER_END_NAMES, "汇总方式")
BREAKDOWN_REQUIRED = BREAKDOWN_COLUMNS[:4]
