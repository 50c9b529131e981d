"""Measure an imported plan against the hand-made expected table and gold list (fixtures/plans/expected.py)."""
from __future__ import annotations

from pathlib import Path

from toolkit.plan.headers import parse_map
from toolkit.plan.published import import_plan
from toolkit.plan.suggest import unit_key

from .fixtures.plans.expected import PLANS

CORPUS = Path(__file__).parent / "fixtures" / "plans"
FIELDS = ("no", "name", "target", "leads", "cos", "q1", "q2", "q3", "q4", "deadline")


def cells(task) -> dict:
    if isinstance(task, dict):
        return {"no": task["no"], "name": task["name"], "target": task["target"], "leads": task["leads"],
                "cos": task["cos"], **{f"q{i + 1}": m for i, m in enumerate(task["milestones"])},
                "deadline": task["deadline"]}
    return {"no": task.no, "name": task.name, "target": task.target, "leads": list(task.leads),
            "cos": list(task.cos), **{f"q{i + 1}": m for i, m in enumerate(task.milestones)},
            "deadline": task.deadline}


def imported(file: str, *, with_map: bool = True):
    spec = PLANS[file]
    return import_plan(CORPUS / file, column_map=parse_map(spec["map"]) if with_map else None)


def fidelity(file: str, result=None) -> tuple[int, int, list[str]]:
    """(cells equal, cells expected, differences) for one plan, title and year included."""
    spec = PLANS[file]
    result = result or imported(file)
    got = {t.no: cells(t) for t in result.plan.tasks}
    same, total, diffs = 0, 0, []
    for want_task in spec["tasks"]:
        want = cells(want_task)
        have = got.get(want["no"], {})
        for f in FIELDS:
            total += 1
            if have.get(f) == want[f]:
                same += 1
            else:
                diffs.append(f"第{want['no']}项 {f}: 应为 {want[f]!r}，实为 {have.get(f)!r}")
    extra = sorted(set(got) - {t["no"] for t in spec["tasks"]})
    total += len(extra) * len(FIELDS)
    diffs += [f"多出第{no}项" for no in extra]
    for key, value in (("title", result.plan.settings.title), ("year", result.plan.settings.year)):
        total += 1
        if value == spec[key]:
            same += 1
        else:
            diffs.append(f"{key}: 应为 {spec[key]!r}，实为 {value!r}")
    return same, total, diffs


def _amount(value: float, unit: str) -> tuple[float, str]:
    measure, scale = unit_key(unit)
    return round(value * scale, 6), measure


def by_name(file: str, result=None) -> dict:
    """Suggestion precision and recall where a match needs task, value, unit and the counted noun in the name."""
    spec = PLANS[file]
    result = result or imported(file)
    pool = [(no, noun, *_amount(v, u)) for no, noun, v, u in spec["gold"]]
    matched, wrong = 0, []
    for ind in result.plan.indicators:
        amount, measure = _amount(ind.target, ind.unit)
        hit = next((g for g in pool if g[0] == ind.task_no and g[2] == amount and g[3] == measure
                    and g[1] in ind.name), None)
        if hit:
            pool.remove(hit)
            matched += 1
        else:
            wrong.append(f"第{ind.task_no}项 {ind.name} {ind.target:g}{ind.unit}")
    n_sugg, n_gold = len(result.plan.indicators), len(spec["gold"])
    return {"suggested": n_sugg, "gold": n_gold, "matched": matched,
            "precision": matched / n_sugg if n_sugg else 1.0, "recall": matched / n_gold if n_gold else 1.0,
            "false": wrong, "missed": [f"第{g[0]}项 {g[1]}" for g in pool]}
