"""Merge runs: each run's id (its merge time), the list of runs, and withdrawing one (undo).

Every file a run records carries the run's merge time (submissions.merged_at); the run id
is that time written compactly (20190712-143000). Undo deletes the run's rows from the
database only: the archive keeps the files, and the journal gets an `undo` event so a
rebuild leaves the run out too.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

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


def next_run_time(conn, now: datetime) -> datetime:
    """`now`, or a second after the latest run when that is not earlier: run ids stay unique."""
    latest = conn.execute("SELECT MAX(merged_at) FROM submissions").fetchone()[0]
    if latest and datetime.fromisoformat(latest) >= now:
        return datetime.fromisoformat(latest) + timedelta(seconds=1)
    return now


def list_runs(conn, quarter: str) -> list[dict]:
    """Each run that recorded files for a quarter: id, time, files, accepted, departments.

    `accepted` counts the run's files in use now (as status's 已报 and the receipt's 采用 do): a
    version replaced by a later one, in this run or another, and a rejected file are not."""
    rows = conn.execute(
        "SELECT s.merged_at, COUNT(*) AS files, SUM(c.submission_id IS NOT NULL) AS accepted,"
        " GROUP_CONCAT(DISTINCT s.department) AS departments FROM submissions s"
        " LEFT JOIN current c ON c.submission_id = s.id WHERE s.quarter=?"
        " GROUP BY s.merged_at ORDER BY s.merged_at", (quarter,)).fetchall()
    return [{"run": run_id(r["merged_at"]), "merged_at": r["merged_at"], "files": r["files"],
             "accepted": r["accepted"] or 0,
             "departments": [d for d in (r["departments"] or "").split(",") if d]} for r in rows]


def undo_run(store, run: str, *, at: datetime | None = None) -> dict:
    """Withdraw every file one run recorded; each affected department's current version is chosen
    again (latest received among what is left). Returns the run's quarter, files and departments."""
    merged_at = iso(parse_run(run))
    conn = store.conn
    rows = conn.execute("SELECT * FROM submissions WHERE merged_at=?", (merged_at,)).fetchall()
    if not rows:
        raise PlankitError(f"找不到合并编号 {run} 的记录（可能已撤销）。", hint=HINT)
    ids = [r["id"] for r in rows]
    marks = ",".join("?" * len(ids))
    conn.execute("BEGIN IMMEDIATE")
    try:
        for table in ("task_values", "indicator_values"):
            conn.execute(f"DELETE FROM {table} WHERE submission_id IN ({marks})", ids)
        conn.execute(f"DELETE FROM current WHERE submission_id IN ({marks})", ids)
        conn.execute(f"DELETE FROM submissions WHERE id IN ({marks})", ids)
        for quarter, dept in {(r["quarter"], r["department"]) for r in rows if r["accepted"]}:
            if conn.execute("SELECT 1 FROM current WHERE quarter=? AND department=?", (quarter, dept)).fetchone():
                continue
            latest = conn.execute(
                "SELECT id FROM submissions WHERE quarter=? AND department=? AND accepted=1"
                " ORDER BY received_at DESC, id DESC LIMIT 1", (quarter, dept)).fetchone()
            if latest is not None:
                conn.execute("INSERT INTO current VALUES(?,?,?,?)", (quarter, dept, latest["id"], "latest"))
        store.journal({"event": "undo", "merged_at": merged_at, "at": iso(at or datetime.now())})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return {"run": run_id(parse_run(run)), "quarters": sorted({r["quarter"] for r in rows}),
            "files": [r["filename"] for r in rows],
            "departments": sorted({r["department"] for r in rows if r["department"]})}
