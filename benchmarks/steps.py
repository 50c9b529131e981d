"""The measured steps. Each runs in its own spawned child (measure.in_child).

A plan is passed as a spec, ("synth", units) or ("real", path), and rebuilt in the
child before the clock starts. Every step returns a dict of figures.
"""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from toolkit.resources import bundled_plan

from .measure import Clock, rss_mb

QUARTER = "2019Q2"
REAL_PLAN = bundled_plan()


def load(spec: tuple):
    """(plan, quarter) for a spec; the fingerprint is computed here, outside any timing."""
    from toolkit.quarter import parse_quarter
    kind, arg = spec
    if kind == "synth":
        from .synth import synth_plan
        plan = synth_plan(int(arg))
    elif kind == "national":
        from .synth import national_plan
        plan = national_plan(int(arg))
    else:
        from toolkit.plan.workbook import load_plan
        plan = load_plan(Path(arg))
    _ = plan.fingerprint
    return plan, parse_quarter(QUARTER, plan.settings.year)


def returns_in(folder: Path) -> list[Path]:
    return sorted(Path(folder).glob("*.xlsx"))


def generate(spec: tuple, out_dir: str) -> dict:
    """`plankit sheets`: every unit's fill-in workbook (with staging, sha256, manifest)."""
    from toolkit.fillin.generate import generate_sheets
    plan, q = load(spec)
    start = rss_mb()
    with Clock() as c:
        written = generate_sheets(plan, q, Path(out_dir))
    return {"seconds": c.seconds, "files": len(written), "rss_start_mb": round(start, 1),
            "folder": str(written[0].path.parent) if written else ""}


def plain_generate(spec: tuple, out_dir: str) -> dict:
    """The same cells with plain xlsxwriter (baseline.plain_write)."""
    from .baseline import plain_write
    plan, q = load(spec)
    start = rss_mb()
    with Clock() as c:
        files = plain_write(plan, q, Path(out_dir))
    shutil.rmtree(out_dir, ignore_errors=True)
    return {"seconds": c.seconds, "files": files, "rss_start_mb": round(start, 1)}


def merge(spec: tuple, inbox: str, out_dir: str, profile: str = "", durable: bool = True) -> dict:
    """`plankit merge` twice on the same inbox: the first run and the idempotent re-run.

    durable=False is a diagnostic only: fsync and SQLite's synchronous writes switched off in
    this child, to show how much of a merge is the price of surviving a power cut.
    """
    from toolkit.intake import returnfile  # noqa: F401  (imports are not the merge's cost,
    from toolkit.intake.merge import merge as run_merge  # as they are not the naive baseline's)
    from toolkit.paths import store_dir
    from toolkit.store.db import DB_NAME
    if not durable:
        _no_sync()
    plan, q = load(spec)
    start = rss_mb()
    profiler = _profiler(profile)
    with Clock() as first:
        result = run_merge(plan, q, Path(out_dir), [Path(inbox)])
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    peak_first = _peak()
    with Clock() as again:
        rerun = run_merge(plan, q, Path(out_dir), [Path(inbox)])
    with sqlite3.connect(store_dir(plan, Path(out_dir)) / DB_NAME) as conn:
        task_rows = conn.execute("SELECT COUNT(*) FROM task_values").fetchone()[0]
        indicator_rows = conn.execute("SELECT COUNT(*) FROM indicator_values").fetchone()[0]
    return {"seconds": first.seconds, "rerun_seconds": again.seconds, "files": len(result.files),
            "accepted": result.count("accepted"), "rerun_duplicates": rerun.count("duplicate"),
            "rejected": [f.path for f in result.files if f.outcome != "accepted"][:5],
            "task_rows": task_rows, "indicator_rows": indicator_rows,
            "rss_start_mb": round(start, 1), "peak_rss_mb": round(peak_first, 1),
            "reader_peak_rss_mb": round(_children_peak(), 1)}


def store_merge(spec: tuple, inbox: str, out_dir: str, store: str, start_at: float = 0.0) -> dict:
    """One `plankit merge` of a folder into `store` ("" = SQLite under out_dir), timed; with
    `start_at` (time.time()), it starts then, so merges run at once begin together."""
    import time
    from toolkit.intake import returnfile  # noqa: F401  (imports are not the merge's cost)
    from toolkit.intake.merge import merge as run_merge
    from toolkit.paths import store_dir
    if store:  # the server's driver, likewise (77 ms of CPU a process: four merges would pay it four times)
        import psycopg  # noqa: F401
    plan, q = load(spec)
    if start_at:
        time.sleep(max(0.0, start_at - time.time()))
    cpu = _cpu()
    with Clock() as c:
        result = run_merge(plan, q, Path(out_dir), [Path(inbox)], store=store or None, write_report=False)
    used = sum(p.stat().st_size for p in store_dir(plan, Path(out_dir)).rglob("*") if p.is_file()) if not store else 0
    return {"seconds": c.seconds, "files": len(result.files), "accepted": result.count("accepted"), "bytes": used,
            "ended_at": time.time(), "cpu_seconds": round(_cpu() - cpu, 2)}


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the reader processes), user + system."""
    import resource
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _no_sync() -> None:
    import contextlib
    import os

    from toolkit.store import db as store
    from toolkit.store import archive
    os.fsync = lambda fd: None
    archive._sync = os.fsync
    store.Store.group_commit = lambda self: contextlib.nullcontext()  # it would set NORMAL, then FULL
    connect = store.connect

    def fast(db, *, readonly=False):
        conn = connect(db, readonly=readonly)
        if not readonly:
            conn.execute("PRAGMA synchronous=OFF")
        return conn
    store.connect = fast


def _children_peak() -> float:
    """Peak RSS of the largest finished child (the merge's reader processes), in MB."""
    import resource
    import sys
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def naive(inbox: str) -> dict:
    from .baseline import naive_merge
    import openpyxl  # noqa: F401  (imports are not the loop's cost)
    import pandas  # noqa: F401
    return _timed_read(naive_merge, inbox)


def raw(inbox: str) -> dict:
    import python_calamine  # noqa: F401  (imports are not the loop's cost, as for the others)

    from .baseline import raw_read
    return _timed_read(raw_read, inbox)


def _timed_read(read, inbox: str) -> dict:
    """A baseline reader over every return in `inbox`: seconds plus the row counts it returns."""
    files = returns_in(Path(inbox))
    start = rss_mb()
    with Clock() as c:
        counts = read(files)
    return {"seconds": c.seconds, "files": len(files), "rss_start_mb": round(start, 1), **counts}


def report_and_brief(spec: tuple, out_dir: str) -> dict:
    """`plankit report` then `plankit brief` (docx with chart, no PDF) from a merged store."""
    from toolkit.render.brief import render_brief
    from toolkit.evaluate.judge import evaluate_quarter
    from toolkit.paths import quarter_dir
    from toolkit.render.report import build_report
    from toolkit.errors import PlankitError
    plan, q = load(spec)
    start = rss_mb()
    error = ""
    with Clock() as rep:
        try:
            build_report(plan, q, Path(out_dir))
        except PlankitError as exc:  # a finding, not a crash of the benchmark: recorded in the JSON
            error = str(exc)
    with Clock() as brf:
        ev = evaluate_quarter(plan, q, Path(out_dir))
        render_brief(ev, quarter_dir(plan, q, Path(out_dir), "brief"))
    return {"seconds": None if error else rep.seconds, "report_error": error, "brief_seconds": brf.seconds,
            "rss_start_mb": round(start, 1), "peak_rss_mb": round(_peak(), 1)}


def _peak() -> float:
    from .measure import peak_rss_mb
    return peak_rss_mb()


def _profiler(path: str):
    if not path:
        return None
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
    return profiler
