"""The plan as a returned workbook shows it, for sheets of a plan version no copy was kept of.

A return generated before the plan was corrected carries the old fingerprint. When the store
holds no copy of that version (store/plans.py keeps one only since issue 19), the workbook
itself still shows the plan text the department saw in its locked columns (task name, target,
this quarter's milestone; indicator name, unit, target, this quarter's planned value) and the hidden row keys. `seen_plan`
rebuilds the department's part of the old version from them:

- `verified`: the rebuilt plan hashes to the file's fingerprint, so the workbook shows exactly
  the old version: the department changed none of it.
- otherwise the differences can still only come from the plan when every sheet holding one is
  still protected (locked cells cannot be typed into); the caller decides.

An indicator renamed in the plan has a hidden key with the old name: rows of unknown keys are
paired, in row order within a task, with the department's indicators missing from the file.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from toolkit.fillin import layout as L
from toolkit.intake.grid import Table
from toolkit.model import Indicator, Plan, Task
from toolkit.plan.timing import milestone_shown
from toolkit.values import clean_text, compare_key, format_number


@dataclass
class Seen:
    plan: Plan  # the current plan with the department's rows as the workbook shows them
    changes: list[str] = field(default_factory=list)  # 任务3的名称：“old” → “new”
    renamed: dict[str, str] = field(default_factory=dict)  # old indicator name key -> current name
    sheets: set[str] = field(default_factory=set)  # sheets holding a difference
    verified: bool = False
    # rows of tasks the current plan no longer gives the department: what it answered there
    # cannot be placed, so the file stays 按旧版计划生成 (re-send the new sheet)
    foreign: list[str] = field(default_factory=list)


def _keyed_rows(table: Table | None):
    """(key, row index) of every row with a hidden key."""
    if table is None:
        return
    c = table.col(L.ROW_KEY_HEADER)
    if c is None:
        return
    for r in range(table.header_row + 1, len(table.grid.rows)):
        key = table.grid.value(r, c)
        if type(key) is str and key.strip():
            yield key.strip(), r


def _text(table: Table, r: int, header: str) -> str | None:
    c = table.col(header)
    if c is None:
        return None
    value = table.grid.value(r, c)
    return clean_text(value) if value is not None else ""


def _number(table: Table, r: int, header: str) -> float | None:
    c = table.col(header)
    value = table.grid.value(r, c) if c is not None else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "……"


def seen_plan(plan: Plan, dept: str, quarter: int, progress: Table | None, indicator: Table | None,
              fingerprint: str) -> Seen:
    """The plan as the workbook shows it to `dept` (see the module docstring)."""
    changes: list[str] = []
    sheets: set[str] = set()
    tasks = {t.no: t for t, _ in plan.tasks_for(dept)}
    new_tasks: dict[int, Task | None] = {}
    task_rows = list(_keyed_rows(progress))
    shown_nos = {int(k[1:]) for k, _ in task_rows if k.startswith(L.TASK_KEY_PREFIX) and k[1:].isdigit()}
    if task_rows:  # tasks given to the department after its sheets went out: it never saw them
        for no in sorted(set(tasks) - shown_nos):
            new_tasks[no] = None
            assert progress is not None  # task_rows: a table was read
            sheets.add(progress.grid.name)
            changes.append(f"任务{no}（{_short(tasks[no].name)}）是下发后新增的，本表中没有")
    foreign = sorted(shown_nos - set(tasks))
    for key, r in task_rows:
        if not key.startswith(L.TASK_KEY_PREFIX) or not key[1:].isdigit() or int(key[1:]) not in tasks:
            continue
        assert progress is not None
        task = tasks[int(key[1:])]
        fields: dict[str, Any] = {}
        for label, attr, header in (("名称", "name", L.P_NAME), ("目标任务", "target", L.P_TARGET)):
            shown = _text(progress, r, header)
            if shown is not None and compare_key(shown) != compare_key(getattr(task, attr)):
                fields[attr] = shown
                changes.append(f"任务{task.no}的{label}：“{_short(shown)}” → “{_short(getattr(task, attr))}”")
        shown = _text(progress, r, L.P_MILESTONE)
        if shown is not None and compare_key(shown) != compare_key(milestone_shown(task, quarter)):
            milestones = list(task.milestones)
            milestones[quarter - 1] = shown
            fields["milestones"] = tuple(milestones)
            changes.append(f"任务{task.no}的本季度序时进度：“{_short(shown)}” → "
                           f"“{_short(milestone_shown(task, quarter))}”")
        if fields:
            new_tasks[task.no] = dataclasses.replace(task, **fields)
            sheets.add(progress.grid.name)
    new_inds: dict[int, Indicator | None] = {}
    renamed: dict[str, str] = {}
    if not plan.breakdown:
        mine = [i for i in plan.indicators if plan.indicator_owner(i) == dept]
        by_key = {L.indicator_key(i.task_no, i.name): i for i in mine}
        rows = list(_keyed_rows(indicator))
        present = {k for k, _ in rows}
        missing = [i for i in mine if L.indicator_key(i.task_no, i.name) not in present
                   and i.task_no not in [no for no, t in new_tasks.items() if t is None]]
        for key, r in rows:
            assert indicator is not None
            ind = by_key.get(key)
            if ind is None and key.startswith(L.INDICATOR_KEY_PREFIX) and ":" in key:
                no, _, old_name = key[1:].partition(":")
                ind = next((i for i in missing if str(i.task_no) == no), None)
                if ind is None:
                    continue
                missing.remove(ind)
                renamed[old_name] = ind.name
            if ind is None:
                continue
            fields = {}
            name = _text(indicator, r, L.I_NAME)
            if name is not None and compare_key(name) != compare_key(ind.name):
                fields["name"] = name
                changes.append(f"任务{ind.task_no}的指标名称：“{_short(name)}” → “{_short(ind.name)}”")
            unit = _text(indicator, r, L.I_UNIT)
            if unit is not None and compare_key(unit) != compare_key(ind.unit):
                fields["unit"] = unit
                changes.append(f"指标“{_short(ind.name)}”的计量单位：“{unit}” → “{ind.unit}”")
            target = _number(indicator, r, L.I_TARGET)
            if target is not None and abs(target - ind.target) > 1e-6 * max(1.0, abs(ind.target)):
                fields["target"] = target
                changes.append(f"指标“{_short(ind.name)}”的年度目标：{format_number(target)} → "
                               f"{format_number(ind.target)}")
            planned = _number(indicator, r, L.I_PLANNED)
            now = round(ind.planned_at(quarter), 4)
            if planned is not None and abs(planned - now) > 1e-6 * max(1.0, abs(now)):
                fields["planned"] = tuple(planned if n == quarter - 1 else v for n, v in enumerate(ind.planned))
                changes.append(f"指标“{_short(ind.name)}”的本季度计划值：{format_number(planned)} → "
                               f"{format_number(now)}")
            if fields:
                if "name" in fields and ind.name not in renamed.values():
                    renamed[fields["name"]] = ind.name
                new_inds[id(ind)] = dataclasses.replace(ind, **fields)
                sheets.add(indicator.grid.name)
        if rows:  # indicators added after the sheets went out (not a rename): never seen
            for ind in missing:
                if ind.name not in renamed.values():
                    new_inds[id(ind)] = None
                    assert indicator is not None  # rows: a table was read
                    sheets.add(indicator.grid.name)
                    changes.append(f"任务{ind.task_no}的指标“{_short(ind.name)}”是下发后新增的，本表中没有")
    if not changes and not foreign:
        return Seen(plan)
    gone = [no for no, t in new_tasks.items() if t is None]
    seen = dataclasses.replace(
        plan, tasks=[t2 for t in plan.tasks if (t2 := new_tasks.get(t.no, t)) is not None],
        indicators=[i2 for i in plan.indicators if (i2 := new_inds.get(id(i), i)) is not None
                    and i.task_no not in gone],
        _fingerprint="", _units=(), _split=(), earlier={})
    return Seen(seen, changes, renamed, sheets, verified=seen.fingerprint == fingerprint,
                foreign=[f"任务{no}" for no in foreign])


def shown_tasks(progress: Table | None) -> dict[int, tuple[str, str]]:
    """Task number -> (name, target) as the progress sheet's keyed rows show them."""
    shown = {}
    for key, r in _keyed_rows(progress):
        if key.startswith(L.TASK_KEY_PREFIX) and key[1:].isdigit():
            assert progress is not None
            shown[int(key[1:])] = (_text(progress, r, L.P_NAME) or "", _text(progress, r, L.P_TARGET) or "")
    return shown
