"""Copies of the master workbook each set of fill-in sheets was generated from.

`plankit sheets` keeps one per plan version: under store/plans/<fingerprint>.<ext> on this PC
and, when the store is a server, in the plan's `plan_versions` table too, so a coordinator
merging on another PC has it. A merge reads a return of an earlier version against the version
the department saw (the plan was corrected after the sheets went out) instead of rejecting every
such return as 按旧版计划生成.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.store.location import Location, resolve
from toolkit.store.sql import Database

PLANS = "plans"


def keep_plan(plan: Plan, out_dir: Path) -> None:
    """Keep a copy of the plan's master workbook (once per version). The local copy never fails
    the caller; on a server store the copy is stored in the database too (its errors are the
    store's: the sheets are made, but another PC could not read their returns)."""
    source = plan.source
    if source is None or not Path(source).is_file():
        return
    ext = Path(source).suffix.lower()
    folder = store_dir(plan, Path(out_dir)) / PLANS
    target = folder / f"{plan.fingerprint}{ext}"
    if not target.exists():
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".tmp-{target.name}")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
    location = resolve(plan, out_dir)
    if location.shared:
        put_versions(location, [(plan.fingerprint, ext.lstrip("."), Path(source).read_bytes(), "")])


def stored_versions(location: Location, db: Database | None = None) -> list[tuple[str, str, bytes, str]]:
    """(fingerprint, ext without dot, bytes, kept_at) of every version kept in a server store
    (read through `db` when given: within its snapshot); a SQLite store's folder `plans/` beside
    its database (kept_at: "")."""
    if not location.shared:
        folder = location.root / PLANS
        if not folder.is_dir():
            return []
        return [(p.stem, p.suffix.lstrip("."), p.read_bytes(), "") for p in sorted(folder.iterdir())
                if p.is_file() and not p.name.startswith(".")]
    conn = db or location.open()
    try:
        if not conn.has_table("plan_versions"):  # a store no sheets were kept in yet
            return []
        return [(r[0], r[1], bytes(r[2]), r[3]) for r in conn.execute(
            "SELECT fingerprint, ext, data, kept_at FROM plan_versions ORDER BY fingerprint, ext")]
    finally:
        if db is None:
            conn.close()


def put_versions(location: Location, versions: list[tuple[str, str, bytes, str]]) -> None:
    """Keep these versions in `location` (a version already there stays as it is)."""
    if not versions:
        return
    if not location.shared:
        folder = location.root / PLANS
        folder.mkdir(parents=True, exist_ok=True)
        for fingerprint, ext, data, _ in versions:
            target = folder / f"{fingerprint}.{ext}"
            if not target.exists():
                tmp = target.with_name(f".tmp-{target.name}")
                tmp.write_bytes(data)
                tmp.replace(target)
        return
    from toolkit.store.schema import ensure
    db = location.open()
    try:
        ensure(db, location.plan_id, archive=True)
        now = datetime.now().replace(microsecond=0).isoformat()
        with db.transaction():
            db.executemany("INSERT INTO plan_versions(fingerprint, ext, data, kept_at) VALUES(?, ?, ?, ?)"
                           " ON CONFLICT(fingerprint, ext) DO NOTHING",
                           [(f, e, d, k or now) for f, e, d, k in versions])
    finally:
        db.close()


def version_hashes(versions: Location | list[tuple[str, str, bytes, str]]) -> dict[tuple[str, str], str]:
    """sha256 of each kept version's bytes: how `store copy` checks it carried them."""
    found = stored_versions(versions) if isinstance(versions, Location) else versions
    return {(f, e): hashlib.sha256(d).hexdigest() for f, e, d, _ in found}


def with_earlier_versions(plan: Plan, root: Path, location: Location | None = None,
                          db: Database | None = None) -> Plan:
    """The plan, knowing the earlier versions kept under `root` (the store's folder on this PC)
    and, for a server store, in its database (read through `db` when given, the merge's own
    connection); the plan itself when there are none (the usual case: nothing is loaded).

    On a server only the names of the other versions are read first, and the bytes of those this
    PC has no copy of: a merge does not download the plan it runs with, nor a version again."""
    folder = Path(root) / PLANS
    candidates = [p for p in sorted(folder.iterdir())
                  if not p.name.startswith((".", plan.fingerprint)) and p.is_file()] if folder.is_dir() else []
    stored = _other_versions(location, db, plan.fingerprint, {p.name for p in candidates}) \
        if location is not None and location.shared else []
    if not candidates and not stored:
        return plan
    earlier: dict[str, Plan] = {}
    for name, data in [(p.name, None) for p in candidates] + stored:
        try:
            old = _loaded(folder / name if data is None else None, name, data)
        except Exception:  # an unreadable copy: its returns are rejected as before
            continue
        if old.plan_id == plan.plan_id and old.fingerprint != plan.fingerprint:
            earlier[old.fingerprint] = old
    return dataclasses.replace(plan, earlier=earlier) if earlier else plan


def _other_versions(location: Location, db: Database | None, current: str, local: set[str]) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each version a server keeps other than `current` and those in `local`."""
    conn = db or location.open()
    try:
        if not conn.has_table("plan_versions"):  # a store no sheets were kept in yet
            return []
        names = [f"{r[0]}.{r[1]}" for r in conn.execute(
            "SELECT fingerprint, ext FROM plan_versions WHERE fingerprint<>? ORDER BY fingerprint, ext", (current,))]
        return [(name, bytes(conn.execute("SELECT data FROM plan_versions WHERE fingerprint=? AND ext=?",
                                          tuple(name.rsplit(".", 1))).fetchone()[0]))
                for name in names if name not in local]
    finally:
        if db is None:
            conn.close()


_LOADED: dict[str, Plan] = {}  # "where:sha256" of a kept version -> the plan read from it (this process)


def _loaded(path: Path | None, name: str, data: bytes | None) -> Plan:
    """A kept version read as a plan (from `path` on this PC, else from the server's bytes), once per
    process for the same file (a library caller merging several times reads each version once)."""
    raw = data if data is not None else Path(path).read_bytes()  # type: ignore[arg-type]
    key = f"{path or name}:{hashlib.sha256(raw).hexdigest()}"
    if key not in _LOADED:
        from toolkit.plan.workbook import load_plan
        if path is not None:
            _LOADED[key] = load_plan(path)
        else:
            with tempfile.TemporaryDirectory(prefix="plankit-plans-") as tmp:
                copy = Path(tmp) / name  # load_plan reads a file: the version under its kept name
                copy.write_bytes(raw)
                _LOADED[key] = load_plan(copy)
    return _LOADED[key]
