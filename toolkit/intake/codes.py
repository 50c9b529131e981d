"""Problem codes for reading one returned workbook, each registered once with what to do.

Errors reject the file (nothing from it is merged); warnings merge it and list the problem.
Templates get `value`, `sheet`, `cell` plus the fields named in them.
"""
from __future__ import annotations

from toolkit import problems as P

C, E, W = P.register, P.ERROR, P.WARNING
REDO = "请使用下发的填报表重新填写后再发送。"

# Identity: which plan, quarter and department the file belongs to.
IDENTITY_LOST = C("return-identity-lost", W, "文件内的识别信息已丢失（可能把内容复制到了新建的工作簿），已按表格内容识别为“{department}”{quarter}的填报表。以后请直接在下发的填报表中填写。")
IDENTITY_CONFLICT = C("return-identity-conflict", E, "身份信息不一致：文件内几处识别信息互相矛盾（{detail}），可能是拿别的单位或别的季度的表改的，或文件被改动过。" + REDO)
FORMAT_UNKNOWN = C("return-format-unknown", E, "填报表格式版本“{value}”与本程序（版本{expected}）不符。" + REDO)
OTHER_PLAN = C("return-other-plan", E, "这份表属于另一个计划（“{value}”），不是本计划“{expected}”的填报表。请核对是否发错了文件。")
OLD_PLAN = C("return-old-plan", E, "这份表是按旧版计划生成的（计划内容已更新）。请使用新下发的填报表重新填写。")
PLAN_CHANGED = C("return-plan-changed", W, "这份表按计划修改前的版本生成，报送单位填写的内容未受影响，已按原行对应汇总。计划此后的修改：{changes}。如修改影响填报内容，请用 plankit sheets 重新生成并下发该单位的填报表；否则无需处理。")
TASK_RENUMBERED = C("return-task-renumbered", W, "这份表下发后，计划中的任务编号有调整：{changes}。已按任务内容对应，填写的内容存入新编号下，报送单位无需处理。如需核对，请对照新计划；下季度用 plankit sheets 重新生成的填报表会使用新编号。")
UNKNOWN_DEPARTMENT = C("return-unknown-department", E, "填报单位“{value}”不在本计划中。请核对是否发错了文件。")
WRONG_QUARTER = C("return-wrong-quarter", E, "这是{value}的填报表，不是本次汇总的{expected}。可能把上季度的文件又发了一次，请发送{expected}的填报表。")
DEPARTMENT_MISMATCH = C("return-department-mismatch", E, "表头写的填报单位是“{value}”，但文件属于“{expected}”。可能是拿别的单位的表改的，请使用本单位下发的填报表填写。")

# A form sent back without any progress typed in: not a return (counted as not returned).
BLANK = C("return-blank", E, "空表：填报表中没有填写任何进展或指标数据（所有填报栏都是空的），不算报送。可能发错了文件（发回了下发的空白表）；请填写后重新发送。")

# Workbook structure.
MACROS = C("return-macros", W, "文件含有宏（VBA），宏不会被运行，只读取单元格的值。以后请保存为“Excel工作簿(*.xlsx)”。")
EXTERNAL_LINKS = C("return-external-links", W, "文件含有指向其他工作簿的外部链接，只读取已保存的值，不会更新链接。")
SHEET_RENAMED = C("return-sheet-renamed", W, "工作表“{expected}”被改名为“{sheet}”，已按内容找到。以后请不要修改工作表名称。")
SHEET_COPIES = C("return-sheet-copies", E, "工作簿中有{count}个工作表都是“{expected}”表格且内容不同：{sheets}（可能复制了工作表后在副本中填写）。无法确定以哪一个为准，此文件未合并。请只保留一个填好的“{expected}”工作表（名称不变）后重新发送。")
SHEET_MISSING = C("return-sheet-missing", E, "找不到工作表“{expected}”（可能被删除或内容被清空）。" + REDO)
HEADER_MISSING = C("return-header-missing", E, "工作表“{sheet}”中找不到表头行（序号、{column}等列标题）。请不要修改或删除表头行。" + REDO)
COLUMN_MISSING = C("return-column-missing", E, "工作表“{sheet}”缺少“{column}”列（可能被删除或改了列标题）。请恢复该列后重新发送。")
LOCKED_COLUMN_MISSING = C("return-locked-column-missing", W, "工作表“{sheet}”缺少计划内容列“{column}”。计划内容以主表为准，不影响汇总。")
COLUMN_DUPLICATE = C("return-column-duplicate", E, "工作表“{sheet}”有{count}列的列标题都是“{column}”（{cells}），无法确定哪一列是要填报的。请删除多出来的列（或改掉它的列标题）后重新发送。")
COLUMN_INSERTED = C("return-column-inserted", W, "工作表“{sheet}”第{letter}列（列标题“{value}”）不是填报表中的列，其中填写的内容（如{cells}）不会被汇总。如需报送，请填到对应的列中。")
KEYS_MISSING = C("return-row-keys-missing", W, "工作表“{sheet}”的隐藏列“行标识”已被删除，已按序号和名称匹配各行。以后请不要删除列。")
TOO_MANY_ROWS = C("return-too-many-rows", E, "工作表“{sheet}”行数超过{value}行，不像填报表。请只保留下发的填报表内容后重新发送。")

# Rows matched by their hidden key.
ROW_KEY_CLEARED = C("return-row-key-cleared", W, "该行的行标识被清除，已按序号/名称认定为“{value}”。")
ROWS_REORDERED = C("return-rows-reordered", W, "工作表“{sheet}”的行顺序被调整过（已按行标识逐行对应，不影响汇总）。")
SORTED_WITHOUT_KEY = C("return-sorted-without-key", E, "工作表“{sheet}”的行被排序过，但排序时没有选中隐藏的“行标识”列，{value}行（{cells}）的内容已和各行的标识错位，无法确定哪一行是哪个任务。请撤销排序（Ctrl+Z）后重新保存；如需排序，请先选中整张表（包括隐藏列）再排序。也可以在下发的原表中重新填写。")
ROW_DELETED = C("return-row-deleted", E, "计划中的一行被删除了：{value}。请恢复该行并填写（可对照下发的原表）后重新发送。")
ROW_DUPLICATE = C("return-row-duplicate", E, "“{value}”这一行出现了两次（另见{other}）。请删除重复的行，只保留一行。")
ROW_EXTRA = C("return-row-extra", E, "第{row}行不是计划中的行（可能是插入的行），其中填写的内容不会被汇总。请删除该行，把内容填到对应任务的行中。")
ROW_UNKNOWN = C("return-row-unknown", E, "行标识“{value}”不属于本计划，其中填写的内容无法汇总。请删除该行。")
ROW_NOT_OWNED = C("return-row-not-owned", E, "“{value}”不是{department}牵头或配合的任务/指标，不能由本单位填报。请删除该行（可能从别的单位的表中复制而来）。")
LOCKED_EDITED = C("return-locked-edited", E, "计划内容被修改：“{old}” → “{new}”。计划内容以主表为准，不能修改；请恢复原文后重新发送（有不同意见请另行报告）。")

# Values.
CELL_ERROR = C("return-cell-error", E, "单元格是错误值“{value}”（公式计算出错）。请改为直接填写数字或文字。")
FORMULA_NO_VALUE = C("return-formula-no-value", E, "单元格是公式（{value}）且没有保存计算结果，无法读取。请把公式改为直接填写的数值后重新保存。")
FORMULA_CACHED = C("return-formula-cached", W, "单元格是公式（{value}），已按其保存的计算结果读取。以后请直接填写数值。")
PICTURE_IN_CELL = C("return-picture-in-cell", W, "单元格里是图片（WPS“嵌入单元格”的图片），图片不会被汇总。请把内容改为文字或数字；图片可另行发送。")
MERGED_INPUT = C("return-merged-input", W, "单元格{cell}与{first}合并成了一个单元格，{cell}没有自己的值（按未填写处理）。请取消合并后分别填写。")
MISSING_INPUT = C("return-missing-input", W, "“{column}”未填写。")
BAD_STATUS = C("return-bad-status", E, "进展状态“{value}”无效。只能从下拉列表中选择：{allowed}。")
PERCENT_RANGE = C("return-percent-range", E, "完成进度“{value}”超出范围：只能填0到100之间的数字（例如完成一半填50）。")
PERCENT_BAD = C("return-percent-bad", E, "完成进度“{value}”不是数字。请只填0到100之间的数字，例如50。")
PERCENT_AMBIGUOUS = C("return-percent-ambiguous", W, "完成进度填的是“{value}”，已按{value}%读取。如果本意是{hundred}%，请改填{hundred}。")
STATUS_PERCENT = C("return-status-percent", W, "进展状态为“{status}”，但完成进度是{value}%，两者不一致。请核对其中一项。")
LAG_NO_REASON = C("return-lag-no-reason", W, "进展状态为“滞后”，但“存在问题”中没有说明原因。")
UNDONE_NO_REASON = C("return-undone-no-reason", W, "进展状态为“{status}”，但“存在问题”中没有说明未完成的原因。")
OLD_STATUS = C("return-old-status", W, "进展状态“{value}”是季度用语（旧填报表）。年末只按{allowed}判定，本项不计自报状态，按完成进度和指标数据判定。以后请使用新下发的填报表。")
BAD_NUMBER = C("return-bad-number", E, "累计完成值“{value}”不是数字。请只填数字（单位“{unit}”已在“单位”列），需要说明的写在“数据说明”列。")
WRONG_UNIT = C("return-wrong-unit", E, "累计完成值“{value}”的单位“{typed}”与指标单位“{unit}”不一致。请换算为“{unit}”后只填数字。")
NEGATIVE = C("return-negative", E, "累计完成值“{value}”是负数。累计完成值不能小于0，请核对。")
ABSURD_NUMBER = C("return-absurd-number", E, "累计完成值“{value}”大得不合常理（{why}），可能多打了数字或填错了单位。请核对后按“{unit}”重新填写。")
RATE_MULTIPLIER = C("return-rate-multiplier", E, "累计完成值“{value}”带有“{mult}”，但本指标的单位是“{unit}”（比例），不能用“万”“亿”。请只填{unit}前的数字，例如42.5。")
RATE_RANGE = C("return-rate-range", E, "累计完成值“{value}”超出范围：本指标的单位是“{unit}”，应在0到{cap}之间（例如42.5{unit}填42.5）。请核对是否填成了数量或多打了数字。")
RATE_OVER = C("return-rate-over", W, "累计完成值“{value}”超过{cap}{unit}，已按原数读取。比例一般不超过{cap}{unit}，请核对。")
RATE_AMBIGUOUS = C("return-rate-ambiguous", W, "累计完成值填的是“{value}”，已按{value}{unit}读取（全年目标为{target}{unit}）。如果本意是{hundred}{unit}，请改填{hundred}。")
UNIT_CONVERTED = C("return-unit-converted", W, "累计完成值“{value}”已换算为{converted}{unit}。请核对；以后请直接按“{unit}”填写数字。")
BELOW_PREVIOUS = C("return-below-previous", W, "累计完成值{value}{unit}小于上季度末累计{previous}{unit}。累计值一般不会减少，请核对是否填成了当季数。")
TEXT_TOO_LONG = C("return-text-too-long", E, "文字过长（{value}字，超过Excel单元格上限32767字），无法完整读取。请精简后重新发送。")
TEXT_AT_LIMIT = C("return-text-at-limit", E, "文字正好{value}字，达到Excel单元格上限：更长的文字在粘贴或保存时会被Excel/WPS截断，结尾很可能已丢失。请精简到3万字以内后重新发送（详细材料可另附文件）。")
MISSING_CONTACT = C("return-missing-contact", W, "未填写：{value}。请在“进展填报”表上方补充，便于联系核实。")
BAD_DATE = C("return-bad-date", W, "填报日期“{value}”不是有效日期，已按原文记录。请填写如2019-07-05的日期。")
ODD_DATE = C("return-odd-date", W, "填报日期“{value}”{reason}，可能填错了年份或日期，已按原文记录，不影响汇总。请核对后更正。")
