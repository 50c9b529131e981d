"""Every stored value of a quarter as one pandas DataFrame, with where each value came from.

One row per (task or indicator) × department × accepted version: the current version and the
ones it replaced (`current` tells them apart). Rejected files hold no values, so they have no rows.
The cell recorded for a task is its 进展状态 cell (the row is the task's row on 进展填报); an
indicator's is its 累计完成值 cell. pandas is imported inside quarter_frame, so importing this
module (and `import toolkit`) stays light.
"""
from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from toolkit.model import Plan
from toolkit.quarter import Quarter, as_quarter
from toolkit.store.db import StoreError, reading
from toolkit.store.location import Location, resolve

if TYPE_CHECKING:
    import pandas

TASK, INDICATOR = "任务", "指标"

# column -> Chinese header (the order of the frame and of `plankit export`)
COLUMNS = {
    "quarter": "季度", "kind": "类别", "task_no": "任务序号", "task_name": "任务名称",
    "indicator": "指标名称", "unit": "单位", "department": "填报单位", "role": "角色",
    "status": "进展状态", "percent": "完成进度(%)", "progress": "主要工作进展", "issues": "存在问题",
    "next_steps": "下一步计划", "value": "累计完成值", "note": "数据说明",
    "current": "当前版本", "version": "版本序号", "chosen_by": "采用依据",
    "filename": "文件名", "sha256": "文件SHA256", "sheet": "工作表", "cell": "单元格",
    "sender": "发件人", "origin": "来源", "reporter": "填报人", "received_at": "收到时间",
    "on_time": "按时报送", "merged_at": "合并时间",
}
CHOSEN_BY = {"latest": "最新收到", "coordinator": "汇总人员指定"}

_SUBMISSIONS = """
SELECT s.*, c.chosen_by AS chosen_by FROM submissions s
LEFT JOIN current c ON c.submission_id = s.id
WHERE s.quarter = ? AND s.accepted = 1 ORDER BY s.received_at, s.id"""


def quarter_frame(plan: Plan, quarter: Quarter | str, out_dir: Path | str, *,
                  store: str | Location | None = None) -> pandas.DataFrame:
    """Every stored value of `quarter` under `out_dir` (or in `store`: a URL, see merge), with
    provenance (columns: COLUMNS).

    An empty frame (with the same columns) when nothing is stored for the quarter.
    """
    import pandas as pd

    quarter = as_quarter(quarter, plan.settings.year)
    rows = _rows(plan, quarter, resolve(plan, out_dir, store))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    frame = frame.astype({"task_no": "int64", "version": "int64", "current": "bool", "on_time": "bool",
                          "percent": "float64", "value": "float64"})
    for column in ("received_at", "merged_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


def _rows(plan: Plan, quarter: Quarter, location: Location) -> list[dict]:
    with reading(location) as conn:
        if conn is None:
            return []
        try:
            subs = conn.execute(_SUBMISSIONS, (quarter.code,)).fetchall()
            tasks = conn.execute("SELECT v.* FROM task_values v JOIN submissions s ON s.id = v.submission_id"
                                 " WHERE s.quarter = ? AND s.accepted = 1 ORDER BY v.submission_id, v.seq",
                                 (quarter.code,)).fetchall()
            inds = conn.execute("SELECT v.* FROM indicator_values v JOIN submissions s ON s.id = v.submission_id"
                                " WHERE s.quarter = ? AND s.accepted = 1 ORDER BY v.submission_id, v.seq",
                                (quarter.code,)).fetchall()
        except sqlite3.OperationalError as exc:  # a store without its tables yet, or a damaged one
            if "no such table" in str(exc):
                return []
            raise StoreError(f"数据库 {location.label} 无法读取（{exc}）。", hint="可运行 plankit merge --rebuild 从归档重建。")
    deadline = plan.settings.deadline(quarter.q)
    provenance: dict[int, dict] = {}
    seen: dict[str, int] = {}  # department -> accepted files so far
    for s in subs:  # received order: the n-th accepted file of a department is its version n
        seen[s["department"]] = seen.get(s["department"], 0) + 1
        received = datetime.fromisoformat(s["received_at"])
        provenance[s["id"]] = {
            "quarter": quarter.code, "department": s["department"],
            "current": s["chosen_by"] is not None, "version": seen[s["department"]],
            "chosen_by": CHOSEN_BY.get(s["chosen_by"], s["chosen_by"] or ""),
            "filename": s["filename"], "sha256": s["sha256"], "sender": s["sender"], "origin": s["origin"],
            "reporter": str(json.loads(s["contact"] or "{}").get("填报人") or ""),
            "received_at": received, "on_time": received.date() <= deadline,
            "merged_at": datetime.fromisoformat(s["merged_at"])}
    names = {t.no: t.name for t in plan.tasks}
    units = {(i.task_no, i.name): i.unit for i in plan.indicators}
    rows = []
    for v in tasks:
        rows.append({**provenance[v["submission_id"]], **_where(v["cell"]), "kind": TASK,
                     "task_no": v["task_no"], "task_name": names.get(v["task_no"], ""), "indicator": "",
                     "unit": "", "role": v["role"] or "", "status": v["status"] or "", "percent": v["percent"],
                     "progress": v["progress"] or "", "issues": v["issues"] or "",
                     "next_steps": v["next_steps"] or "", "value": None, "note": ""})
    for v in inds:
        rows.append({**provenance[v["submission_id"]], **_where(v["cell"]), "kind": INDICATOR,
                     "task_no": v["task_no"], "task_name": names.get(v["task_no"], ""), "indicator": v["name"],
                     "unit": units.get((v["task_no"], v["name"]), ""), "role": "", "status": "", "percent": None,
                     "progress": "", "issues": "", "next_steps": "", "value": v["value"], "note": v["note"] or ""})
    order = {d: n for n, d in enumerate(plan.department_names())}
    indicator_order = {(i.task_no, i.name): n for n, i in enumerate(plan.indicators)}
    rows.sort(key=lambda r: (r["kind"] != TASK, r["task_no"], indicator_order.get((r["task_no"], r["indicator"]), 0),
                             order.get(r["department"], len(order)), r["department"], r["version"]))
    return rows


def _where(cell: str | None) -> dict:
    """`进展填报!G5` -> sheet 进展填报, cell G5."""
    sheet, _, ref = (cell or "").rpartition("!")
    return {"sheet": sheet, "cell": ref}
