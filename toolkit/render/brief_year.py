"""The year-end briefing (全年完成情况): the template variables added at Q4.

`year_context(ev, base, assessment=None)` extends the quarterly context (brief.briefing_context)
with the year-end figures; templates/year_briefing.docx uses them (listed in docs/用户手册.md,
模板维护人员). A quarterly template given with --template still renders: the quarterly keys stay.
"""
from __future__ import annotations

from toolkit.evaluate.figures import num
from toolkit.evaluate.judge import QuarterEvaluation, TaskResult
from toolkit.evaluate.yearend import status_text
from toolkit.render.report_year import indicator_brief, indicator_lines, year_reason

YEAR_TEMPLATE = "year_briefing.docx"
YEAR_KEYS = ("done", "basic", "undone", "missing")  # ev.statuses by position


def quoted(*names: str) -> str:
    """`“实施‘雪亮工程’”`: each name in “…”; quotes already in a name become the inner ‘…’,
    as in official documents (never “…“…””)."""
    return "".join("“" + n.replace("“", "‘").replace("”", "’") + "”" for n in names)


def _pct(x: float | None) -> str:
    return "—" if x is None else num(round(x, 1))


def _leads(r: TaskResult) -> str:
    return "、".join(r.task.leads) or "（未指定）"


def _domain_text(ev: QuarterEvaluation, results: list[TaskResult]) -> str:
    counts = ev.by_domain.get(results[0].task.domain, {}) if results else {}
    parts = [f"{k}{v}项" for k, v in counts.items() if v]
    text = f"共{len(results)}项，其中" + "、".join(parts) + "。"
    done = [r.task.name for r in results if r.status == ev.statuses[0]]
    if done:  # names only: the annex table holds every task's year result
        text += quoted(*done) + ev.statuses[0] + "。"
    rest = [quoted(r.task.name) + status_text(ev.plan.settings, r.status, r.percent)
            for r in results if r.status in ev.statuses[1:3]]
    if rest:
        text += "、".join(rest) + "。"
    return text


def _unfinished_row(ev: QuarterEvaluation, r: TaskResult, i: int) -> dict:
    nxt = r.lead_entry.next_steps.strip() if r.lead_entry else ""
    return {"seq": f"（{i}）", "index": i, "no": r.task.no, "name": r.task.name, "lead": _leads(r),
            "status": r.status, "status_text": status_text(ev.plan.settings, r.status, r.percent),
            "percent": _pct(r.percent), "result": indicator_lines(r).replace("\n", "；"),
            "reason": year_reason(r).rstrip("。") + "。", "next_steps": nxt}


def year_context(ev: QuarterEvaluation, base: dict, assessment: list[dict] | None = None) -> dict:
    """The quarterly context `base` plus the year-end variables (only at Q4)."""
    s = ev.plan.settings
    total = len(ev.tasks)
    counts = {k: ev.counts.get(w, 0) for k, w in zip(YEAR_KEYS, ev.statuses)}
    pct = {k: _pct(100.0 * v / total if total else 0.0) for k, v in counts.items()}
    domains: dict[str, list[TaskResult]] = {}
    for r in ev.tasks:
        domains.setdefault(r.task.domain or "其他", []).append(r)
    unfinished = ev.unfinished()
    missing = [r for r in ev.tasks if r.status == ev.statuses[3]]
    by_domain_rate = []
    for name, rs in domains.items():
        done = sum(1 for r in rs if r.status == ev.statuses[0])
        by_domain_rate.append(f"{name}{done}/{len(rs)}项")
    return {
        **base, "year_end": True,
        "doc_title": f"{s.year}年{s.subject}完成情况",
        "words": dict(zip(YEAR_KEYS, ev.statuses)), "threshold": num(s.basic_threshold),
        # the quarterly keys (ahead, on_track, lagging: 0 at year-end) stay for a quarterly --template
        "counts": {**base.get("counts", {}), **counts}, "pct": {**base.get("pct", {}), **pct},
        "done_rate": pct["done"], "done_or_basic": counts["done"] + counts["basic"],
        "done_or_basic_pct": _pct(100.0 * (counts["done"] + counts["basic"]) / total if total else 0),
        "summary": [{"status": w, "count": counts[k], "percent": pct[k]} for k, w in zip(YEAR_KEYS, ev.statuses)],
        "domains": [{"seq": f"（{_cn(i)}）", "name": name, "total": len(rs),
                     "counts": {k: ev.by_domain.get(name, {}).get(w, 0) for k, w in zip(YEAR_KEYS, ev.statuses)},
                     "text": _domain_text(ev, rs)}
                    for i, (name, rs) in enumerate(domains.items(), 1)],
        "domain_rates": "，".join(by_domain_rate),
        "unfinished": [_unfinished_row(ev, r, i) for i, r in enumerate(unfinished, 1)],
        "missing_tasks": [{"no": r.task.no, "name": r.task.name, "lead": _leads(r)} for r in missing],
        "carried": len(unfinished),
        "assessment": assessment or [],
        "evaluation_text": _evaluation_text(ev, assessment or []),
        "tasks": [{**row, "no": r.task.no, "name": r.task.name, "lead": _leads(r), "domain": r.task.domain,
                   "target": r.task.target, "result": indicator_brief(r), "result_full": indicator_lines(r),
                   "percent": _pct(r.percent),
                   "status": r.status, "status_text": status_text(s, r.status, r.percent)}
                  for r, row in zip(ev.tasks, base.get("tasks") or [{}] * total)],
    }


def _named_scores(ranked: list[dict], shown: int = 3) -> str:
    """The first `shown` units with their scores; when more units share the first one's score,
    how many they are (the demo's 13 units on 100 points read as if three had the top score)."""
    tied = [a for a in ranked if a["total"] == ranked[0]["total"]]
    if len(tied) > shown:
        return ("、".join(a["unit"] for a in tied[:shown])
                + f"等{len(tied)}个单位（均为{num(tied[0]['total'])}分）")
    return "、".join(f"{a['unit']}（{num(a['total'])}分）" for a in ranked[:shown])


def _evaluation_text(ev: QuarterEvaluation, assessment: list[dict]) -> str:
    """工作评价: the assessment's spread in one paragraph, or the reporting figures without it."""
    s = ev.plan.settings
    if not assessment:
        return (f"四季度应报送单位{ev.expected}个，按时报送{ev.on_time}个，按时报送率{_pct(ev.on_time_rate)}%。"
                f"各单位年度考核结果另行通报。")
    totals = [a["total"] for a in assessment]
    full = assessment[0]["full"]
    top = _named_scores(assessment)
    best = assessment[0]["total"]
    # the lowest, none of them named (or tied) above: with few units the two lists overlapped
    rest = [a for a in assessment[3:] if a["total"] < best][::-1]
    low = f"；得分较低的是{_named_scores(rest)}" if rest else ""
    return (f"按照年度考核规则（满分{num(full)}分，含按时报送、牵头任务完成、配合报送和数据质量四项），"
            f"对{len(assessment)}个责任单位进行了考核，平均得分{num(round(sum(totals) / len(totals), 1))}分。"
            f"得分较高的是{top}{low}。各单位得分明细见{s.year}年完成情况汇总表“年度考核”“考核明细”工作表。")


def _cn(i: int) -> str:
    digits = "一二三四五六七八九十"
    if i <= 10:
        return digits[i - 1]
    tens, ones = divmod(i, 10)
    return ("十" if tens == 1 else digits[tens - 1] + "十") + (digits[ones - 1] if ones else "")
