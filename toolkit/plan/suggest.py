"""Suggest indicators from a task's text: quantities in the target, figures in the milestones.

The quantities and what they count are found by quantities.py (`find_quantities`, re-exported here).

Suggestions are Indicators whose 说明 starts with SUGGESTED, for a human to confirm.
`compare` measures suggestions against hand-curated indicators (see its docstring).
"""
from __future__ import annotations

import re
from dataclasses import replace

from toolkit.model import GE, LE, Indicator, Plan, Task
from toolkit.plan.format import SUGGESTED  # re-exported: callers import it from here
from toolkit.plan.quantities import Quantity, find_quantities, unit_key  # re-exported
from toolkit.plan.timing import due_quarter

__all__ = ["SUGGESTED", "Quantity", "find_quantities", "unit_key", "suggest_task", "suggest_plan",
           "merge_suggestions", "compare", "quarterly"]
VERB_BONUS = 2  # extra weight when the milestone repeats the target's verb (分配保障房 vs 接收配建保障性住房)
MIN_SHARED = 2  # Chinese character pairs a milestone figure must share with the target's wording


def _bigrams(text: str) -> set[str]:
    chars = re.sub(r"[^\u4e00-\u9fff]", "", text)
    return {chars[i:i + 2] for i in range(len(chars) - 1)}


def _milestone_figure(q: Quantity, milestone: str) -> tuple[float, bool] | None:
    """The figure in one milestone for the same quantity as `q`: (value in q's unit, says 累计)."""
    key = unit_key(q.unit)
    want = _bigrams(q.subject + q.after)
    verb = q.subject[:2] if len(q.subject) >= 2 else ""  # usually the verb: 分配, 新建
    best, best_score = None, 0
    for m in find_quantities(milestone):
        if unit_key(m.unit)[0] != key[0]:
            continue
        have = _bigrams(m.subject + m.after)
        score = len(want & have) + (VERB_BONUS if verb and verb in have else 0)
        if score > best_score:
            best, best_score = m, score
    if best is None or best_score < MIN_SHARED:
        return None
    value = best.amount / key[1]
    return round(value, 6), "累计" in best.before


def _fmt(x: float) -> str:
    return f"{x:g}"


def quarterly(q: Quantity, target: float, milestones) -> tuple[tuple, str]:
    """Planned cumulative figures at each quarter end for `q`, and a note saying how they were read."""
    found = [_milestone_figure(q, m) for m in milestones]
    values = [f[0] if f else None for f in found]
    given = [v for v in values if v is not None]
    none = (None, None, None, None)
    if not given:
        return none, "季度里程碑未给出数值"
    shown = "/".join("—" if v is None else _fmt(v) for v in values)
    level = q.measure in ("%", "‰")
    rising = all(b >= a for a, b in zip(given, given[1:]))
    if level or q.direction == LE:
        if rising or all(v == given[0] for v in given):
            return tuple(values), f"季度数为里程碑所写水平值（{shown}）"
        return none, f"季度里程碑数值（{shown}）不单调，未采用"
    if any(f and f[1] for f in found) or (rising and abs(given[-1] - target) < 1e-9 and len(given) > 1):
        if rising:
            return tuple(values), f"季度数为里程碑所写累计数（{shown}）"
    if len(given) == 1 and abs(given[0] - target) < 1e-9:
        return tuple(values), f"仅{'一二三四'[values.index(given[0])]}季度里程碑给出全年数{_fmt(given[0])}"
    total = sum(given)
    cumulative, running = [], 0.0
    for v in values:
        if v is not None:
            running = round(running + v, 6)
        cumulative.append(running if v is not None else None)
    if abs(total - target) < 1e-9:
        return tuple(cumulative), f"季度数为当季数（{shown}），已累计"
    if len(given) == 4 and 0.65 * target <= total <= 1.35 * target:
        return tuple(cumulative), (f"季度数按当季数（{shown}）累计，合计{_fmt(total)}"
                                   f"与全年目标{_fmt(target)}不一致，请核对")
    return none, f"季度里程碑有相关数值（{shown}），口径不明，未采用"


# A sentence reporting what was done so far (上半年，引进…3个 / 截至6月底，… / 目前，…) after the targets:
# a progress report pasted with its plan; its figures are actuals, not targets.
_PROGRESS = re.compile(r"[。；;]\s*(?:上半年|前三季度|一季度|1[-—–~]\d{1,2}月(?:份)?|截至[^，,。]{0,12}|截止[^，,。]{0,12}|目前|"
                       r"今年以来|年初以来)[，,]")


def planned_part(text: str) -> str:
    """The text before a progress sentence (上半年，…): what the plan sets, not what was done."""
    m = _PROGRESS.search(text)
    return text[:m.start() + 1] if m else text


def suggest_task(task: Task) -> list[Indicator]:
    """Suggested indicators for one task: one per distinct quantity in its target text."""
    result: list[Indicator] = []
    seen_values: set[tuple] = set()
    names: set[str] = set()
    for q in find_quantities(planned_part(task.target)):
        target = q.value if q.high is None or q.direction == GE else q.high
        ident = (target * q.scale, unit_key(q.unit)[0], q.direction)
        if ident in seen_values and not (q.subject or q.after):
            continue  # 比例不足90%的，提高到90%: the same figure again, saying nothing new
        seen_values.add(ident)
        planned, how = quarterly(q, target, task.milestones)
        due = due_quarter(task.deadline) if not any(m.strip() for m in task.milestones) else None
        if due and q.direction == GE and q.measure not in ("%", "‰"):
            # a deadline-only task: due in full by its quarter, evenly before (the task's own 序时 basis)
            planned = tuple(round(target * min(1.0, i / due), 6) for i in range(1, 5))
            how = f"季度末数按完成时限“{task.deadline}”推算（{'一二三四'[due - 1]}季度末完成全年目标，此前按季度平均）"
        name = q.name
        n = 2
        while name in names:
            name, n = f"{q.name}（{n}）", n + 1
        names.add(name)
        clause = q.clause if len(q.clause) <= 40 else q.clause[:39] + "…"
        basis = f"原文“{clause}”"
        if q.high is not None:
            basis += f"，区间取{'下限' if q.direction == GE else '上限'}"
        result.append(Indicator(task.no, name, q.unit, q.direction, target, planned, "",
                                f"{SUGGESTED}{basis}；{how}。请确认"))
    return result


def suggest_plan(plan: Plan) -> list[Indicator]:
    return [ind for t in plan.tasks for ind in suggest_task(t)]


def merge_suggestions(existing: list[Indicator], suggested: list[Indicator]) -> list[Indicator]:
    """Existing indicators plus the suggestions that no existing indicator already covers."""
    have = {_match_key(i) for i in existing}
    names = {i.key for i in existing}
    added = []
    for s in suggested:
        if _match_key(s) in have:
            continue
        if s.key in names:
            s = replace(s, name=f"{s.name}（建议）")
        names.add(s.key)
        added.append(s)
    order: dict[int, list[Indicator]] = {}
    for i in existing + added:
        order.setdefault(i.task_no, []).append(i)
    return [i for no in sorted(order) for i in order[no]]


def _match_key(ind: Indicator) -> tuple:
    measure, scale = unit_key(ind.unit)
    return ind.task_no, round(ind.target * scale, 6), ind.direction, measure


def compare(suggested: list[Indicator], curated: list[Indicator]) -> dict:
    """Precision and recall of suggestions against curated indicators.

    A suggestion matches a curated indicator when it is for the same task, with the
    same direction and the same target after unit normalisation (万/亿 folded into
    the number, 场=场次, 名=人: 1万路 equals 10000路); each curated indicator
    matches at most one suggestion. Also counts, among matches, those whose four
    quarterly figures agree too.
    """
    pool: dict[tuple, list[Indicator]] = {}
    for c in curated:
        pool.setdefault(_match_key(c), []).append(c)
    matched = []
    for s in suggested:
        bucket = pool.get(_match_key(s))
        if bucket:
            matched.append((s, bucket.pop(0)))
    same_quarters = sum(1 for s, c in matched if _same_planned(s, c))
    return {
        "suggested": len(suggested), "curated": len(curated), "matched": len(matched),
        "precision": len(matched) / len(suggested) if suggested else 0.0,
        "recall": len(matched) / len(curated) if curated else 0.0,
        "quarters_agree": same_quarters,
    }


def _same_planned(s: Indicator, c: Indicator) -> bool:
    _, ss = unit_key(s.unit)
    _, cs = unit_key(c.unit)
    for a, b in zip(s.planned, c.planned):
        if (a is None) != (b is None) or (a is not None and b is not None
                                          and abs(a * ss - b * cs) > 1e-6 * max(1, abs(b * cs))):
            return False
    return True
