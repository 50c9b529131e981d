"""Tasks renumbered in the plan after the sheets went out (a task inserted or removed before them).

The hidden row keys hold the task number (T14, I14:name), so a return of the old numbering
would put its answers on the wrong tasks, or be refused as 按旧版计划生成. The workbook (or the
kept copy of the old version) still shows each task's text: a task of the department whose
text is now under another number is followed there. `renumbering` finds old → new; the return
is read against the plan numbered as the department saw it (`as_numbered`) and the entries are
then moved to the current numbers (`to_current`).
"""
from __future__ import annotations

import dataclasses

from toolkit.model import Plan
from toolkit.values import compare_key

# a task that sits on a number the department's sheet uses for another task is moved out of the
# way while the return is read (it is not this department's, or the sheet never showed it)
AWAY = 1_000_000


def renumbering(shown: dict[int, tuple[str, str]], plan: Plan, dept: str) -> dict[int, int]:
    """old number -> current number, for the department's tasks whose number changed.

    `shown`: old number -> (task name, target) as the department's sheet shows them. A task is
    matched by its name, else (its name corrected too) by its target; only a unique match counts.
    """
    current = {t.no: t for t, _ in plan.tasks_for(dept)}
    moved: dict[int, int] = {}
    for no, (name, target) in shown.items():
        now = current.get(no)
        if now is not None and compare_key(now.name) == compare_key(name):
            continue
        same = [t.no for t in current.values() if compare_key(t.name) == compare_key(name)]
        if not same and target:
            same = [t.no for t in current.values() if compare_key(t.target) == compare_key(target)]
        if len(same) == 1 and same[0] != no and same[0] not in moved.values():
            moved[no] = same[0]
    return moved


def as_numbered(plan: Plan, moved: dict[int, int]) -> Plan:
    """The plan with the moved tasks (and their indicators) back on their old numbers."""
    back = {new: old for old, new in moved.items()}

    def no(n: int) -> int:
        if n in back:
            return back[n]
        return AWAY + n if n in moved else n
    return dataclasses.replace(
        plan, tasks=[dataclasses.replace(t, no=no(t.no)) for t in plan.tasks],
        indicators=[dataclasses.replace(i, task_no=no(i.task_no)) for i in plan.indicators],
        _fingerprint="", _units=(), _split=(), earlier={})


def to_current(entries: list, moved: dict[int, int]) -> list:
    """Task or indicator entries read under the old numbers, under the current ones."""
    return [dataclasses.replace(e, task_no=moved[e.task_no]) if e.task_no in moved else e for e in entries]


def describe(moved: dict[int, int], names: dict[int, str]) -> str:
    """任务14（建设保障性住房）现为任务15；…"""
    def short(text: str) -> str:
        return text if len(text) <= 20 else text[:20] + "……"
    return "；".join(f"任务{old}（{short(names.get(old, ''))}）现为任务{new}" for old, new in sorted(moved.items()))


def previous_as_numbered(previous, dept: str, moved: dict[int, int]):
    """Last quarter's returns without `dept`'s entries on any number the renumbering touches.

    Whether last quarter was stored under the old numbers or the new ones cannot be told from
    the entries, so the 累计值不应减少 check is skipped for those tasks rather than comparing a
    renumbered task's value with another task's."""
    if previous is None or not moved or dept not in previous.returns:
        return previous
    touched = set(moved) | set(moved.values())
    ret = previous.returns[dept]
    returns = dict(previous.returns)
    returns[dept] = dataclasses.replace(ret, tasks=[e for e in ret.tasks if e.task_no not in touched],
                                        indicators=[e for e in ret.indicators if e.task_no not in touched])
    return dataclasses.replace(previous, returns=returns, _index={})
