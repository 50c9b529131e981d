"""Merge runs: each run's id (its merge time), the list of runs, and withdrawing one (undo).

Every file a run records carries the run's merge time (submissions.merged_at); the run id
is that time written compactly (20190712-143000). Store.new_run hands the times out through
the `runs` table, in a transaction, so merges running at once never share one. Undo deletes the run's rows from the
database only: the archive keeps the files, and the journal gets an `undo` event so a
rebuild leaves the run out too.
"""
from __future__ import annotations

import re
from datetime import datetime

from toolkit.errors import PlankitError
from toolkit.store.archive import iso

RUN_FORMAT = "%Y%m%d-%H%M%S"
HINT = ("请用 plankit status -q 季度 查看各次合并的编号（合并时也会显示）。"
        "plans/ 中有多个计划时，请用 --plan 指定那次合并所用的计划。")


def run_id(merged_at: datetime | str) -> str:
    if isinstance(merged_at, str):
        merged_at = datetime.fromisoformat(merged_at)
    return merged_at.strftime(RUN_FORMAT)


def parse_run(text: str) -> datetime:
    """20190712-143000 (as shown), or 2019-07-12 14:30:00."""
    digits = re.sub(r"\D", "", str(text))
    try:
        return datetime.strptime(digits, "%Y%m%d%H%M%S")
    except ValueError:
        raise PlankitError(f"“{text}”不是合并编号（形如 20190712-143000）。", hint=HINT)


def list_runs(conn, quarter: str) -> list[dict]:
    """Each run that recorded files for a quarter: id, time, files, accepted, departments.

    `accepted` counts the run's files in use now (as status's 已报 and the receipt's 采用 do): a
    version replaced by a later one, in this run or another, and a rejected file are not."""
    runs: dict[str, dict] = {}
    for r in conn.execute(
            "SELECT s.merged_at, s.department, c.submission_id AS cur FROM submissions s"
            " LEFT JOIN current c ON c.submission_id = s.id WHERE s.quarter=? ORDER BY s.merged_at, s.id",
            (quarter,)):
        run = runs.setdefault(r["merged_at"], {"run": run_id(r["merged_at"]), "merged_at": r["merged_at"],
                                               "files": 0, "accepted": 0, "departments": []})
        run["files"] += 1
        run["accepted"] += r["cur"] is not None
        if r["department"] and r["department"] not in run["departments"]:
            run["departments"].append(r["department"])
    return list(runs.values())


def undo_run(store, run: str, *, at: datetime | None = None) -> dict:
    """Withdraw every file one run recorded; each affected department's current version is chosen
    again (latest received among what is left). Returns the run's quarter, files and departments."""
    merged_at = iso(parse_run(run))
    db = store.db
    rows = db.execute("SELECT * FROM submissions WHERE merged_at=?", (merged_at,)).fetchall()
    if not rows:
        raise PlankitError(f"找不到合并编号 {run} 的记录（可能已撤销）。", hint=HINT)
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    quarters = sorted({r["quarter"] for r in rows})
    with db.transaction(lock=[f"{r['quarter']}/{r['department']}" for r in rows] + ["shared:plan"]):  # db.write_locks
        for table in ("task_values", "indicator_values"):
            db.execute(f"DELETE FROM {table} WHERE submission_id IN ({marks})", ids)
        db.execute(f"DELETE FROM current WHERE submission_id IN ({marks})", ids)
        db.execute(f"DELETE FROM submissions WHERE id IN ({marks})", ids)
        for quarter, dept in sorted({(r["quarter"], r["department"]) for r in rows if r["accepted"]}):
            if db.execute("SELECT 1 FROM current WHERE quarter=? AND department=?", (quarter, dept)).fetchone():
                continue
            latest = db.execute(
                "SELECT id FROM submissions WHERE quarter=? AND department=? AND accepted=1"
                " ORDER BY received_at DESC, id DESC LIMIT 1", (quarter, dept)).fetchone()
            if latest is not None:
                db.execute("INSERT INTO current(quarter, department, submission_id, chosen_by) VALUES(?,?,?,?)",
                           (quarter, dept, latest["id"], "latest"))
        store.journal({"event": "undo", "merged_at": merged_at, "at": iso(at or datetime.now())})
    return {"run": run_id(parse_run(run)), "quarters": quarters,
            "files": [r["filename"] for r in rows],
            "departments": sorted({r["department"] for r in rows if r["department"]})}
