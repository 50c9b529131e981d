"""The store: archive written once, one transaction per file, versions, override, lock, load_quarter."""
from __future__ import annotations

import hashlib
import tempfile
import threading
from datetime import datetime
from pathlib import Path

import pytest

from tests.merge_helpers import LATE, ON_TIME
from toolkit.paths import store_dir
from toolkit.problems import ERROR, WARNING, Problem
from toolkit.quarter import Quarter
from toolkit.returns import IndicatorEntry, TaskEntry
from toolkit.store.archive import JOURNAL
from toolkit.store.db import Store, StoreBusyError, StoreError, Submission, _is_network, load_quarter, run_lock
from toolkit.store.location import resolve

Q2 = Quarter(2019, 2)
DEPT = "市教育局"


@pytest.fixture
def store(tmp_path, plan, each_store):
    """The plan's store under tmp_path, on SQLite and on PostgreSQL."""
    s = Store.open(resolve(plan, tmp_path))
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path, plan):
    s = Store.for_plan(plan, tmp_path)
    yield s
    s.close()


def sub(store, data: bytes, received: datetime, *, dept=DEPT, accepted=True, percent=50.0, value=10.0,
        problems=(), name="a.xlsx") -> Submission:
    archived = store.archive(data, "xlsx", {"filename": name})
    return Submission("2019Q2", archived.sha256, "xlsx", name, f"in/{name}", received, datetime(2019, 7, 21),
                      department=dept, accepted=accepted, content_hash=data.hex(), identified_by="properties",
                      contact={"填报人": "张三"}, problems=list(problems),
                      tasks=[TaskEntry(1, dept, "牵头", "序时推进", percent, "进展", "", "下一步", "进展填报!G5")],
                      indicators=[IndicatorEntry(1, "新建校舍", dept, value, "", "指标填报!F5")])


def test_archive_is_content_addressed_and_never_overwritten(store):
    a = store.archive(b"bytes", "xlsx", {"filename": "first.xlsx"})
    b = store.archive(b"bytes", "xlsx", {"filename": "second.xlsx"})
    assert a.path == b.path and store.archived_bytes(a.sha256) == [("xlsx", b"bytes")]
    assert a.path.name == hashlib.sha256(b"bytes").hexdigest() + ".xlsx"
    assert store.received() == [{"sha256": a.sha256, "ext": "xlsx", "filename": "first.xlsx"}]  # first reception
    assert store.files.names() == [(a.sha256, "xlsx")]
    if store.archive_dir is not None:  # and the folder holds nothing else (no temp file left)
        assert sorted(p.name for p in store.archive_dir.iterdir()) == sorted([a.path.name, "received.jsonl"])


def test_archive_ahead_is_durable_before_its_future_is_done(store):
    sha = hashlib.sha256(b"later").hexdigest()
    path, done = store.archive_ahead(sha, b"later", "xlsx", {"filename": "x.xlsx"})
    assert path.name == f"{sha}.xlsx"
    assert done.result().path == path and store.archived_bytes(sha) == [("xlsx", b"later")]
    store.archived()
    assert [r["filename"] for r in store.received()] == ["x.xlsx"]


def test_archive_ahead_writes_the_journal_line_before_recording_needs_it(store):
    data = b"ahead"
    s = sub(store, b"other", ON_TIME)  # archived now; journaled when recorded
    s.sha256 = hashlib.sha256(data).hexdigest()
    _, done = store.archive_ahead(s.sha256, data, "xlsx", {"filename": "a.xlsx"}, s)
    done.result()
    assert s.journaled and [e["sha256"] for e in store.events()] == [s.sha256]
    assert store.record(s) == ("accepted", None)
    assert len(store.events()) == 1  # not written a second time


def test_a_batch_of_background_files_shares_one_index_write(sqlite_store, monkeypatch):
    # SQLite only: the folder archive's syncs
    import toolkit.store.archive as A
    syncs = []
    monkeypatch.setattr(A, "_sync", lambda fd: syncs.append(fd))
    gate = threading.Event()
    original = A.Archive._write
    monkeypatch.setattr(A.Archive, "_write", lambda self, jobs: (gate.wait(5), original(self, jobs))[1])
    futures = [sqlite_store.archive_ahead(hashlib.sha256(bytes([i])).hexdigest(), bytes([i]), "xlsx", {"n": i})[1]
               for i in range(5)]
    gate.set()
    sqlite_store.archived()
    assert all(f.done() for f in futures)
    assert [r["n"] for r in sqlite_store.received()] == [0, 1, 2, 3, 4]
    assert len(syncs) < 5 * 2  # one sync per file's bytes, one for the index per batch


def test_files_put_in_one_archive_batch_are_written_together(store, monkeypatch):
    batches = []
    kind = type(store.files)  # the folder's Archive, or a server store's DbArchive
    original = kind._write
    monkeypatch.setattr(kind, "_write", lambda self, jobs: (batches.append(len(jobs)), original(self, jobs))[1])
    with store.archive_batch():
        futures = [store.archive_ahead(hashlib.sha256(bytes([i])).hexdigest(), bytes([i]), "xlsx", {"n": i})[1]
                   for i in range(7)]
        assert not any(f.done() for f in futures)  # handed over only when the block ends
    store.archived()
    assert batches == [7] and all(f.result().size == 1 for f in futures)
    assert [r["n"] for r in store.received()] == list(range(7))


def test_a_failed_background_archive_is_raised(sqlite_store, monkeypatch):
    # SQLite only: the folder archive's temp files
    def full(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(tempfile, "mkstemp", full)
    sqlite_store.archive_ahead(hashlib.sha256(b"x").hexdigest(), b"x", "xlsx", {})
    with pytest.raises(OSError, match="No space"):
        sqlite_store.archived()
    assert list(sqlite_store.archive_dir.glob(".tmp-*")) == []


def test_group_commit_keeps_one_transaction_per_file_and_ends_synced(sqlite_store):
    # SQLite only: SQLite's PRAGMA synchronous
    import sqlite3
    level = lambda: sqlite_store.conn.execute("PRAGMA synchronous").fetchone()[0]  # noqa: E731
    assert level() == 2  # FULL outside a run
    with pytest.raises(KeyboardInterrupt):
        with sqlite_store.group_commit():
            assert level() == 1  # NORMAL: a commit does not wait for the disk
            sqlite_store.record(sub(sqlite_store, b"one", ON_TIME))
            other = sqlite3.connect(sqlite_store.db_path)  # committed, so another connection sees it
            assert other.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
            other.close()
            raise KeyboardInterrupt  # a run cut short still ends with FULL and a synced log
    assert level() == 2 and not sqlite_store.conn.in_transaction
    assert sqlite_store.conn.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1


def test_archive_renames_are_synced(sqlite_store, monkeypatch):
    # SQLite only: the archive folder's renames
    import os
    import stat
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(stat.S_ISDIR(os.fstat(fd).st_mode)), real(fd)))
    sqlite_store.archive(b"named", "xlsx", {"filename": "n.xlsx"})
    assert synced == ([True] if os.name == "posix" else [])  # the folder, once the new name is in it


def test_latest_received_wins_and_an_older_file_arriving_later_is_superseded(store, plan):
    assert store.record(sub(store, b"v1", ON_TIME, percent=40)) == ("accepted", None)
    v2 = sub(store, b"v2", LATE, percent=60)
    outcome, replaced = store.record(v2)
    assert outcome == "accepted" and replaced is not None
    assert store.record(sub(store, b"v0", datetime(2019, 7, 1), percent=10)) == ("superseded", None)
    qr = store.quarter_returns(plan, Q2)
    r = qr.returns[DEPT]
    assert (r.tasks[0].percent, r.versions, r.on_time, r.filename) == (60.0, 3, False, "a.xlsx")
    assert [c.__dict__ for c in store.diff(replaced, v2.id)] == [
        {"item": "任务1", "field": "percent", "old": 40.0, "new": 60.0, "cell": "进展填报!G5"}]


def test_coordinator_choice_holds_until_a_newer_file_arrives(store, plan):
    store.record(sub(store, b"v1", ON_TIME, percent=40))
    store.record(sub(store, b"v2", LATE, percent=60))
    row = store.prefer("2019Q2", store.versions("2019Q2", DEPT)[0]["sha256"][:8])
    assert row["received_at"] == "2019-07-05 09:30:00"
    assert store.quarter_returns(plan, Q2).returns[DEPT].tasks[0].percent == 40.0
    # an older version arriving now does not undo the choice ...
    assert store.record(sub(store, b"v-old", datetime(2019, 7, 6), percent=45))[0] == "superseded"
    assert store.quarter_returns(plan, Q2).returns[DEPT].tasks[0].percent == 40.0
    # ... a newer one than all does
    assert store.record(sub(store, b"v3", datetime(2019, 7, 25), percent=70))[0] == "accepted"
    assert store.quarter_returns(plan, Q2).returns[DEPT].tasks[0].percent == 70.0


@pytest.mark.parametrize("selector, message", [
    ("zzzzzz", "在2019Q2已合并的文件中找不到“zzzzzz”。请用 plankit status 查看各版本的文件名和编号（至少6位）。"),
    ("a.xlsx", "“a.xlsx”对应多个文件，请改用编号（plankit status 中显示）。"),
])
def test_prefer_errors_are_clear(store, selector, message):
    store.record(sub(store, b"v1", ON_TIME))
    store.record(sub(store, b"v2", LATE))
    with pytest.raises(Exception) as exc:
        store.prefer("2019Q2", selector)
    assert str(exc.value) == message


def test_failed_transaction_leaves_nothing(store, monkeypatch):
    def boom(event):
        raise OSError("disk full")
    monkeypatch.setattr(store, "journal", boom)
    with pytest.raises(OSError):
        store.record(sub(store, b"v1", ON_TIME))
    counts = [store.conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("submissions", "task_values", "indicator_values", "current")]
    assert counts == [0, 0, 0, 0]


def test_load_quarter_none_before_anything_is_merged(tmp_path, plan, store, second_store):
    assert load_quarter(plan, Q2, tmp_path / "elsewhere", store=second_store or None) is None  # no store at all
    assert load_quarter(plan, Q2, tmp_path) is None  # database exists, quarter never merged


def test_load_quarter_reads_returns_and_rejections_with_locations(tmp_path, plan, store):
    store.record(sub(store, b"ok", ON_TIME, problems=[Problem("x", WARNING, "数值偏大", "a.xlsx", "指标填报", "F5")]))
    store.record(sub(store, b"bad", LATE, dept="市财政局", accepted=False, name="b.xlsx",
                     problems=[Problem("y", ERROR, "不是数字", "b.xlsx", "进展填报", "G7", "abc")]))
    qr = load_quarter(plan, Q2, tmp_path)
    assert qr.expected == plan.department_names()
    assert list(qr.returns) == [DEPT] and qr.returns[DEPT].warnings == ["指标填报!F5：数值偏大"]
    assert qr.returns[DEPT].on_time and qr.returns[DEPT].contact == {"填报人": "张三"}
    assert qr.returns[DEPT].indicators == [IndicatorEntry(1, "新建校舍", DEPT, 10.0, "", "指标填报!F5")]
    assert [(r.department, r.filename, r.reasons) for r in qr.rejections] == [
        ("市财政局", "b.xlsx", ["进展填报!G7：不是数字"])]
    assert "市财政局" in qr.missing and DEPT not in qr.missing


def test_journal_survives_a_torn_last_line(sqlite_store):
    # SQLite only: the journal file (a server's journal is a table)
    sqlite_store.record(sub(sqlite_store, b"v1", ON_TIME))
    with open(sqlite_store.archive_dir / JOURNAL, "a", encoding="utf-8") as fh:
        fh.write('{"event": "received", "quart')
    assert [e["event"] for e in sqlite_store.events()] == ["received"]


def test_second_writer_gets_a_clear_message(tmp_path, plan):
    # SQLite only: the folder's merge.lock (merges on a server run side by side)
    root = store_dir(plan, tmp_path)
    held, release = threading.Event(), threading.Event()

    def holder():
        with run_lock(root):
            held.set()
            release.wait(10)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(10)
    try:
        with pytest.raises(StoreBusyError) as exc:
            with run_lock(root, timeout=0):
                pass
    finally:
        release.set()
        t.join()
    assert str(exc.value).startswith("另一个合并正在使用数据库（进程 ")
    assert str(exc.value).endswith("），本次未做任何改动。请等它结束后再运行。")
    with run_lock(root, timeout=0):  # free again once the first one ended
        pass


def test_network_share_is_detected(tmp_path):
    # SQLite only: a store folder on a network share
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda1 / ext4 rw 0 0\n//srv/share /mnt/share cifs rw 0 0\n")
    assert _is_network(Path("/mnt/share/out/store"), mounts)
    assert not _is_network(Path("/home/out/store"), mounts)
    assert not _is_network(Path("/mnt/shared/x"), mounts)


def test_network_share_is_refused(tmp_path, monkeypatch):
    # SQLite only: a store folder on a network share
    import toolkit.store.db
    monkeypatch.setattr(toolkit.store.db, "_is_network", lambda path: True)
    with pytest.raises(StoreError) as exc:
        Store(tmp_path / "store")
    assert str(exc.value) == (f"数据目录 {tmp_path / 'store'} 位于网络共享盘上，数据库在网络盘上可能损坏。"
                              "请用 --out 指定本机磁盘上的目录，或请管理员建立 PostgreSQL 数据库后用 --store 指定。")
