"""Copies of the master workbook each set of fill-in sheets was generated from.

`plankit sheets` keeps one under store/plans/<fingerprint>.<ext>; a merge reads a return of an
earlier version against the version the department saw (the plan was corrected after the sheets
went out) instead of rejecting every such return as 按旧版计划生成.
"""
from __future__ import annotations

import contextlib
import dataclasses
import shutil
from pathlib import Path

from toolkit.model import Plan
from toolkit.paths import store_dir

PLANS = "plans"


def keep_plan(plan: Plan, out_dir: Path) -> None:
    """Keep a copy of the plan's master workbook (once per version); never fails the caller."""
    source = plan.source
    if source is None or not Path(source).is_file():
        return
    folder = store_dir(plan, Path(out_dir)) / PLANS
    target = folder / f"{plan.fingerprint}{Path(source).suffix.lower()}"
    if target.exists():
        return
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp-{target.name}")
        shutil.copyfile(source, tmp)
        tmp.replace(target)


def with_earlier_versions(plan: Plan, root: Path) -> Plan:
    """The plan, knowing the earlier versions kept under `root` (the store); the plan itself
    when there are none (the usual case: nothing is loaded)."""
    folder = Path(root) / PLANS
    if not folder.is_dir():
        return plan
    candidates = [p for p in sorted(folder.iterdir())
                  if not p.name.startswith((".", plan.fingerprint)) and p.is_file()]
    if not candidates:
        return plan
    from toolkit.plan.workbook import load_plan
    earlier = {}
    for path in candidates:
        try:
            old = load_plan(path)
        except Exception:  # an unreadable copy: its returns are rejected as before
            continue
        if old.plan_id == plan.plan_id and old.fingerprint != plan.fingerprint:
            earlier[old.fingerprint] = old
    return dataclasses.replace(plan, earlier=earlier) if earlier else plan
