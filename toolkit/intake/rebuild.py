"""Rebuilding the database from the archive alone (`plankit merge --rebuild`).

The journal is replayed through the same per-file code as a merge, with the recorded
reception times, into a new database that replaces the old one only when complete.
The journal is not trusted to be whole: spreadsheets the archive index lists but the journal
does not (a log cut short or torn), and archived spreadsheets that neither lists (both logs
lost), are added in archiving order; the last are placed by what they say about themselves
(the quarter in their embedded identity). What cannot be placed is reported, and a database
holding submissions the rebuild did not find is kept unless the caller forces the rebuild.
Coordinator choices (--prefer) live only in the journal.
"""
from __future__ import annotations

import contextlib
import os
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

from toolkit.errors import REBUILD_WOULD_LOSE, STORE_EMPTY_ARCHIVE, PlankitError
from toolkit.intake.collect import SPREADSHEETS, Item
from toolkit.intake.merge import MergeResult, _Merger, merge_items
from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.store.plans import with_earlier_versions
from toolkit.store.db import PLAN_LOCK, Store, _dt, connect, run_lock
from toolkit.store.location import Location, resolve
from toolkit.store.schema import DB_TABLES, statements
from toolkit.store.sql import PgDatabase, quote

ARCHIVED = re.compile(r"^([0-9a-f]{64})\.([a-z0-9]+)$")


class RebuildError(PlankitError):
    """The rebuild found less than the database holds (and was not forced)."""
    code = REBUILD_WOULD_LOSE


class Rebuilt(dict):
    """Submissions re-read per quarter (the dict), plus what the rebuild has to say:
    `unplaced` (archived files it could not put in any quarter, with why), `added` (files the
    journal did not list, taken from the archive itself) and `lost` (what the old database
    held that the new one does not; only non-empty when forced)."""

    def __init__(self, counts=(), *, unplaced=(), added=0, lost=(), damaged=()):
        super().__init__(counts)
        self.damaged: list = list(damaged)  # archive.Damage: not re-read (not what was received)
        self.unplaced: list[str] = list(unplaced)
        self.added = added
        self.lost: list[str] = list(lost)


def rebuild(plan: Plan, out_dir: Path, *, progress=None, lock_timeout: float = 10.0,
            force: bool = False, store: str | Location | None = None) -> Rebuilt:
    """Rebuild the database from the archive and its journal; replace it atomically.

    Returns how many submissions per quarter were re-read (with notes, see Rebuilt). Raises
    RebuildError, leaving the database untouched, when the old database holds submissions or
    current versions the rebuild did not find, unless `force`.

    SQLite: into plankit.sqlite.rebuild beside the database, renamed over it when complete.
    PostgreSQL: into the tables of a schema of its own, which read the archive and journal of the
    plan's schema (search_path), moved into the plan's schema in one transaction when complete.
    """
    location = resolve(plan, out_dir, store)
    plan = with_earlier_versions(plan, store_dir(plan, out_dir), location)
    if location.shared:
        return _rebuild_server(plan, out_dir, location, progress, force)
    root = location.root
    assert location.db_path is not None
    with run_lock(root, lock_timeout):
        tmp = location.db_path.with_name(location.db_path.name + ".rebuild")
        _remove(tmp)
        store_ = Store(root, db_path=tmp, journal=False, plan_id=plan.plan_id)
        try:
            counts, lost, unplaced, added, damaged = _rebuild_into(plan, out_dir, store_, progress, force,
                                                                   lambda new: _lost_sqlite(location.db_path, new))
            store_.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            store_.close()
            _remove(tmp)
            raise
        store_.close()
        db = location.db_path
        for stale in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)  # safe: we hold the lock and no connection is open
        os.replace(tmp, db)
    return Rebuilt(counts, unplaced=unplaced, added=added, lost=lost, damaged=damaged)


def _rebuild_into(plan: Plan, out_dir: Path, store: Store, progress, force: bool, find_lost):
    """Replay the archive into `store`'s (new, empty) tables. Returns (counts, lost, unplaced,
    added, damaged); raises RebuildError when the old database holds more, unless `force`."""
    counts: dict[str, int] = {}
    _, damaged = store.verify()
    bad = {d.name.split(".", 1)[0] for d in damaged}
    events, added, unplaced = _all_events(plan, store, bad)
    events = [ev for ev in events if ev.get("event") != "received" or ev["sha256"] not in bad]
    if not events and not damaged:
        where = store.archive_dir or store.location.label
        raise PlankitError(f"归档 {where} 中没有可用于重建的文件，数据库未改动。",
                           code=STORE_EMPTY_ARCHIVE)
    seen: set[tuple[str, str]] = set()
    replays: list[dict] = []  # each file's first reception and each choice, in order
    for ev in events:
        if ev.get("event") == "received" and (ev["quarter"], ev["sha256"]) not in seen:
            seen.add((ev["quarter"], ev["sha256"]))
            replays.append(ev)
            counts[ev["quarter"]] = counts.get(ev["quarter"], 0) + 1
        elif ev.get("event") == "prefer":
            replays.append(ev)
        elif ev.get("event") == "undo":  # a withdrawn run: its files are left out again
            gone = [r for r in replays if r["event"] == "received" and r.get("merged_at") == ev["merged_at"]]
            for r in gone:
                replays.remove(r)
                seen.discard((r["quarter"], r["sha256"]))
                counts[r["quarter"]] -= 1
    done, total = 0, sum(counts.values())
    for batch in _batches(replays):
        if batch[0].get("event") == "prefer":
            try:
                store.prefer(batch[0]["quarter"], batch[0]["sha256"], at=_dt(batch[0].get("at")))
            except PlankitError:
                pass  # the chosen file no longer reads as accepted: latest-wins applies
            continue
        _replay(plan, out_dir, store, batch, lambda n, name, before=done: progress and progress(
            before + n, total, name))
        done += len(batch)
    store.db.execute("INSERT INTO runs(merged_at) SELECT DISTINCT merged_at FROM submissions WHERE true"
                     " ON CONFLICT(merged_at) DO NOTHING")
    lost = find_lost(store.db)
    if lost and not force:
        raise RebuildError(
            "".join(f"归档文件已损坏：{d}。" for d in damaged[:10])
            + f"重建结果比现有数据库少，数据库未改动：{'；'.join(lost[:10])}"
            + (f"（等{len(lost)}项）" if len(lost) > 10 else "") + "。",
            hint="归档文件可能缺失或被改动（可运行 plankit store verify 检查）。"
                 "确认要以重建结果替换现有数据库时，请加 --force。")
    return counts, lost, unplaced, added, damaged


def _rebuild_server(plan: Plan, out_dir: Path, location: Location, progress, force: bool) -> Rebuilt:
    live = quote(location.schema)
    side = quote(location.schema[:50] + "__rebuild")
    db = PgDatabase(location.conninfo, location.label, location.schema)
    try:
        Store.open(location, db=db).files.close()  # the plan's schema exists, at today's version
        # merges and choices wait (their files are archived meanwhile, then recorded into the
        # rebuilt tables): nothing committed during the replay can be missing from its result
        db.hold(PLAN_LOCK)
        db.execute(f"DROP SCHEMA IF EXISTS {side} CASCADE")
        db.execute(f"CREATE SCHEMA {side}")
        db.execute(f"SET search_path TO {side}, {live}")
        for statement in statements(db):
            db.execute(statement)  # created in the side schema; the archive tables stay the plan's
        store_ = Store(location=location, db=db, journal=False, prepared=True)
        counts, lost, unplaced, added, damaged = _rebuild_into(
            plan, out_dir, store_, progress, force, lambda new: _lost_server(db, live, side))
        with db.transaction(lock="rebuild"):
            for table in reversed(DB_TABLES):
                db.execute(f"LOCK TABLE {live}.{table} IN ACCESS EXCLUSIVE MODE")
            for table in reversed(DB_TABLES):
                db.execute(f"DROP TABLE {live}.{table}")
            for table in DB_TABLES:
                db.execute(f"ALTER TABLE {side}.{table} SET SCHEMA {live}")
        db.execute(f"DROP SCHEMA {side} CASCADE")
    except BaseException:
        with contextlib.suppress(Exception):
            db.execute(f"DROP SCHEMA IF EXISTS {side} CASCADE")
        raise
    finally:
        db.close()
    return Rebuilt(counts, unplaced=unplaced, added=added, lost=lost, damaged=damaged)


def _remove(tmp: Path) -> None:
    for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        leftover.unlink(missing_ok=True)


def _all_events(plan: Plan, store: Store, bad: set[str]) -> tuple[list[dict], int, list[str]]:
    """The journal, completed from the archive index and the archived files themselves.

    Returns (events in order, how many files the journal lacked, files that could not be placed)."""
    journal = store.events()
    listed = {ev["sha256"] for ev in journal if ev.get("event") == "received"}
    extra = [ev for ev in _index_events(store) if ev["sha256"] not in listed]
    indexed = listed | {m.get("sha256") for m in store.received()} | bad
    placed, unplaced = _self_described(plan, store, indexed)
    extra += placed
    if not extra:
        return journal, 0, unplaced
    # in time order; the journal's own order is kept (it is in time order already)
    events = sorted(journal + extra, key=lambda e: _when(e))
    return events, len(extra), unplaced


def _when(ev: dict) -> str:
    return str((ev.get("at") if ev.get("event") in ("prefer", "undo") else ev.get("merged_at")) or "")


def _index_events(store: Store) -> list[dict]:
    """Every archived spreadsheet's first reception, from the archive index."""
    events, seen = [], set()
    for meta in store.received():
        if meta.get("ext") in SPREADSHEETS and meta.get("quarter") and meta.get("sha256") not in seen:
            seen.add(meta["sha256"])
            received = meta.get("sent_at") or meta.get("mtime")
            events.append({**meta, "event": "received", "received_at": received,
                           "merged_at": meta.get("archived_at") or received, "error": ""})
    return sorted(events, key=lambda e: (e["merged_at"] or "", e["received_at"] or "", e["sha256"]))


def _self_described(plan: Plan, store: Store, known: set) -> tuple[list[dict], list[str]]:
    """Archived spreadsheets no log mentions: each placed by the quarter it names itself,
    received when it was archived (its file time)."""
    from toolkit.intake import readers
    todo = []
    if store.archive_dir is None:  # in the database
        return _self_described_in_db(plan, store, known)
    for path in sorted(store.archive_dir.iterdir()):
        m = ARCHIVED.match(path.name)
        if m and m.group(2) in SPREADSHEETS and m.group(1) not in known:
            todo.append(path)
    # in reader processes, as a merge reads; received to the microsecond of its file time: files
    # of one merge were archived one after another, in arrival order
    placed, unplaced = _place(readers.quarters_of(todo, plan),
                              lambda n, path: datetime.fromtimestamp(path.stat().st_mtime).isoformat(sep=" "))
    placed.sort(key=lambda e: (e["merged_at"], e["sha256"]))
    return placed, unplaced


def _self_described_in_db(plan: Plan, store: Store, known: set) -> tuple[list[dict], list[str]]:
    """_self_described for a server store's archive (its index rows deleted, a partial restore):
    the files have no file time, so they are taken in the order the server stored them (ctid:
    the table is only ever inserted into) and received at the time of the rebuild."""
    import tempfile

    from toolkit.intake import readers
    todo = [(r[0], r[1]) for r in store.db.execute("SELECT sha256, ext FROM archive_files ORDER BY ctid")
            if r[1] in SPREADSHEETS and r[0] not in known]
    if not todo:
        return [], []
    with tempfile.TemporaryDirectory(prefix="plankit-rebuild-") as tmp:
        paths = []
        for sha, ext in todo:  # the reader processes read files: one at a time out of the database
            paths.append(Path(tmp) / f"{sha}.{ext}")
            paths[-1].write_bytes(dict(store.archived_bytes(sha))[ext])
        found = readers.quarters_of(paths, plan)
    start = datetime.now()  # a microsecond apart: in stored order
    return _place(found, lambda n, path: (start + timedelta(microseconds=n)).isoformat(sep=" "))


def _place(found, received_at) -> tuple[list[dict], list[str]]:
    """The received events of archived files placed by their own quarter ((path, quarter, why) from
    readers.quarters_of; `received_at(n, path)` the time of the n-th), and those it could not place."""
    placed: list[dict] = []
    unplaced: list[str] = []
    for n, (path, quarter, why) in enumerate(found):
        if not quarter:
            unplaced.append(f"{path.name}（{why}）")
            continue
        sha, ext = ARCHIVED.match(path.name).groups()  # type: ignore[union-attr]
        at = received_at(n, path)
        placed.append({"event": "received", "quarter": quarter, "sha256": sha, "ext": ext,
                       "filename": path.name, "origin": f"归档/{path.name}（日志中无记录，按文件内容归入）",
                       "sender": "", "sent_at": None, "mtime": at, "received_at": at, "merged_at": at,
                       "error": ""})
    return placed, unplaced


def _lost_sqlite(old_db: Path, new) -> list[str]:
    if not old_db.exists():
        return []
    try:
        old = connect(old_db, readonly=True)
        try:
            old_subs = old.execute("SELECT quarter, sha256, filename, department FROM submissions").fetchall()
            old_current = old.execute(CURRENT).fetchall()
        finally:
            old.close()
    except sqlite3.Error:  # damaged or not a database: nothing to compare with
        return []
    return _lost(old_subs, old_current, new)


def _lost_server(db, live: str, side: str) -> list[str]:
    db.execute(f"SET search_path TO {live}")
    try:
        old_subs = db.execute("SELECT quarter, sha256, filename, department FROM submissions").fetchall()
        old_current = db.execute(CURRENT).fetchall()
    finally:
        db.execute(f"SET search_path TO {side}, {live}")
    return _lost(old_subs, old_current, db)


CURRENT = "SELECT c.quarter, c.department, s.sha256 FROM current c JOIN submissions s ON s.id = c.submission_id"


def _lost(old_subs, old_current, new) -> list[str]:
    """What the old database holds that the rebuilt one does not: submissions and current versions."""
    new_subs = {(r[0], r[1]) for r in new.execute("SELECT quarter, sha256 FROM submissions")}
    new_current = {(r[0], r[1]): r[2] for r in new.execute(CURRENT)}
    lost = [f"{r[0]} {r[3] or '未识别单位'} 的 {r[2]}（编号 {r[1][:12]}）不在重建结果中"
            for r in old_subs if (r[0], r[1]) not in new_subs]
    lost += [f"{q} {dept} 的当前版本由 {sha[:12]} 变为 "
             + (new_current[(q, dept)][:12] if (q, dept) in new_current else "未报送")
             for q, dept, sha in old_current if new_current.get((q, dept)) != sha]
    return lost


def _batches(events: list[dict]):
    """Runs of received files of one quarter (read together), and each choice on its own."""
    run: list[dict] = []
    for ev in events:
        if ev["event"] == "received" and (not run or run[0]["quarter"] == ev["quarter"]):
            run.append(ev)
            continue
        if run:
            yield run
        run = [ev] if ev["event"] == "received" else []
        if ev["event"] == "prefer":
            yield [ev]
    if run:
        yield run


def _replay(plan: Plan, out_dir: Path, store: Store, events: list[dict], progress) -> None:
    """Re-merge one quarter's received files, in order, as a merge would (reader processes
    included, so a file that crashes the reader is rejected and the rebuild goes on)."""
    from toolkit.quarter import parse_quarter
    quarter = parse_quarter(events[0]["quarter"], plan.settings.year)
    items = []
    for ev in events:
        name = f"{ev['sha256']}.{ev['ext'] or 'bin'}"
        if store.archive_dir is not None:
            item = Item(ev["filename"], ev["origin"], path=store.archive_dir / name, sender=ev.get("sender", ""),
                        sent_at=_dt(ev.get("sent_at")), mtime=_dt(ev.get("mtime")))
        else:  # the bytes are in the database
            copies = dict(store.archived_bytes(ev["sha256"]))
            item = Item(ev["filename"], ev["origin"], data=copies.get(ev["ext"] or "bin", b""),
                        sender=ev.get("sender", ""), sent_at=_dt(ev.get("sent_at")), mtime=_dt(ev.get("mtime")))
        item.given_at = _dt(ev.get("given_at"))  # a time the coordinator gave holds after a rebuild
        item.error = ev.get("error", "")  # a container that could not be opened is rejected again
        item.error_code = ev.get("error_code", "")  # under the same code
        items.append((item, datetime.fromisoformat(ev["merged_at"])))  # every journal event has one
    merge_items(_Merger(plan, quarter, out_dir, store), items, MergeResult(quarter.code),
                lambda done, total, name: progress(done, name))
