"""The master workbook's documented format: sheet and column names, the 设置 keys, and the
problem codes of reading and checking a plan (shared by the reader, the checks and plan new)."""
from __future__ import annotations

from toolkit import problems as P
from toolkit.model import QUARTER_END_NAMES, QUARTER_NAMES

SETTINGS, TASKS, INDICATORS, DEPARTMENTS = "设置", "任务", "指标", "部门"
EXAMPLE_MARK = "示例"  # a row whose first column starts with this is an example (plan new) and is skipped
UNIT_SEP = "、"

TASK_COLUMNS = ("序号", "任务名称", "目标任务", "领域", "牵头单位", "配合单位", *QUARTER_NAMES)
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
}

C = P.register
MISSING_SHEET = C("plan-missing-sheet", P.ERROR, "缺少工作表“{sheet}”。请按计划主表格式补上该工作表（可用 plankit plan new 生成空白模板对照）。")
MISSING_COLUMN = C("plan-missing-column", P.ERROR, "工作表“{sheet}”第1行缺少列“{column}”。请补上该列标题。")
BAD_NUMBER = C("plan-bad-number", P.ERROR, "“{value}”不是数字。{column}请只填数字（单位写在“单位”列）。")
BAD_INTEGER = C("plan-bad-no", P.ERROR, "序号“{value}”不是正整数。请填写1、2、3……")
DUPLICATE_NO = C("plan-duplicate-no", P.ERROR, "序号{value}重复出现（另见第{other}行）。每项任务的序号必须唯一。")
MISSING_NO = C("plan-missing-no", P.ERROR, "序号不连续：缺少第{value}项。请核对是否漏录或序号写错。")
EMPTY_FIELD = C("plan-empty-field", P.ERROR, "“{column}”为空。请填写。")
EMPTY_MILESTONE = C("plan-empty-milestone", P.ERROR, "第{task}项的{column}序时进度为空。请按方案原文填写该季度安排。")
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
