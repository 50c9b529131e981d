"""The year-end sheets of the Q4 report workbook: 全年完成情况 and 季度轨迹.

全年完成情况: one row per task with the target, the year result of every indicator, the
completion rate, the year-end status (with its %), lead and co units, and the reason
when the task is not done. 季度轨迹: each task's status Q1→Q4, and under it each
indicator's planned (序时) and reported cumulative value per quarter.
"""
from __future__ import annotations

from toolkit.evaluate.figures import num
from toolkit.evaluate.judge import NONE, QuarterEvaluation, TaskResult, has_issue
from toolkit.evaluate.yearend import status_text
from toolkit.model import LE, QUARTER_END_NAMES
from toolkit.render.report_book import Book

YEAR, TRACK = "全年完成情况", "季度轨迹"
YEAR_HEADERS = [("序号", 4.5), ("任务名称", 12), ("领域", 6.5), ("目标任务", 30),
                ("全年指标完成情况", 34), ("完成率", 7.5), ("年末状态", 11), ("牵头单位", 10),
                ("配合单位", 14), ("未完成原因（存在问题）", 28), ("提示", 20)]


def year_reason(t: TaskResult, missing: str = "未报送") -> str:
    """Why a task is not done: the lead's 存在问题, else the co-units', else a plain note."""
    if t.status == missing:
        return "牵头单位未报送全年完成情况"
    texts = [e.issues.strip() for e in ([t.lead_entry] if t.lead_entry else []) + list(t.co_entries)
             if e.issues and has_issue(e.issues)]
    return "；".join(dict.fromkeys(texts)) if texts else "未说明原因"


def indicator_lines(t: TaskResult) -> str:
    """`新建幼儿园：目标≥18所，完成18所（100%），已完成` per indicator; the lead's % otherwise."""
    lines = []
    for r in t.indicators:
        ind = r.indicator
        sign = "≤" if ind.direction == LE else ""
        pct = "—" if r.completion is None else num(r.completion)
        done = "未填报" if r.actual is None else f"完成{num(r.actual)}{ind.unit}（{pct}%）"
        lines.append(f"{ind.name}：目标{sign}{num(ind.target)}{ind.unit}，{done}，{r.status}")
    if not lines:
        lines.append("无量化指标，" + (f"牵头单位自报完成{num(t.percent)}%" if t.percent is not None
                                      else "以牵头单位自报为准"))
    return "\n".join(lines)


def indicator_brief(t: TaskResult) -> str:
    """`新建幼儿园18/18所；大班额比例4.5%（≤5）`: the year result in one short line (briefing annex)."""
    parts = []
    for r in t.indicators:
        ind = r.indicator
        got = "未填报" if r.actual is None else num(r.actual)
        parts.append(f"{ind.name}{got}{ind.unit}（≤{num(ind.target)}）" if ind.direction == LE
                     else f"{ind.name}{got}/{num(ind.target)}{ind.unit}")
    if not parts:
        return "自报完成" + (f"{num(t.percent)}%" if t.percent is not None else "情况未填")
    return "；".join(parts)


def year_sheet(book: Book) -> None:
    ev = book.ev
    s = ev.plan.settings
    done = ev.statuses[0]
    summary = "，".join(f"{k}{v}项" for k, v in ev.counts.items())
    note = (f"全年{len(ev.tasks)}项任务：{summary}。完成率取完成最少的指标；基本完成阈值"
            f"{s.basic_threshold:g}%（设置“基本完成阈值（%）”）。")
    ws, row = book.sheet(YEAR, f"{s.year}年{s.subject}全年完成情况", note, YEAR_HEADERS)
    w = [width for _, width in YEAR_HEADERS]
    for t in ev.tasks:
        book.number(ws, row, 0, t.task.no, num_format="0", align="center")
        book.text(ws, row, 1, t.task.name, w[1])
        book.text(ws, row, 2, t.task.domain, w[2], align="center")
        book.text(ws, row, 3, t.task.target, w[3])
        book.text(ws, row, 4, indicator_lines(t), w[4])
        book.percent(ws, row, 5, t.percent)
        book.text(ws, row, 6, status_text(s, t.status, t.percent), w[6], **book.light_props(t.light))
        book.text(ws, row, 7, "、".join(t.task.leads), w[7])
        book.text(ws, row, 8, "、".join(t.task.cos), w[8])
        book.text(ws, row, 9, "" if t.status == done else year_reason(t), w[9])
        book.text(ws, row, 10, "\n".join(t.flags), w[10], font_color="#9C0006" if t.flags else None)
        row += 1
    book.finish(ws, row - 1, len(YEAR_HEADERS) - 1)


def track_sheet(book: Book, evaluations: list[QuarterEvaluation | None]) -> None:
    """Status per quarter for each task; planned vs reported cumulative values per indicator."""
    ev = book.ev
    quarters = [QUARTER_END_NAMES[i][:3] for i in range(4)]
    headers = [("序号", 4.5), ("任务 / 指标", 22), ("单位", 6), ("全年目标", 8)]
    for q in quarters:
        headers += [(f"{q}\n序时计划", 8), (f"{q}\n实际", 9)]
    headers += [("年末状态", 12)]
    note = ("任务行：各季度的进展状态（一至三季度按序时进度判定，四季度为年末状态；“未汇总”表示该季度没有合并报送文件）。"
            "指标行：各季度末序时计划累计数（方案给出的按方案，未给出的按时间进度）与报送的累计完成值；"
            "实际低于计划（“≤”指标为高于）的加粗标红。")
    ws, row = book.sheet(TRACK, f"{ev.plan.settings.year}年{ev.plan.settings.subject}季度轨迹", note, headers)
    padded = (list(evaluations) + [None] * 4)[:4]
    for i, t in enumerate(ev.tasks):
        book.number(ws, row, 0, t.task.no, num_format="0", align="center", bg_color="#F2F2F2", bold=True)
        book.text(ws, row, 1, t.task.name, 22, bg_color="#F2F2F2", bold=True)
        book.text(ws, row, 2, "", bg_color="#F2F2F2")
        book.text(ws, row, 3, "", bg_color="#F2F2F2")
        for k, qev in enumerate(padded):
            col = 4 + 2 * k
            if qev is None:
                book.merged(ws, row, col, col + 1, "未汇总", None, **book.light_props(NONE))
            else:
                qt = qev.tasks[i]
                text = status_text(ev.plan.settings, qt.status, qt.percent) if qev.year_end else qt.status
                book.merged(ws, row, col, col + 1, text, None, **book.light_props(qt.light, status=qt.status))
        book.text(ws, row, 12, status_text(ev.plan.settings, t.status, t.percent), 12,
                  **book.light_props(t.light))
        row += 1
        for j, r in enumerate(t.indicators):
            ind = r.indicator
            book.text(ws, row, 0, "")
            book.text(ws, row, 1, f"　{ind.name}", 22)
            book.text(ws, row, 2, ind.unit, 6, align="center")
            book.text(ws, row, 3, f"{'≤' if ind.direction == LE else ''}{num(ind.target)}", align="right")
            for k, qev in enumerate(padded):
                col = 4 + 2 * k
                book.value(ws, row, col, ind.planned_at(k + 1))
                actual = qev.tasks[i].indicators[j].actual if qev is not None else None
                short = actual is not None and (actual > ind.planned_at(k + 1) if ind.direction == LE
                                                else actual < ind.planned_at(k + 1))
                book.value(ws, row, col + 1, actual, **({"bold": True, "font_color": "#9C0006"} if short else {}))
            book.text(ws, row, 12, r.status, **book.light_props(r.light))
            row += 1
    book.finish(ws, row - 1, len(headers) - 1)
