"""The figures of the judgement: completion of a target, what is due by a quarter, number text.

Pure functions on model.Indicator; re-exported by judge (their historic home).
"""
from __future__ import annotations

from toolkit.model import LE, Indicator


def num(x: float) -> str:
    """A number as people write it: 12000, 0.625, 1.5 (no trailing zeros)."""
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def completion_of(ind: Indicator, actual: float) -> float:
    """% of the annual target reached; for ≤, 100 at or below target, else target/actual."""
    if ind.direction == LE:
        if actual <= ind.target or actual <= 0:
            return 100.0
        return 100.0 * ind.target / actual
    if ind.target <= 0:
        return 100.0
    return 100.0 * actual / ind.target


def is_met(ind: Indicator, actual: float) -> bool:
    return actual <= ind.target if ind.direction == LE else actual >= ind.target


def schedule_of(ind: Indicator, q: int) -> tuple[float, str]:
    """(% of the annual target due at the end of quarter q, note on a plan inconsistency)."""
    planned = ind.planned_at(q)
    share = completion_of(ind, planned)
    note = ""
    if share > 100:
        note = f"计划季度数（{num(planned)}）超过全年目标（{num(ind.target)}），按全年目标计"
        share = 100.0
    if q == 4 and share < 100:
        note = f"计划四季度数（{num(planned)}）未达全年目标（{num(ind.target)}），年末按全年目标考核"
        share = 100.0
    return share, note


def _r1(x: float) -> float:
    return round(x + 0.0, 1)
