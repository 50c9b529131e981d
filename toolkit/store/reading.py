"""Reading what is stored: a quarter's returns (current versions, rejections) and what changed
between two versions of a department's return."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime

from toolkit.model import Plan
from toolkit.problems import ERROR
from toolkit.quarter import Quarter
from toolkit.returns import IndicatorRows, QuarterReturns, Rejection, Return, TaskEntry, field_cell, time_source
from toolkit.store.records import INDICATOR_FIELDS, TASK_FIELDS, Change, _dt, untrusted_date


def diff_versions(conn, old_id: int, new_id: int) -> list[Change]:
    """What changed from one version to another, value by value."""
    changes: list[Change] = []
    for table, key, fields, label in (
            ("task_values", ("task_no", "department"), TASK_FIELDS, lambda r: f"任务{r['task_no']}"),
            ("indicator_values", ("task_no", "name", "department"), INDICATOR_FIELDS,
             lambda r: f"指标 {r['task_no']}:{r['name']}")):
        rows = {}
        for sid in (old_id, new_id):
            rows[sid] = {tuple(r[k] for k in key): r for r in
                         conn.execute(f"SELECT * FROM {table} WHERE submission_id=?", (sid,))}
        for k in sorted(set(rows[old_id]) | set(rows[new_id]), key=str):
            a, b = rows[old_id].get(k), rows[new_id].get(k)
            ref = b if b is not None else rows[old_id][k]  # k is in one of the two
            for f in fields:
                va, vb = (a[f] if a else None), (b[f] if b else None)
                if va != vb and not (va in (None, "") and vb in (None, "")):
                    cells = ref["cells"] if "cells" in ref.keys() else ""  # a store from before the column
                    changes.append(Change(label(ref), f, va, vb, field_cell(ref["cell"] or "", cells, f)))
    return changes


def _problem_text(p: dict) -> str:
    where = (f"{p.get('sheet')}!{p.get('cell')}" if p.get("sheet") and p.get("cell")
             else p.get("sheet") or p.get("cell") or "")
    return f"{where}：{p['message']}" if where else p["message"]


def _cells(row) -> str:
    return (row["cells"] if "cells" in row.keys() else "") or ""


def read_quarter(conn, plan: Plan, quarter: Quarter, *,
                 values: bool = True) -> QuarterReturns | None:
    """What is merged for a quarter; values=False leaves every return's tasks and indicators empty
    (who returned, when, and the rejections only: memory that does not grow with the values)."""
    code = quarter.code
    subs = conn.execute("SELECT * FROM submissions WHERE quarter=? ORDER BY id", (code,)).fetchall()
    if not subs:
        return None
    deadline = plan.settings.deadline(quarter.q)
    counts: dict[str, int] = {}
    for s in subs:
        if s["accepted"]:
            counts[s["department"]] = counts.get(s["department"], 0) + 1
    qr = QuarterReturns(code, plan.department_names())
    by_id = {s["id"]: s for s in subs}
    order = {d: n for n, d in enumerate(qr.expected)}  # plan order, whatever the arrival order
    # names, units, cells and the like recur in every return, and answers often do (数据来源：统计台账,
    # 无): one string object each, not one per row (a national quarter holds a million rows; issue 17)
    pool: dict[str, str] = {}

    def one(text: str) -> str:
        return pool.setdefault(text, text)

    owned = _owned(plan) if values else {}
    shapes: dict = {}  # the indicator rows' layouts (IndicatorRows), shared by the returns of this quarter

    currents = sorted(conn.execute("SELECT * FROM current WHERE quarter=?", (code,)),
                      key=lambda c: (order.get(c["department"], len(order)), c["department"]))
    for cur in currents:
        s = by_id[cur["submission_id"]]
        received = datetime.fromisoformat(s["received_at"])  # NOT NULL
        merged = _dt(s["merged_at"])
        # a date in the future or long before the quarter: judged by when it reached us
        received_for_deadline = merged if merged is not None and untrusted_date(received, merged, code) else received
        problems = json.loads(s["problems"])
        qr.returns[s["department"]] = Return(
            department=s["department"], quarter=code, received_at=received,
            on_time=received_for_deadline.date() <= deadline, sha256=s["sha256"], filename=s["filename"],
            time_source=time_source(received, _dt(s["sent_at"]), _dt(s["mtime"])),
            sender=s["sender"], contact=json.loads(s["contact"]),
            tasks=[TaskEntry(r["task_no"], one(r["department"]), one(r["role"] or ""), one(r["status"] or ""),
                             r["percent"], one(r["progress"] or ""), one(r["issues"] or ""), one(r["next_steps"] or ""),
                             one(r["cell"] or ""), one(_cells(r)))
                   for r in (conn.execute("SELECT * FROM task_values WHERE submission_id=? ORDER BY seq",
                                          (s["id"],)) if values else ())],
            indicators=_indicator_rows(conn, s["id"], one, shapes) if values else [],
            warnings=[_problem_text(p) for p in problems if p.get("severity") != ERROR],
            versions=counts.get(s["department"], 1))
        if values:
            _follow_renames(owned, qr.returns[s["department"]])
    for s in subs:
        if not s["accepted"]:
            qr.rejections.append(Rejection(
                s["department"], s["filename"], datetime.fromisoformat(s["received_at"]),
                [_problem_text(p) for p in json.loads(s["problems"]) if p.get("severity") == ERROR]))
    return qr


def _indicator_rows(conn, submission_id: int, one, shapes: dict):
    """A return's indicator rows in store order, as columns (returns.IndicatorRows)."""
    task_nos: list[int] = []
    names: list[str] = []
    departments: list[str] = []
    values: list[float | None] = []
    notes: list[str] = []
    cells: list[str] = []
    refs: list[str] = []
    for r in conn.execute("SELECT * FROM indicator_values WHERE submission_id=? ORDER BY seq", (submission_id,)):
        task_nos.append(r["task_no"])
        names.append(one(r["name"]))
        departments.append(one(r["department"]))
        values.append(r["value"])
        notes.append(one(r["note"] or ""))
        cells.append(one(r["cell"] or ""))
        refs.append(one(_cells(r)))
    return IndicatorRows.build(task_nos, names, departments, values, notes, cells, refs, shapes)


def _owned(plan: Plan) -> dict[str, list]:
    """department -> the indicators it owns, in plan order (Plan.indicators_for for every department
    at once: asked per return, that was O(indicators × tasks) each time)."""
    owned: dict[str, list] = {}
    for ind in plan.indicators:
        owned.setdefault(plan.indicator_owner(ind), []).append(ind)
    return owned


def _follow_renames(owned: dict[str, list], ret: Return) -> None:
    """Indicators renamed in the plan after their values were merged: within one task, the stored
    names the plan no longer has are paired in row order with the plan's names no value has, so
    the value is shown under the new name (with a warning) instead of the indicator as 未报送."""
    planned: dict[int, list[str]] = {}
    for ind in owned.get(ret.department, ()):
        planned.setdefault(ind.task_no, []).append(ind.name)
    if not planned:
        return
    rows = list(ret.indicators)  # one set of objects (IndicatorRows makes new ones on each pass): ids below
    for task_no, names in planned.items():
        stored = [e for e in rows if e.task_no == task_no]
        old = [e for e in stored if e.name not in names]
        new = [n for n in names if n not in {e.name for e in stored}]
        if not old or len(old) != len(new):
            continue
        renamed = {id(entry): name for entry, name in zip(old, new)}
        for entry, name in zip(old, new):
            ret.warnings.append(f"计划中任务{task_no}的指标“{entry.name}”已改名为“{name}”，"
                                f"已按原行把报送的值记在新名称下（{entry.cell}）。")
        rows = [dataclasses.replace(e, name=renamed[id(e)]) if id(e) in renamed else e for e in rows]
        ret.indicators = rows
