"""Where everything lives under --out. One place, so every command agrees.

  out/<plan_id>/store/plankit.sqlite        merged values with provenance
  out/<plan_id>/store/archive/<sha256>.<ext> every received file, unchanged, never deleted
  out/<plan_id>/<2019Q2>/sheets/            fill-in workbooks + manifest.json
  out/<plan_id>/<2019Q2>/merge/             merge report workbook
  out/<plan_id>/<2019Q2>/report/            consolidated progress workbook
  out/<plan_id>/<2019Q2>/brief/             briefing pack (.docx/.pdf) and 督办 notices
  out/<plan_id>/<2019Q2>/mail/              outgoing .eml files and the send log
  out/<plan_id>/<2019Q2>/export/            every stored value as .csv/.xlsx (plankit export)
"""
from __future__ import annotations

from pathlib import Path

from toolkit.model import Plan
from toolkit.quarter import Quarter


def plan_dir(plan: Plan, out: Path) -> Path:
    return Path(out) / plan.plan_id


def store_dir(plan: Plan, out: Path) -> Path:
    return plan_dir(plan, out) / "store"


def quarter_dir(plan: Plan, quarter: Quarter, out: Path, step: str) -> Path:
    """`step` is one of sheets, merge, report, brief, mail, export."""
    return plan_dir(plan, out) / quarter.code / step
