"""The six sheets of the report workbook, each written from a QuarterEvaluation by a Book."""
from __future__ import annotations

from typing import Any

from toolkit.plan.timing import milestone_shown
from toolkit.evaluate.judge import (BEHIND, GREEN, LIGHT_NAMES, NONE, RED, STATUSES_EVAL, TOLERANCE, YELLOW,
    QuarterEvaluation)
from toolkit.model import LE, QUARTER_END_NAMES
from toolkit.render.report_co import co_notes
from toolkit.render.report_charts import (LAGGING_CHART_ROW, lagging_chart as _lagging_chart,
    lagging_chart_height, status_chart as _status_chart)
from toolkit.evaluate.yearend import rules_note as year_rules_note
from toolkit.render.report_book import HEADER_FILL, HEADER_FONT, TITLE_FONT, Book

OVERVIEW, TASKS, INDICATORS, LAGGING, SUBMISSIONS, TREND = (
    "总览", "任务进展", "指标完成", "滞后事项", "报送情况", "季度趋势")
_RANK = {s: i for i, s in enumerate(STATUSES_EVAL)}
OVERVIEW_PAGE_ROWS = 38  # rows of 总览 on its first printed page (A4 landscape, one page wide)
GAP = "差距\n（百分点）"  # broken by hand: a narrow column would split the bracket off


def rules_note(ev: QuarterEvaluation) -> str:
    s = ev.plan.settings
    if ev.year_end:
        done, basic, undone, _ = ev.statuses
        return (year_rules_note(s) + "应完成：年末一律为全年目标的100%；距全年目标：完成进度减100；"
                f"标识：{done}为绿灯，{basic}为黄灯，{undone}为红灯。")
    return (f"序时进度：{QUARTER_END_NAMES[ev.quarter.q - 1]}应完成的全年目标比例（方案给出季度数的按方案，"
            f"未给出的按时间进度{25 * ev.quarter.q}%）。与序时进度相差不超过{TOLERANCE:g}个百分点为序时推进，"
            f"超出为超序时，落后为滞后；进展状态取指标数据与牵头单位自报中较差者。"
            f"预警：落后序时超过{s.yellow:g}个百分点为黄灯，超过{s.red:g}个百分点为红灯。")


def _status_cell(book: Book, ws, row: int, col: int, status: str, light: str) -> None:
    book.text(ws, row, col, status, **book.light_props(light, status=status))


def _light_cell(book: Book, ws, row: int, col: int, light: str) -> None:
    book.text(ws, row, col, LIGHT_NAMES[light], **book.light_props(light))


# --- 总览 ------------------------------------------------------------------------------------

def overview(book: Book) -> None:
    ev = book.ev
    ws = book.wb.add_worksheet(OVERVIEW)
    widths = [18, 9, 9, 9, 9, 9, 9, 9]
    for col, w in enumerate(widths):
        ws.set_column(col, col, w)
    ws.set_column(8, 8, 2)
    last = len(widths) - 1
    title = book.title
    book._check(ws.merge_range(0, 0, 0, last, title, book.fmt(
        font_name=TITLE_FONT, font_size=16, align="center", valign="vcenter", border=0,
        text_wrap=False)), ws, 0, 0)
    ws.set_row(0, 28)
    note = (f"{ev.plan.settings.title}　生成时间：{book.generated_at:%Y-%m-%d %H:%M}\n"
            f"{rules_note(ev)}")
    book.merged(ws, 1, 0, last, note, sum(widths), border=0, font_size=9)
    header: dict[str, Any] = dict(font_name=HEADER_FONT, bg_color=HEADER_FILL, align="center", valign="vcenter")
    section: dict[str, Any] = dict(font_name=HEADER_FONT, font_size=11, border=0, text_wrap=False)

    # 一、总体情况
    row = 3
    book.text(ws, row, 0, "一、总体情况", **section)
    row += 1
    for col, h in enumerate(("进展状态", "任务数", "占比")):
        book.text(ws, row, col, h, **header)
    first_status_row = row + 1
    total = sum(ev.counts.values())
    for status in ev.statuses:
        row += 1
        book.text(ws, row, 0, status, align="center")
        book.number(ws, row, 1, ev.counts[status], num_format="0", align="center")
        book.percent(ws, row, 2, 100 * ev.counts[status] / total if total else 0, align="center")
    row += 1
    book.text(ws, row, 0, "合计", align="center", bold=True)
    book.number(ws, row, 1, total, num_format="0", align="center", bold=True)
    book.percent(ws, row, 2, 100.0 if total else 0, align="center", bold=True)
    _status_chart(book, ws, first_status_row)

    # 二、报送情况
    row += 2
    book.text(ws, row, 0, "二、报送情况", **section)
    row += 1
    for col, h in enumerate(("项目", "单位数", "比例")):
        book.text(ws, row, col, h, **header)
    book.merged(ws, row, 3, last, "单位", None, **header)
    r = ev.returns
    missing = [d for d in (r.expected or []) if d not in r.returns]
    late = [d for d, x in r.returns.items() if not x.on_time]
    lines = [("应报送单位", ev.expected, None, ""),
             ("已报送", ev.returned, ev.reporting_rate, ""),
             ("其中按时报送", ev.on_time, ev.on_time_rate, ""),
             ("其中逾期报送", len(late), None, "、".join(late)),
             ("未报送", len(missing), None, "、".join(missing))]
    for label, count, rate, names in lines:
        row += 1
        book.text(ws, row, 0, label)
        book.number(ws, row, 1, count, num_format="0", align="center")
        book.percent(ws, row, 2, rate, align="center")
        book.merged(ws, row, 3, last, names, sum(widths[3:]))

    # 三、分领域 / 四、分牵头单位
    row = _count_table(book, ws, row + 2, "三、分领域情况", "领域", ev.by_domain, header, section)
    units_top = row + 2
    row = _count_table(book, ws, units_top, "四、分牵头单位情况", "牵头单位", ev.by_lead, header, section)

    # 五、滞后任务较多的牵头单位 (also the data of the second chart)
    row += 2
    word = "未全部完成" if ev.year_end else "滞后"
    book.text(ws, row, 0, f"五、各牵头单位{word}任务", **section)
    per_unit = _lagging_by_unit(ev)
    if not per_unit:
        book.text(ws, row + 1, 0, "全年任务均已完成或未报送。" if ev.year_end else "本季度没有滞后任务。",
                  border=0, text_wrap=False)
        row += 1
    else:
        row += 1
        heads = (("牵头单位", "未全部完成", ev.statuses[2], ev.statuses[1]) if ev.year_end
                 else ("牵头单位", "滞后任务", "其中红灯", "其中黄灯"))
        for col, h in enumerate(heads):
            book.text(ws, row, col, h, **header)
        first = row + 1
        for unit, (n, red, yellow) in per_unit:
            row += 1
            book.text(ws, row, 0, unit)
            for col, v in enumerate((n, red, yellow), start=1):
                book.number(ws, row, col, v, num_format="0", align="center")
    # A sheet longer than a page prints 四 and 五 on a page of their own, the second chart beside
    # them: the unit table ran over the page end and its second page had no column headings.
    chart_rows = -(-lagging_chart_height(len(per_unit), ev.year_end) // 20) if per_unit else 0
    if max(row, LAGGING_CHART_ROW + chart_rows) >= OVERVIEW_PAGE_ROWS:
        ws.set_h_pagebreaks([units_top])
        anchor = units_top + 1  # a chart on the break row also drew its top edge on page 1
    else:
        anchor = LAGGING_CHART_ROW
    if per_unit:
        _lagging_chart(book, ws, first, row, anchor_row=anchor)
    book.finish(ws, row, 17, header_row=None)


def _count_table(book, ws, row, title, label, groups, header, section) -> int:
    book.text(ws, row, 0, title, **section)
    row += 1
    statuses = book.ev.statuses
    for col, h in enumerate((label, *statuses, "合计")):
        book.text(ws, row, col, h, **header)
    for name, counts in groups.items():
        row += 1
        book.text(ws, row, 0, name)
        for col, status in enumerate(statuses, start=1):
            props: dict[str, Any] = {"num_format": "0;-0;\"\"", "align": "center"}
            if _behind(book.ev, status) and counts[status]:
                props.update(bold=True)
            book.number(ws, row, col, counts[status], **props)
        book.number(ws, row, len(statuses) + 1, sum(counts.values()), num_format="0",
                    align="center")
    return row


def _behind(ev: QuarterEvaluation, status: str) -> bool:
    """滞后 in a quarter; 基本完成 or 未完成 at year-end."""
    return status in ev.statuses[1:3] if ev.year_end else status == BEHIND


def _lagging_by_unit(ev: QuarterEvaluation) -> list[tuple[str, tuple[int, int, int]]]:
    units: dict[str, list[int]] = {}
    for t in ev.tasks:
        if _behind(ev, t.status):
            c = units.setdefault(t.task.lead, [0, 0, 0])
            c[0] += 1
            c[1] += t.light == RED
            c[2] += t.light == YELLOW
    return sorted(((u, (c[0], c[1], c[2])) for u, c in units.items()), key=lambda x: (-x[1][0], -x[1][1]))


# --- 任务进展 --------------------------------------------------------------------------------

TASK_HEADERS = [("序号", 4.5), ("任务名称", 11), ("领域", 6.5), ("牵头单位", 9),
                ("本季度序时进度安排", 26), ("进展状态", 7.5), ("预警", 5.5), ("完成进度", 7.5),
                ("序时进度", 7.5), (GAP, 8.5), ("判定依据", 12), ("自报状态", 7.5),
                ("主要工作进展", 28), ("存在问题", 18), ("下一步计划", 18), ("配合单位报送", 22),
                ("提示", 22)]


# At year-end the quarterly columns keep their place (same layout) under year-end names: 序时进度
# is 100 % for everyone, the gap is the distance to the annual target, the light follows the status.
YEAR_HEADERS = {"序时进度": "应完成", GAP: "距全年目标\n（百分点）", "预警": "标识",
                "本季度序时进度安排": "四季度进度安排"}


def headers_for(ev: QuarterEvaluation, headers: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """`headers`, renamed for the year-end at Q4 (YEAR_HEADERS)."""
    return [(YEAR_HEADERS.get(h, h), w) for h, w in headers] if ev.year_end else headers


def basis_text(t, default: str = "") -> str:
    """判定依据: what the gap refers to, plus the 序时 basis when it is not four quarterly milestones."""
    text = t.basis or default
    extra = t.schedule_basis if t.schedule_basis and t.schedule_basis != "按季度序时进度" else ""
    if extra and extra not in text:
        text = f"{text}；{extra}" if text else extra
    return text


def tasks(book: Book) -> None:
    ev = book.ev
    ws, row = book.sheet(TASKS, f"{ev.quarter.label}各项任务进展情况", rules_note(ev), headers_for(ev, TASK_HEADERS))
    w = [width for _, width in TASK_HEADERS]
    for t in ev.tasks:
        lead = t.lead_entry
        book.number(ws, row, 0, t.task.no, num_format="0", align="center")
        book.text(ws, row, 1, t.task.name, w[1])
        book.text(ws, row, 2, t.task.domain, w[2], align="center")
        book.text(ws, row, 3, "、".join(t.task.leads), w[3])
        book.text(ws, row, 4, milestone_shown(t.task, ev.quarter.q), w[4])
        _status_cell(book, ws, row, 5, t.status, t.light)
        _light_cell(book, ws, row, 6, t.light)
        book.percent(ws, row, 7, t.percent)
        book.percent(ws, row, 8, t.schedule)
        book.points(ws, row, 9, t.gap)
        book.text(ws, row, 10, basis_text(t), w[10])
        book.text(ws, row, 11, (t.self_status or "未填") if lead else "", align="center")
        book.text(ws, row, 12, lead.progress if lead else "", w[12])
        book.text(ws, row, 13, lead.issues if lead else "", w[13])
        book.text(ws, row, 14, lead.next_steps if lead else "", w[14])
        book.text(ws, row, 15, co_notes(ev, t), w[15])
        book.text(ws, row, 16, "\n".join(t.flags), w[16], font_color="#9C0006" if t.flags else None)
        row += 1
    book.finish(ws, row - 1, len(TASK_HEADERS) - 1)


# --- 指标完成 --------------------------------------------------------------------------------

IND_HEADERS = [("序号", 4.5), ("任务名称", 10), ("指标名称", 18), ("单位", 6), ("方向", 4.5),
               ("全年目标", 9), ("本季度末计划数", 9), ("计划数来源", 8), ("累计完成值", 9),
               ("上季度末", 9), ("完成全年目标", 10), ("序时进度", 7.5), (GAP, 8.5),
               ("状态", 7.5), ("预警", 5.5), ("责任单位", 9), ("数据说明", 16), ("计划说明", 18)]


def indicators(book: Book) -> None:
    ev = book.ev
    note = rules_note(ev) + "“≤”指标越低越好：完成全年目标 = 全年目标 ÷ 累计完成值（达到目标即100%）。"
    ws, row = book.sheet(INDICATORS, f"{ev.quarter.label}指标完成情况", note, headers_for(ev, IND_HEADERS))
    w = [width for _, width in IND_HEADERS]
    first = row
    for t in ev.tasks:
        for r in t.indicators:
            ind = r.indicator
            book.number(ws, row, 0, ind.task_no, num_format="0", align="center")
            book.text(ws, row, 1, t.task.name, w[1])
            book.text(ws, row, 2, ind.name, w[2])
            book.text(ws, row, 3, ind.unit, w[3], align="center")
            book.text(ws, row, 4, "≤" if ind.direction == LE else "≥", align="center")
            book.value(ws, row, 5, ind.target)
            book.value(ws, row, 6, r.planned)
            book.text(ws, row, 7, "方案" if r.planned_given else "按时间进度", w[7], align="center")
            book.value(ws, row, 8, r.actual)
            book.value(ws, row, 9, r.previous)
            book.percent(ws, row, 10, r.completion)
            book.percent(ws, row, 11, r.schedule)
            book.points(ws, row, 12, r.gap)
            _status_cell(book, ws, row, 13, r.status, r.light)
            _light_cell(book, ws, row, 14, r.light)
            book.text(ws, row, 15, r.department, w[15])
            book.text(ws, row, 16, r.note, w[16])
            book.text(ws, row, 17, r.plan_note, w[17])
            row += 1
    if row > first:
        code = ws.conditional_format(first, 10, row - 1, 10, {
            "type": "data_bar", "bar_color": "#5B9BD5", "bar_solid": True,
            "min_type": "num", "min_value": 0, "max_type": "num", "max_value": 1})
        book._check(code, ws, first, 10)
    book.finish(ws, row - 1, len(IND_HEADERS) - 1)


# --- 滞后事项 --------------------------------------------------------------------------------

LAG_HEADERS = [("排序", 4.5), ("序号", 4.5), ("任务名称", 11), ("牵头单位", 10),
               (GAP, 8.5), ("预警", 5.5), ("完成进度", 7.5), ("序时进度", 7.5),
               ("判定依据", 14), ("本季度序时进度安排", 28), ("存在问题（原因）", 24),
               ("下一步计划", 22), ("提示", 22)]


def lagging(book: Book) -> None:
    ev = book.ev
    items = ev.lagging()
    note = (f"进展状态为“滞后”的任务共{len(items)}项，按落后序时进度的百分点由多到少排列"
            f"（只有自报、没有数据的按0计），可作督办清单。")
    ws, row = book.sheet(LAGGING, f"{ev.quarter.label}滞后事项督办清单", note, LAG_HEADERS)
    w = [width for _, width in LAG_HEADERS]
    if not items:
        book.merged(ws, row, 0, len(LAG_HEADERS) - 1, "本季度没有滞后任务。", None)
        row += 1
    for rank, t in enumerate(items, start=1):
        lead = t.lead_entry
        book.number(ws, row, 0, rank, num_format="0", align="center")
        book.number(ws, row, 1, t.task.no, num_format="0", align="center")
        book.text(ws, row, 2, t.task.name, w[2])
        book.text(ws, row, 3, "、".join(t.task.leads), w[3])
        book.points(ws, row, 4, t.gap, **book.light_props(t.light))
        _light_cell(book, ws, row, 5, t.light)
        book.percent(ws, row, 6, t.percent)
        book.percent(ws, row, 7, t.schedule)
        book.text(ws, row, 8, basis_text(t, "自报滞后"), w[8])
        book.text(ws, row, 9, milestone_shown(t.task, ev.quarter.q), w[9])
        book.text(ws, row, 10, (lead.issues if lead else "") or "（未说明原因）", w[10])
        book.text(ws, row, 11, lead.next_steps if lead else "", w[11])
        book.text(ws, row, 12, "\n".join(t.flags), w[12])
        row += 1
    book.finish(ws, row - 1, len(LAG_HEADERS) - 1)


# --- 报送情况 --------------------------------------------------------------------------------

SUB_HEADERS = [("单位", 12), ("牵头任务", 6), ("配合任务", 6), ("报送情况", 8), ("报送时间", 14),
               ("文件名", 24), ("版本", 14), ("填报人", 8), ("联系电话", 12),
               ("被拒收文件", 24), ("拒收原因", 30), ("合并提示", 24)]


def submissions(book: Book) -> None:
    ev = book.ev
    r = ev.returns
    deadline = ev.plan.settings.deadline(ev.quarter.q)
    note = (f"应报送单位{ev.expected}个，已报送{ev.returned}个（报送率{ev.reporting_rate:.1f}%），"
            f"按时报送{ev.on_time}个（按时报送率{ev.on_time_rate:.1f}%）。报送截止日期：{deadline:%Y年%m月%d日}。")
    ws, row = book.sheet(SUBMISSIONS, f"{ev.quarter.label}各单位报送情况", note, SUB_HEADERS)
    w = [width for _, width in SUB_HEADERS]
    departments = list(r.expected or ev.plan.department_names())
    departments += [d for d in r.returns if d not in departments]
    rejected: dict[str, list] = {}
    for rej in r.rejections:
        rejected.setdefault(rej.department, []).append(rej)
    roles: dict[str, list[int]] = {}  # one pass over the plan: tasks_for per unit is O(units × tasks)
    for task in ev.plan.tasks:
        for unit in task.units:
            roles.setdefault(unit, [0, 0])[0 if task.role_of(unit) == "牵头" else 1] += 1
    for dept in departments + ([""] if "" in rejected else []):
        got = r.returns.get(dept)
        lead_count, co_count = roles.get(dept, [0, 0])
        book.text(ws, row, 0, dept or "（无法识别单位的文件）", w[0])
        book.number(ws, row, 1, lead_count, num_format="0", align="center")
        book.number(ws, row, 2, co_count, num_format="0", align="center")
        if got:
            state, light = ("按时报送", GREEN) if got.on_time else ("逾期报送", YELLOW)
        else:
            state, light = ("未报送", RED) if dept else ("—", NONE)
        book.text(ws, row, 3, state, **book.light_props(light))
        book.text(ws, row, 4, f"{got.received_at:%Y-%m-%d %H:%M}" if got else "", align="center")
        book.text(ws, row, 5, got.filename if got else "", w[5])
        versions = ""
        if got:
            versions = "第1版" if got.versions <= 1 else f"第{got.versions}版（已替换前{got.versions - 1}版）"
        book.text(ws, row, 6, versions, w[6])
        book.text(ws, row, 7, got.contact.get("填报人", "") if got else "", w[7])
        book.text(ws, row, 8, got.contact.get("联系电话", "") if got else "", w[8])
        rejs = rejected.get(dept, [])
        book.text(ws, row, 9, "\n".join(f"{x.filename}（{x.received_at:%m-%d %H:%M}）" for x in rejs), w[9])
        book.text(ws, row, 10, "\n".join("；".join(x.reasons) for x in rejs), w[10])
        book.text(ws, row, 11, "\n".join(got.warnings) if got else "", w[11])
        row += 1
    book.finish(ws, row - 1, len(SUB_HEADERS) - 1)


# --- 季度趋势 --------------------------------------------------------------------------------

def trend(book: Book, evaluations: list[QuarterEvaluation | None]) -> None:
    ev = book.ev
    quarters = [f"{QUARTER_END_NAMES[i][:3]}" for i in range(len(evaluations))]
    headers = [("序号", 4.5), ("任务名称", 20), ("领域", 8), ("牵头单位", 16)]
    headers += [(q, 9) for q in quarters] + [("较上季度", 9)]
    note = "各季度进展状态（“未汇总”表示该季度尚未合并报送文件）。较上季度：与上一个已汇总季度相比。"
    ws, row = book.sheet(TREND, f"{ev.plan.settings.year}年各季度任务进展趋势", note, headers)
    for i, t in enumerate(ev.tasks):
        book.number(ws, row, 0, t.task.no, num_format="0", align="center")
        book.text(ws, row, 1, t.task.name, 20)
        book.text(ws, row, 2, t.task.domain, align="center")
        book.text(ws, row, 3, "、".join(t.task.leads), 16)
        seen = []
        for col, qev in enumerate(evaluations, start=4):
            if qev is None:
                book.text(ws, row, col, "未汇总", **book.light_props(NONE))
                continue
            qt = qev.tasks[i]
            _status_cell(book, ws, row, col, qt.status, qt.light)
            seen.append(qt.status)
        book.text(ws, row, 4 + len(evaluations), _change(seen), align="center")
        row += 1
    book.finish(ws, row - 1, len(headers) - 1)


def _change(statuses: list[str]) -> str:
    if len(statuses) < 2 or "未报送" in statuses[-2:]:
        return ""
    before, now = _RANK[statuses[-2]], _RANK[statuses[-1]]
    return "好转" if now < before else "变差" if now > before else "持平"
