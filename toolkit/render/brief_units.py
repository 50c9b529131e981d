"""What the briefing and the 督办 notices say about units lagging on broken-down indicators (分解).

The briefing names, for each broken-down indicator, the units behind their own 序时 (and those
that did not report); `--per-dept` notices go to those units too, one row per indicator.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from toolkit.evaluate.breakdown import BreakdownGroup, BreakdownResult
from toolkit.evaluate.judge import IndicatorResult, num
from toolkit.returns import QuarterReturns

LAG_HEAD = "部分单位分解指标落后本单位序时进度（括号内为完成本单位全年目标的比例）："
MAX_UNITS = 20  # units named per indicator in the briefing; the report sheet lists them all


def _pct(x: float | None) -> str:
    return "—" if x is None else num(round(x, 1))


def unit_figures(r: IndicatorResult) -> str:
    """`完成本单位全年目标3,600人的32.4%，序时进度50%，低于序时进度17.6个百分点`."""
    ind = r.indicator
    if r.actual is None:
        return f"未报送（本单位全年目标{num(ind.target)}{ind.unit}）"
    if ind.direction == "≤":
        return f"累计{num(r.actual)}{ind.unit}，高于本单位目标（不超过{num(ind.target)}{ind.unit}）"
    text = f"累计完成{num(r.actual)}{ind.unit}，为本单位全年目标{num(ind.target)}{ind.unit}的{_pct(r.completion)}%，" \
           f"序时进度{_pct(r.schedule)}%"
    if r.gap is not None and r.gap < 0:
        text += f"，低于序时进度{_pct(-r.gap)}个百分点"
    return text


def _names(results: list[IndicatorResult]) -> str:
    names = [f"{r.department}（{_pct(r.completion)}%）" for r in results[:MAX_UNITS]]
    more = f"等{len(results)}个单位" if len(results) > MAX_UNITS else ""
    return "、".join(names) + more


def breakdown_context(groups: list[BreakdownGroup]) -> list[dict]:
    """Per broken-down indicator: task, name, total figures, coverage and the lagging/missing units."""
    rows = []
    for g in groups:
        for item in g.items:
            t = item.total
            rows.append({"task": g.task.name, "no": g.task.no, "name": item.indicator.name,
                         "unit": item.indicator.unit, "sums": item.sums, "coverage": t.coverage,
                         "total": num(t.actual) if t.actual is not None else "—",
                         "completion": _pct(t.completion), "units": len(item.units),
                         "lagging": _names(item.lagging), "lagging_count": len(item.lagging),
                         "missing": "、".join(item.missing)})
    return rows


def lagging_text(groups: list[BreakdownGroup]) -> str:
    """One 存在问题 item naming the lagging units per indicator ("" when none lags)."""
    parts = []
    for g in groups:
        for item in g.items:
            if item.lagging:
                parts.append(f"{item.indicator.name}：{_names(item.lagging)}")
    if not parts:
        return ""
    return LAG_HEAD + "；".join(parts) + "。"


def unit_notice_rows(groups: list[BreakdownGroup], returns: QuarterReturns) -> dict[str, list[dict]]:
    """unit -> notice rows (the template's task rows) for the indicators it lags on."""
    per_unit: dict[str, list[tuple[BreakdownResult, IndicatorResult]]] = {}
    for g in groups:
        for item in g.items:
            for r in item.lagging:
                per_unit.setdefault(r.department, []).append((item, r))
    result = {}
    for unit, pairs in per_unit.items():
        ret = returns.returns.get(unit)
        rows = []
        for item, r in pairs:
            entry = next((e for e in ret.tasks if e.task_no == item.indicator.task_no), None) if ret else None
            issues = (entry.issues.strip() if entry else "") or "未说明原因"
            rows.append({"name": f"{item.indicator.name}（第{item.indicator.task_no}项分解指标）",
                         "figures": unit_figures(r), "reason": issues.rstrip("。") + "。",
                         "next_steps": entry.next_steps.strip() if entry else "",
                         "no": item.indicator.task_no, "lead": unit})
        result[unit] = rows
    return result


@dataclass
class UnitsSummary:
    """What the briefing and the notices need from the groups, gathered in one pass (the groups
    themselves, N × 300 unit results at national scale, are not kept)."""
    context: list[dict] = field(default_factory=list)
    lagging: str = ""
    notices: dict[str, list[dict]] = field(default_factory=dict)


def summarise(groups: Iterable[BreakdownGroup], returns: QuarterReturns) -> UnitsSummary:
    result = UnitsSummary()
    texts = []
    for g in groups:
        result.context += breakdown_context([g])
        text = lagging_text([g])
        if text:
            texts.append(text.split("：", 1)[1].rstrip("。"))
        for unit, rows in unit_notice_rows([g], returns).items():
            result.notices.setdefault(unit, []).extend(rows)
    if texts:
        result.lagging = LAG_HEAD + "；".join(texts) + "。"
    return result
