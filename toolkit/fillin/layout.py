"""The fill-in workbook's contract: what `sheets` writes and `merge` reads back.

Both sides import these names, so the contract lives in one place. A return is
identified by its embedded identity, stored three times so that a renamed,
forwarded or LibreOffice re-saved file is still recognised:
  1. custom document properties  (META_KEYS, prefixed `plankit.`)
  2. the hidden sheet META_SHEET: column A keys, column B values (rows in META_KEYS order),
     then the row-key lists and the input column maps
  3. the workbook-level defined name IDENTITY_NAME whose value is a string constant
     `="plankit|<format>|<plan_id>|<fingerprint>|<department>|<quarter>|<file_id>"`
The merge accepts a file when any one of them is readable and consistent, and never
depends on a very-hidden sheet or protection surviving.

Every data row also carries its stable key in a hidden last column headed ROW_KEY_HEADER
(`T<task no>` on the progress sheet, `I<task no>:<indicator name>` on the indicator
sheet), so inserted, deleted or re-sorted rows are matched by key, not by position.
"""
from __future__ import annotations

from toolkit.model import STATUSES  # noqa: F401  (the status drop-down's choices are part of the contract)

FORMAT_VERSION = "1"

# Sheet names (each within Excel's 31-character limit).
GUIDE_SHEET = "填报说明"
PROGRESS_SHEET = "进展填报"
INDICATOR_SHEET = "指标填报"
META_SHEET = "_plankit"

IDENTITY_NAME = "plankit_identity"
PROPERTY_PREFIX = "plankit."
META_KEYS = ("format", "plan_id", "fingerprint", "department", "quarter", "file_id", "generated_at")

ROW_KEY_HEADER = "行标识"
TASK_KEY_PREFIX = "T"
INDICATOR_KEY_PREFIX = "I"

# Progress sheet columns, in order. Locked (plan) columns then input columns.
# 上季度报送进展 appears only when an earlier quarter has been merged.
P_NO, P_NAME, P_TARGET, P_ROLE, P_MILESTONE, P_PREVIOUS = (
    "序号", "任务名称", "目标任务", "本单位职责", "本季度序时进度安排", "上季度报送进展")
P_STATUS, P_PERCENT, P_PROGRESS, P_ISSUES, P_NEXT = (
    "进展状态", "完成进度(%)", "主要工作进展", "存在问题", "下一步计划")
PROGRESS_LOCKED = (P_NO, P_NAME, P_TARGET, P_ROLE, P_MILESTONE)
PROGRESS_INPUTS = (P_STATUS, P_PERCENT, P_PROGRESS, P_ISSUES, P_NEXT)

# Indicator sheet columns.
I_NO, I_NAME, I_UNIT, I_TARGET, I_PLANNED, I_PREVIOUS = (
    "序号", "指标名称", "单位", "全年目标", "本季度末序时目标", "上季度末累计")
I_VALUE, I_NOTE = "累计完成值", "数据说明"
INDICATOR_LOCKED = (I_NO, I_NAME, I_UNIT, I_TARGET, I_PLANNED)
INDICATOR_INPUTS = (I_VALUE, I_NOTE)

# The contact block on the progress sheet: label cells, each followed by an input cell.
CONTACT_FIELDS = ("填报人", "联系电话", "填报日期", "审核人")

# Header row of the data table on the progress and indicator sheets (1-based).
# Rows above it: title, department/quarter line, contact block.
HEADER_ROW = 4


def task_key(no: int) -> str:
    return f"{TASK_KEY_PREFIX}{no}"


def indicator_key(task_no: int, name: str) -> str:
    return f"{INDICATOR_KEY_PREFIX}{task_no}:{name}"


def identity_string(meta: dict[str, str]) -> str:
    return "|".join(["plankit", *(str(meta.get(k, "")) for k in META_KEYS)])


def parse_identity_string(text: str) -> dict[str, str] | None:
    text = text.strip().lstrip("=").strip('"')
    parts = text.split("|")
    if len(parts) != len(META_KEYS) + 1 or parts[0] != "plankit":
        return None
    return dict(zip(META_KEYS, parts[1:]))


def file_name(department: str, quarter_label: str, subject: str = "民生实事") -> str:
    """`市教育局_2019年第二季度民生实事进展填报表.xlsx` (`subject` is Settings.subject)."""
    return f"{department}_{quarter_label}{subject}进展填报表.xlsx"
