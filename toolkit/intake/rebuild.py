"""Rebuilding the database from the archive alone (`plankit merge --rebuild`).

The journal is replayed through the same per-file code as a merge, with the recorded
reception times, into a new database that replaces the old one only when complete.
Without a journal, the archive index (or an older store's sidecars) gives the files in
archiving order; coordinator choices (--prefer) are then lost.
"""
from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import PlankitError
from toolkit.intake.collect import SPREADSHEETS, Item
from toolkit.intake.merge import MergeResult, _Merger, merge_items
from toolkit.model import Plan
from toolkit.paths import store_dir
from toolkit.store.db import DB_NAME, Store, _dt, run_lock


def rebuild(plan: Plan, out_dir: Path, *, progress=None, lock_timeout: float = 10.0) -> dict[str, int]:
    """Rebuild the database from the archive and its journal alone; replace it atomically.

    Returns how many submissions per quarter were re-read.
    """
    root = store_dir(plan, out_dir)
    with run_lock(root, lock_timeout):
        tmp = root / (DB_NAME + ".rebuild")
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
        store = Store(root, db_path=tmp, journal=False)
        counts: dict[str, int] = {}
        try:
            events = store.events() or _index_events(store)
            if not events:
                raise PlankitError(f"归档 {store.archive_dir} 中没有可用于重建的文件，数据库未改动。")
            seen: set[tuple[str, str]] = set()
            replays: list[dict] = []  # each file's first reception and each choice, in journal order
            for ev in events:
                if ev.get("event") == "received" and (ev["quarter"], ev["sha256"]) not in seen:
                    seen.add((ev["quarter"], ev["sha256"]))
                    replays.append(ev)
                    counts[ev["quarter"]] = counts.get(ev["quarter"], 0) + 1
                elif ev.get("event") == "prefer":
                    replays.append(ev)
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
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except BaseException:
            store.close()
            for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
                leftover.unlink(missing_ok=True)
            raise
        store.close()
        db = root / DB_NAME
        for stale in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            stale.unlink(missing_ok=True)  # safe: we hold the lock and no connection is open
        os.replace(tmp, db)
    return counts


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


def _index_events(store: Store) -> list[dict]:
    """Without a journal: every archived spreadsheet's first reception, from the archive index.

    Coordinator choices (--prefer) are only in the journal and are lost on this path.
    """
    events, seen = [], set()
    for meta in store.received():
        if meta.get("ext") in SPREADSHEETS and meta.get("quarter") and meta.get("sha256") not in seen:
            seen.add(meta["sha256"])
            received = meta.get("sent_at") or meta.get("mtime")
            events.append({**meta, "event": "received", "received_at": received,
                           "merged_at": meta.get("archived_at") or received, "error": ""})
    return sorted(events, key=lambda e: (e["merged_at"] or "", e["received_at"] or "", e["sha256"]))


def _replay(plan: Plan, out_dir: Path, store: Store, events: list[dict], progress) -> None:
    """Re-merge one quarter's received files, in order, as a merge would (reader processes
    included, so a file that crashes the reader is rejected and the rebuild goes on)."""
    from toolkit.quarter import parse_quarter
    quarter = parse_quarter(events[0]["quarter"], plan.settings.year)
    items = []
    for ev in events:
        path = store.archive_dir / f"{ev['sha256']}.{ev['ext'] or 'bin'}"
        item = Item(ev["filename"], ev["origin"], path=path, sender=ev.get("sender", ""),
                    sent_at=_dt(ev.get("sent_at")), mtime=_dt(ev.get("mtime")))
        item.error = ev.get("error", "")  # a container that could not be opened is rejected again
        items.append((item, _dt(ev["merged_at"])))
    merge_items(_Merger(plan, quarter, out_dir, store), items, MergeResult(quarter.code),
                lambda done, total, name: progress(done, name))
