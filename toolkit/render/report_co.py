"""Co-units' reports in the progress workbook: a summary per task and a detail sheet.

A city task has two or three co-units; a provincial one can have hundreds, whose
joined notes would overflow Excel's 32,767-character cell. So the 任务进展 cell lists
every co-unit only while there are few, and otherwise a count plus those that raised
a problem; every co-unit's row is always on the 配合单位报送 sheet.
"""
from __future__ import annotations

from toolkit.evaluate.judge import QuarterEvaluation, TaskResult, has_issue
from toolkit.render.report_book import Book

CO_UNITS = "配合单位报送"
DETAIL_MAX = 10  # co-units listed one by one in the 任务进展 cell
CO_HEADERS = [("序号", 4.5), ("任务名称", 12), ("配合单位", 12), ("进展状态", 8), ("完成进度", 7.5),
              ("主要工作进展", 40), ("存在问题", 26), ("下一步计划", 26)]


def _line(e) -> str:
    text = f"{e.department}（{e.status or '未填状态'}）：{e.progress.strip() or '未填进展'}"
    if has_issue(e.issues):
        text += f"；问题：{e.issues.strip()}"
    return text


def _silent(ev: QuarterEvaluation, t: TaskResult) -> list[str]:
    """Co-units of the task with no entry: not returned at all, or returned without this task."""
    reported = {e.department for e in t.co_entries}
    lead = t.lead_entry.department if t.lead_entry else t.task.lead
    return [u for u in t.task.units if u != lead and u not in reported]


def co_notes(ev: QuarterEvaluation, t: TaskResult) -> str:
    """The 任务进展 cell: every co-unit while few, else a count and the ones with problems."""
    silent = _silent(ev, t)
    if len(t.co_entries) + len(silent) <= DETAIL_MAX:
        lines = [_line(e) for e in t.co_entries]
        lines += [f"{u}：{'未报送' if u not in ev.returns.returns else '未填写本任务'}" for u in silent]
        return "\n".join(lines)
    troubled = [e for e in t.co_entries if has_issue(e.issues)]
    head = (f"配合单位{len(t.co_entries) + len(silent)}个：已报送{len(t.co_entries)}个，"
            f"其中反映问题{len(troubled)}个；未报送{len(silent)}个。明细见“{CO_UNITS}”工作表。")
    shown = [_line(e) for e in troubled[:DETAIL_MAX]]
    if len(troubled) > DETAIL_MAX:
        shown.append(f"……另有{len(troubled) - DETAIL_MAX}个单位反映问题。")
    return "\n".join([head, *shown])


def co_units(book: Book) -> None:
    """One row per task and co-unit, including co-units that did not report."""
    ev = book.ev
    note = "各配合单位对所配合任务的报送内容；未报送的单位也列出。"
    ws, row = book.sheet(CO_UNITS, f"{ev.quarter.label}配合单位报送情况", note, CO_HEADERS)
    w = [width for _, width in CO_HEADERS]
    for t in ev.tasks:
        for e in t.co_entries:
            book.number(ws, row, 0, t.task.no, num_format="0", align="center")
            book.text(ws, row, 1, t.task.name, w[1])
            book.text(ws, row, 2, e.department, w[2])
            book.text(ws, row, 3, e.status or "未填", align="center")
            book.percent(ws, row, 4, e.percent)
            book.text(ws, row, 5, e.progress, w[5])
            book.text(ws, row, 6, e.issues, w[6])
            book.text(ws, row, 7, e.next_steps, w[7])
            book.release(ws)
            row += 1
        for unit in _silent(ev, t):
            book.number(ws, row, 0, t.task.no, num_format="0", align="center")
            book.text(ws, row, 1, t.task.name, w[1])
            book.text(ws, row, 2, unit, w[2])
            book.text(ws, row, 3, "未报送" if unit not in ev.returns.returns else "未填写", align="center")
            book.release(ws)
            row += 1
    book.finish(ws, row - 1, len(CO_HEADERS) - 1)
