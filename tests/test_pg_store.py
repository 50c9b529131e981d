"""The shared store (issue 21): the same merge, versions, undo, rebuild, verify, status and report on
SQLite and on a real PostgreSQL server; merges from several processes at once; a merge killed or
cut off from the server, then rerun."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from toolkit.cli import main
from toolkit.errors import PlankitError
from toolkit.intake.merge import merge, undo
from toolkit.intake.rebuild import rebuild
from toolkit.intake.receipt import quarter_status
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter, verify_store

Q2 = Quarter(2019, 2)
ROOT = Path(__file__).parent.parent


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


def test_merge_versions_undo_rebuild_verify_status_on_both_stores(tmp_path, plan, store_url):
    out = tmp_path / "out"
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局", percent=40), ON_TIME)
    write(tmp_path / "a" / "cz.xlsx", fake_return("市财政局"), ON_TIME)
    write(tmp_path / "a" / "bad.xlsx", fake_return("市民政局", errors=["完成进度不是数字"]), ON_TIME)
    write(tmp_path / "a" / "cz-copy.xlsx", fake_return("市财政局", noise="resaved"), ON_TIME)
    first = merge(plan, Q2, out, [tmp_path / "a"], store=store_url)
    assert sorted((f.path, f.outcome) for f in first.files) == [
        ("bad.xlsx", "rejected"), ("cz-copy.xlsx", "accepted"), ("cz.xlsx", "duplicate"), ("jy.xlsx", "accepted")]
    write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", percent=90), LATE)
    write(tmp_path / "b" / "mz.xlsx", fake_return("市民政局"), LATE)
    second = merge(plan, Q2, out, [tmp_path / "b"], store=store_url)
    assert first.run != second.run and {f.outcome for f in second.files} == {"accepted"}
    assert [c.new for c in second.files[0].changes if c.field == "percent"][:1] == [90]  # versus jy.xlsx
    again = merge(plan, Q2, out, [tmp_path / "a", tmp_path / "b"], store=store_url)
    assert {f.outcome for f in again.files} == {"duplicate", "rejected"}  # nothing new

    status = quarter_status(plan, Q2, out, "市教育局", store=store_url)
    assert status["returned"] == ["市教育局", "市财政局", "市民政局"] or set(status["returned"]) == {
        "市教育局", "市财政局", "市民政局"}
    assert [v["filename"] for v in status["versions"]] == ["jy.xlsx", "jy2.xlsx"]
    assert [r["files"] for r in status["runs"]] == [4 - 1, 2]  # the duplicate is not recorded

    prefer = merge(plan, Q2, out, [], prefer="jy.xlsx", store=store_url)
    assert any("已按指定采用 市教育局 的 jy.xlsx" in n for n in prefer.notes)
    assert load_quarter(plan, Q2, out, store=store_url).returns["市教育局"].tasks[0].percent == 40

    done = undo(plan, out, second.run, store=store_url)
    assert sorted(done["files"]) == ["jy2.xlsx", "mz.xlsx"]
    qr = load_quarter(plan, Q2, out, store=store_url)
    assert set(qr.returns) == {"市教育局", "市财政局"} and qr.returns["市教育局"].filename == "jy.xlsx"
    with pytest.raises(PlankitError, match=f"找不到合并编号 {second.run} 的记录"):
        undo(plan, out, second.run, store=store_url)

    before = quarter_status(plan, Q2, out, store=store_url)
    rebuilt = rebuild(plan, out, store=store_url)
    assert rebuilt == {"2019Q2": 4}  # jy, cz, bad and (merged after the undo: none) ...
    after = quarter_status(plan, Q2, out, store=store_url)
    assert after["returns"] == before["returns"] and after["rejections"] == before["rejections"]
    where, checked, damage = verify_store(plan, out, store=store_url)
    assert checked == 6 and damage == []  # every file ever received, the withdrawn ones too


def test_the_cli_commands_take_store_and_never_print_more_than_the_label(tmp_path, plan_path, pg_url):
    out = tmp_path / "out"
    write(tmp_path / "in" / "jy.xlsx", fake_return("市教育局"), ON_TIME)
    base = ["--plan", str(plan_path), "--out", str(out)]
    r = CliRunner().invoke(main, ["merge", *base, "-q", "Q2", str(tmp_path / "in"), "--store", pg_url])
    assert r.exit_code == 0, r.output
    assert not (out / "lianyungang-2019" / "store" / "plankit.sqlite").exists()
    r = CliRunner().invoke(main, ["status", *base, "-q", "Q2", "--json"], env={"PLANKIT_STORE": pg_url})
    assert r.exit_code == 0 and json.loads(r.stdout)["returned"] == ["市教育局"]
    r = CliRunner().invoke(main, ["store", "verify", *base, "--store", pg_url])
    label = pg_url.split("://", 1)[1]
    assert r.exit_code == 0 and f"归档 {label}：核对 1 个文件，全部完好。" in r.output
    r = CliRunner().invoke(main, ["report", *base, "-q", "Q2", "--store", pg_url])
    assert r.exit_code == 0, r.output


def test_an_unreachable_server_is_exit_2_with_host_and_port(tmp_path, plan_path):
    from tests.smtp_helpers import free_port
    port = free_port()
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "Q2",
                                  "--store", f"postgresql://clerk@127.0.0.1:{port}/plankit"])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert f"无法打开数据库服务器 clerk@127.0.0.1:{port}/plankit 上的数据存储：无法连接。" in r.output


def test_a_password_is_asked_at_a_terminal_and_never_taken_from_the_command_line(tmp_path, plan_path, pg_server,
                                                                                monkeypatch):
    import toolkit.cli.common as common
    pg_server.require_password("hz", "s3cret-pw")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))  # not the tester's own ~/.pgpass
    url = f"postgresql://hz@127.0.0.1:{pg_server.port}/postgres"
    args = ["status", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "Q2", "--store", url]
    r = CliRunner().invoke(main, args)  # no terminal: nothing to ask, the reason and where a password goes
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert f"无法打开数据库服务器 hz@127.0.0.1:{pg_server.port}/postgres 上的数据存储：登录被拒绝（用户名或密码不对）。" in r.output
    assert "PGPASSWORD" in r.output
    monkeypatch.setattr(common, "interactive", lambda: True)
    r = CliRunner().invoke(main, args, input="s3cret-pw\n")
    assert r.exit_code == 0, r.output
    assert f"数据库服务器 hz@127.0.0.1:{pg_server.port}/postgres 的密码" in r.output
    assert "s3cret-pw" not in r.output  # typed without echo
    monkeypatch.delenv("PGPASSWORD")  # what the prompt set lives as long as the process (one command)
    r = CliRunner().invoke(main, args, input="wrong\n")
    assert r.exit_code == 2 and "登录被拒绝" in r.output


# ------------------------------------------------------------------ several coordinators at once

SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
import toolkit.intake.readers as R
from tests.merge_helpers import fake_read
def slow(*a, **k):
    time.sleep({delay})
    return fake_read(*a, **k)
R._read = slow
from toolkit.cli import main
main()
"""


def _cli(args: list[str], delay: float = 0.0, **kw) -> subprocess.Popen:
    code = SCRIPT.format(root=str(ROOT), delay=delay)
    return subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, **kw)


def _returns(folder: Path, plan, n: int) -> list[Path]:
    """n distinct returns: each department several versions, received at different times (some rejected)."""
    depts = plan.department_names()
    paths = []
    for k in range(n):
        dept = depts[k % len(depts)]
        data = fake_return(dept, percent=k % 100, progress=f"第{k}份", errors=["缺少数据"] if k % 17 == 5 else [])
        paths.append(write(folder / f"r{k:03d}.xlsx", data, ON_TIME + timedelta(minutes=k)))
    return paths


def _state(plan, out, url) -> dict:
    from toolkit.store.location import resolve
    from toolkit.store.db import reading
    with reading(resolve(plan, out, url)) as db:
        subs = sorted((r["sha256"], r["accepted"], r["department"]) for r in db.execute(
            "SELECT sha256, accepted, department FROM submissions"))
        current = sorted((r[0], r[1]) for r in db.execute(
            "SELECT c.department, s.sha256 FROM current c JOIN submissions s ON s.id = c.submission_id"))
        values = db.execute("SELECT COUNT(*) FROM task_values").fetchone()[0]
    return {"submissions": subs, "current": current, "values": values}


def test_four_merges_at_once_end_as_one_merge_of_all(tmp_path, plan, plan_path, pg_server):
    files = _returns(tmp_path / "all", plan, 200)
    shares = [tmp_path / f"c{i}" for i in range(4)]
    for i, share in enumerate(shares):  # overlapping: each file in two of the four folders
        for k, path in enumerate(files):
            if k % 4 in (i, (i + 1) % 4):
                write(share / path.name, path.read_bytes(), ON_TIME + timedelta(minutes=k))
    together, alone = pg_server.create_database(), pg_server.create_database()
    procs = [_cli(["merge", "--plan", str(plan_path), "--out", str(tmp_path / f"out{i}"), "-q", "Q2", str(share),
                   "--store", together, "--json"]) for i, share in enumerate(shares)]
    results = [p.communicate(timeout=300) for p in procs]
    for (_, stderr), p in zip(results, procs):
        assert p.returncode in (0, 1), stderr
    runs = {json.loads(stdout)["run"] for stdout, _ in results}
    assert len(runs) == 4  # four ids, even when started in the same second
    merge(plan, Q2, tmp_path / "one", [tmp_path / "all"], store=alone)
    got, want = _state(plan, tmp_path, together), _state(plan, tmp_path, alone)
    assert len(got["submissions"]) == 200 and len({s[0] for s in got["submissions"]}) == 200
    assert got == want


def test_a_merge_killed_mid_run_is_completed_by_a_rerun(tmp_path, plan, plan_path, pg_url):
    _returns(tmp_path / "in", plan, 60)
    args = ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "Q2", str(tmp_path / "in"),
            "--store", pg_url]
    proc = _slow_merge_under_way(args, plan, tmp_path, pg_url)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert 5 <= _count(plan, tmp_path, pg_url) < 60  # killed part way
    rerun = _cli(args)
    stdout, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), stderr
    alone = tmp_path / "alone"
    merge(plan, Q2, alone, [tmp_path / "in"])
    assert _state(plan, tmp_path, pg_url) == _state(plan, alone, None)


def test_the_server_restarted_during_a_merge_is_a_clear_error_and_a_rerun_completes(tmp_path, plan, plan_path,
                                                                                      pg_server):
    url = pg_server.create_database()
    _returns(tmp_path / "in", plan, 60)
    args = ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "Q2", str(tmp_path / "in"),
            "--store", url]
    proc = _slow_merge_under_way(args, plan, tmp_path, url)
    pg_server.restart()
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 2, stderr
    host = url.split("://", 1)[1]
    assert f"错误：与数据库服务器 {host} 的连接中断（服务器重启、停止或网络断开）。" in stderr
    assert "Traceback" not in stderr
    rerun = _cli(args)
    _, stderr = rerun.communicate(timeout=300)
    assert rerun.returncode in (0, 1), stderr
    merge(plan, Q2, tmp_path / "alone", [tmp_path / "in"])
    assert _state(plan, tmp_path, url) == _state(plan, tmp_path / "alone", None)


def _slow_merge_under_way(args: list[str], plan, out, url) -> subprocess.Popen:
    """The merge CLI started slowed down, returned once it has stored 5 files (or ended, or 2 minutes passed)."""
    proc = _cli(args, delay=0.05)
    deadline = time.monotonic() + 120
    while _count(plan, out, url) < 5 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return proc


def _count(plan, out, url) -> int:
    from toolkit.store.location import resolve
    from toolkit.store.db import reading
    try:
        with reading(resolve(plan, out, url)) as db:
            return 0 if db is None else db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
    except PlankitError:
        return 0


def test_a_status_reads_one_snapshot_while_a_merge_commits(tmp_path, plan, pg_url):
    from toolkit.store.location import resolve
    from toolkit.store.db import reading
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局"), ON_TIME)
    merge(plan, Q2, tmp_path / "out", [tmp_path / "a"], store=pg_url)
    with reading(resolve(plan, tmp_path, pg_url)) as db:
        first = db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0]
        write(tmp_path / "b" / "cz.xlsx", fake_return("市财政局"), ON_TIME)
        merge(plan, Q2, tmp_path / "out", [tmp_path / "b"], store=pg_url)  # commits meanwhile
        assert db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == first == 1
    assert _count(plan, tmp_path, pg_url) == 2



# ------------------------------------------------------------------ store copy

def test_copy_sqlite_to_postgresql_to_sqlite_round_trips_exactly(tmp_path, plan, plan_path, pg_url):
    from toolkit.store.copy import digest
    from toolkit.store.location import resolve
    from toolkit.store.db import reading
    out = tmp_path / "out"
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局", percent=40), ON_TIME)
    write(tmp_path / "a" / "bad.xlsx", fake_return("市民政局", errors=["完成进度不是数字"]), ON_TIME)
    merge(plan, Q2, out, [tmp_path / "a"])
    write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", percent=90), LATE)
    write(tmp_path / "b" / "cz.xlsx", fake_return("市财政局"), LATE)
    second = merge(plan, Q2, out, [tmp_path / "b"], prefer="jy.xlsx")  # a coordinator's choice
    write(tmp_path / "c" / "mz.xlsx", fake_return("市民政局"), LATE)
    third = merge(plan, Q2, out, [tmp_path / "c"])
    undo(plan, out, third.run)  # and a withdrawn run

    r = CliRunner().invoke(main, ["store", "copy", "--from", f"sqlite:///{out}", "--to", pg_url])
    assert r.exit_code == 0, r.output
    assert "计划 lianyungang-2019：4 份文件记录、5 个归档文件、" in r.output and "已复制并核对一致" in r.output
    back = tmp_path / "back"
    r = CliRunner().invoke(main, ["store", "copy", "--from", pg_url, "--to", f"sqlite:///{back}"])
    assert r.exit_code == 0, r.output

    original, copied = resolve(plan, out), resolve(plan, back)
    with reading(original) as a, reading(copied) as b:
        assert digest(a) == digest(b)
    folder = original.root / "archive"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (copied.root / "archive").iterdir())
    for p in folder.iterdir():
        assert p.read_bytes() == (copied.root / "archive" / p.name).read_bytes(), p.name  # logs included
    for store in (pg_url, f"sqlite:///{copied.db_path}"):  # the same quarter, choice and undo everywhere
        assert quarter_status(plan, Q2, tmp_path, store=store) == quarter_status(plan, Q2, out)
    assert load_quarter(plan, Q2, back).returns["市教育局"].filename == "jy.xlsx"
    assert second.run in {r["run"] for r in quarter_status(plan, Q2, back)["runs"]}

    r = CliRunner().invoke(main, ["store", "copy", "--from", f"sqlite:///{out}", "--to", pg_url])
    assert r.exit_code == 2 and "中已有计划“lianyungang-2019”的数据，未复制" in r.output


# ------------------------------------------------------------------ real returns, real readers

def test_the_demo_quarter_merges_into_postgresql_as_into_sqlite(tmp_path, plan, pg_url, monkeypatch):
    """Real workbooks read in reader processes (forked while the merge holds its server connection)."""
    import toolkit.intake.readers as R
    from toolkit.demo.run import run_demo
    from toolkit.render.report import build_report
    monkeypatch.setattr(R, "_read", R._READ)  # the real reader, not this file's stand-in
    run_demo(plan, "Q1", tmp_path / "demo", pdf=False, progress=lambda *a: None)
    inbox = tmp_path / "demo" / "收件箱" / "2019Q1"
    assert len(list(inbox.iterdir())) > 20
    merge(plan, "Q1", tmp_path / "sq", [inbox])
    merged = merge(plan, "Q1", tmp_path / "pg", [inbox], store=pg_url)
    assert merged.count("accepted") > 20 and not (tmp_path / "pg" / "lianyungang-2019" / "store").exists()

    def same(status: dict) -> dict:
        for r in status["returns"]:
            for h in r["history"]:
                h.pop("id")
        return {k: v for k, v in status.items() if k != "runs"}
    assert same(quarter_status(plan, "Q1", tmp_path / "pg", store=pg_url)) == same(
        quarter_status(plan, "Q1", tmp_path / "sq"))
    report = build_report(plan, "Q1", tmp_path / "pg", store=pg_url)
    assert report.path.is_file()


def test_the_same_bytes_committed_under_another_departments_lock_is_a_duplicate(tmp_path, plan, pg_url):
    """An unreadable file is attributed by its sender: sent by two senders to two merges at once it
    takes two departments' locks, and the second meets the first's row in the unique key."""
    import threading
    from toolkit.store.db import Store, Submission
    from toolkit.store.location import resolve
    location = resolve(plan, tmp_path, pg_url)
    first, second = Store.open(location), Store.open(location)
    try:
        def sub(dept: str) -> Submission:
            return Submission("2019Q2", "ab" * 32, "xlsx", "坏.xlsx", "in", ON_TIME, LATE, department=dept)
        outcome: list = []
        with first.db.transaction(lock="2019Q2/市教育局"):
            first._insert(sub("市教育局"))  # not committed yet: the other waits on the unique key
            worker = threading.Thread(target=lambda: outcome.append(second.record(sub("市财政局"))))
            worker.start()
            worker.join(1.0)
            assert worker.is_alive() and outcome == []
        worker.join(30)
        assert outcome == [("duplicate", None)]
        assert first.db.execute("SELECT COUNT(*) FROM submissions").fetchone()[0] == 1
    finally:
        first.close()
        second.close()


def test_a_merge_waits_while_a_rebuild_holds_the_plan_then_records(tmp_path, plan, pg_url):
    """A rebuild replays the journal as it stood when it began: files and choices committed meanwhile
    would be missing from its result, so they wait for it (their bytes are archived meanwhile)."""
    import threading
    from toolkit.store.db import PLAN_LOCK, Store, Submission
    from toolkit.store.location import resolve
    location = resolve(plan, tmp_path, pg_url)
    rebuilding, merging = Store.open(location), Store.open(location)
    try:
        rebuilding.db.hold(PLAN_LOCK)  # as rebuild() does
        outcome: list = []
        sub = Submission("2019Q2", "cd" * 32, "xlsx", "a.xlsx", "in", ON_TIME, LATE, department="市教育局")
        worker = threading.Thread(target=lambda: outcome.append(merging.record(sub)))
        worker.start()
        worker.join(1.0)
        assert worker.is_alive() and outcome == []
        rebuilding.db.release(PLAN_LOCK)
        worker.join(30)
        assert outcome == [("rejected", None)]  # (not accepted: no values) recorded once the rebuild ends
    finally:
        rebuilding.close()
        merging.close()


# ------------------------------------------------------------------ plan versions kept in the store

def test_a_return_of_an_earlier_plan_version_is_read_on_another_pc_from_the_server(tmp_path, plan, pg_url,
                                                                                   pg_server, monkeypatch):
    """Sheets made on PC 1, the plan corrected, the old version's return merged on PC 2: the
    version the department saw comes from the database (PC 2 never ran sheets)."""
    import dataclasses
    import hashlib

    import toolkit.intake.readers as R
    monkeypatch.setattr(R, "_read", R._READ)  # the real reader: the real sheets are read

    from tests import returnfile_helpers as H
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    from toolkit.store.location import resolve, use_store
    pc1, pc2 = tmp_path / "pc1", tmp_path / "pc2"
    with use_store(pg_url):  # as `plankit sheets --store URL` runs it
        [sheet] = generate_sheets(plan, Q2, pc1, departments=[H.DEPT])
    inbox, edits = tmp_path / "in", tmp_path / "edits"
    inbox.mkdir()
    edits.mkdir()
    fill_return(sheet.path, fill_all=True, out=inbox / "r.xlsx")
    task = plan.tasks_for(H.DEPT)[0][0]
    # a department that changed the plan's own text: only the kept version tells that from a correction

    def unprotect_and_edit(wb):
        ws = wb["进展填报"]
        ws.protection.sheet = False
        ws.cell(H.row_of(ws, f"T{task.no}"), H.col_of(ws, "目标任务")).value = "改过的目标"
    edited = H.edit(sheet.path, tmp_path / "e.xlsx", unprotect_and_edit)
    fill_return(edited, fill_all=True, out=edits / "e.xlsx")
    fixed = dataclasses.replace(task, name=task.name + "（更正）")
    corrected = dataclasses.replace(plan, tasks=[fixed if t is task else t for t in plan.tasks], _fingerprint="",
                                    _units=())
    # without the kept version (a store on PC 3's own folder) the edit reads as an old plan ...
    alone = merge(corrected, Q2, tmp_path / "pc3", [edits])
    assert [p.code for p in alone.files[0].errors] == ["return-old-plan"]
    # ... PC 2, with the server's version, reads both returns as PC 1 would (sheets ran on PC 1 only)
    on_pc1 = merge(corrected, Q2, pc1, [edits])  # PC 1's own SQLite store: its local copy
    assert [p.code for p in on_pc1.files[0].errors] == ["return-locked-edited"]
    assert not (pc2 / plan.plan_id / "store" / "plans").exists()
    result = merge(corrected, Q2, pc2, [inbox], store=pg_url)
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-plan-changed"]
    assert f"任务{task.no}的名称已修改" in note.message
    assert load_quarter(corrected, Q2, pc2, store=pg_url).returns[H.DEPT].tasks
    refused = merge(corrected, Q2, pc2, [edits], store=pg_url)
    assert [p.code for p in refused.files[0].errors] == [p.code for p in on_pc1.files[0].errors]
    assert not (pc2 / plan.plan_id / "store" / "plans").exists()

    # store copy carries the versions both ways, checked by hash
    kept = Path(plan.source).read_bytes()
    back = tmp_path / "back"
    r = CliRunner().invoke(main, ["store", "copy", "--from", pg_url, "--to", f"sqlite:///{back}"])
    assert r.exit_code == 0 and "1 个计划版本" in r.output, r.output
    [copied] = (resolve(plan, back).root / "plans").iterdir()
    assert copied.name.startswith(plan.fingerprint) and copied.read_bytes() == kept
    again = pg_server.create_database()
    r = CliRunner().invoke(main, ["store", "copy", "--from", f"sqlite:///{back}", "--to", again])
    assert r.exit_code == 0 and "1 个计划版本" in r.output, r.output
    from toolkit.store.plans import version_hashes
    assert version_hashes(resolve(plan, back, again)) == {
        (plan.fingerprint, copied.suffix.lstrip(".")): hashlib.sha256(kept).hexdigest()}


def test_a_version_2_server_store_gets_the_plan_versions_table_without_a_version_change(tmp_path, plan, pg_url):
    from toolkit.store.location import resolve
    from toolkit.store.schema import SCHEMA_VERSION
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局"), ON_TIME)
    merge(plan, Q2, tmp_path / "out", [tmp_path / "a"], store=pg_url)
    location = resolve(plan, tmp_path / "out", pg_url)
    db = location.open()
    db.execute("DROP TABLE plan_versions")  # as a store made before the table was added
    assert not db.has_table("plan_versions")
    db.close()
    write(tmp_path / "b" / "cz.xlsx", fake_return("市财政局"), ON_TIME)
    merge(plan, Q2, tmp_path / "out", [tmp_path / "b"], store=pg_url)  # the next write adds it
    db = location.open()
    try:
        assert db.has_table("plan_versions")
        assert db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()[0] == SCHEMA_VERSION == "2"
    finally:
        db.close()
    assert len(load_quarter(plan, Q2, tmp_path / "out", store=pg_url).returns) == 2


def test_a_copy_taken_while_a_merge_commits_holds_the_state_before_it(tmp_path, plan, store_url, pg_server,
                                                                    monkeypatch):
    """The copy reads its source as one snapshot: the merge committing mid-copy (another connection)
    is not half-copied; the copy verifies and its tables hold the state before that merge."""
    from toolkit.store import copy as C
    from toolkit.store.copy import digest
    from toolkit.store.db import reading
    from toolkit.store.location import resolve
    out = tmp_path / "out"
    source = store_url or f"sqlite:///{resolve(plan, out).db_path}"
    write(tmp_path / "a" / "jy.xlsx", fake_return("市教育局", percent=40), ON_TIME)
    merge(plan, Q2, out, [tmp_path / "a"], store=store_url)
    with reading(resolve(plan, out, store_url)) as db:
        before = digest(db)
    write(tmp_path / "b" / "cz.xlsx", fake_return("市财政局"), LATE)
    original, committed = C._copy_archive, []

    def merge_meanwhile(src, dst):
        committed.append(merge(plan, Q2, out, [tmp_path / "b"], store=store_url))  # its own connection
        return original(src, dst)
    monkeypatch.setattr(C, "_copy_archive", merge_meanwhile)
    target = pg_server.create_database() if store_url is None else f"sqlite:///{tmp_path / 'copy'}"
    [copied] = C.copy_stores(source, target)  # raises if its own verification fails
    assert committed and committed[0].count("accepted") == 1
    assert copied.rows["submissions"] == before["submissions"][0] == 1
    with reading(resolve(plan, tmp_path / "x", target if store_url is None else
                         f"sqlite:///{tmp_path / 'copy' / plan.plan_id / 'store' / 'plankit.sqlite'}")) as db:
        assert digest(db) == before
    with reading(resolve(plan, out, store_url)) as db:
        assert digest(db)["submissions"][0] == 2  # the merge did commit, after the copy's snapshot


def test_the_same_files_read_the_same_from_both_stores(tmp_path, plan, plan_path, pg_url):
    """Status (data and text), receipt workbook, export and the evaluation: equal on SQLite and
    PostgreSQL but for the run ids and merge times."""
    import re
    from datetime import datetime

    import openpyxl

    from tests.merge_helpers import make_email
    from toolkit.evaluate.judge import evaluate_quarter
    inbox = tmp_path / "in"
    for n, dept in enumerate(("市教育局", "市财政局", "市卫健委")):
        write(inbox / f"{n}_{dept}.xlsx", fake_return(dept, percent=10 * n + 0.5, warnings=["数值偏大"] * (n == 2)), ON_TIME)
    write(inbox / "v2.xlsx", fake_return("市教育局", percent=99, progress="改了"), LATE)
    write(inbox / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)
    write(inbox / "m.eml", bytes(make_email([("x.xlsx", fake_return("市水利局", value=None))])))
    write(inbox / "old.xlsx", fake_return("市财政局", percent=3), datetime(1980, 1, 1))
    stamp = re.compile(r"\d{8}-\d{6}|\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d)?")

    def seen(url, out):
        first = merge(plan, Q2, out, [inbox], store=url)
        merge(plan, Q2, out, [], prefer="0_市教育局.xlsx", store=url)
        recent = {first.run}  # run ids and this run's times differ; the returns' own times do not
        status = json.dumps([quarter_status(plan, Q2, out, d, store=url) for d in (None, "市教育局")],
                            default=str, ensure_ascii=False, sort_keys=True)
        env = {"PLANKIT_STORE": url or ""}
        text = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(out), "-q", "Q2", "-d",
                                         "市教育局"], env=env).output
        export = CliRunner().invoke(main, ["export", "--plan", str(plan_path), "--out", str(out), "-q", "Q2",
                                           "--json"], env=env)
        csv = Path(json.loads(export.stdout)["path"]).read_text(encoding="utf-8-sig")
        book = openpyxl.load_workbook(first.report_path)
        receipt = [[str(c) for c in row] for ws in book for row in ws.iter_rows(values_only=True)]
        merged = datetime.now().strftime("%Y-%m-%d")  # this run's date: the files' own are 2019 and 1980
        keep = lambda t: stamp.sub(lambda m: "T" if m.group(0)[:10] == merged or m.group(0) in recent else m.group(0), t)  # noqa: E731
        return {"files": [(f.path, f.outcome, f.department, [str(p) for p in f.problems]) for f in first.files],
                "status": keep(status), "text": keep(text), "csv": keep(csv), "receipt": keep(json.dumps(receipt)),
                "counts": evaluate_quarter(plan, Q2, out, store=url).counts}

    on_sqlite, on_server = seen(None, tmp_path / "a"), seen(pg_url, tmp_path / "b")
    assert on_sqlite["status"].count("1980") and on_sqlite["text"].count("← 采用")
    for key in on_sqlite:
        assert on_server[key] == on_sqlite[key], key

def test_merges_starting_together_on_a_new_database_make_its_tables_once(plan, pg_url, monkeypatch):
    """Four merges open a new database at once: all find no tables, one makes them, the other three
    wait for it and then make nothing (three more rounds of DDL were three table locks in the way of
    the first merge's files, and the server's CPU)."""
    import threading

    from toolkit.store import schema
    from toolkit.store.location import resolve
    location = resolve(plan, Path("."), pg_url)
    made: list[int] = []
    statements = schema.statements
    monkeypatch.setattr(schema, "statements", lambda db, archive=False: made.append(1) or statements(db, archive=archive))
    holder, dbs = location.open(), [location.open() for _ in range(4)]
    try:
        holder.hold("schema")  # all four pass the first look and queue behind it
        threads = [threading.Thread(target=schema.ensure, args=(db, plan.plan_id), kwargs={"archive": True})
                   for db in dbs]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while holder.execute("SELECT COUNT(*) FROM pg_locks WHERE locktype='advisory' AND NOT granted"
                             ).fetchone()[0] < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        holder.release("schema")
        for t in threads:
            t.join(30)
        assert made == [1]
        assert all(db.has_table("plan_versions") for db in dbs)
    finally:
        for db in [holder, *dbs]:
            db.close()


def test_a_merge_reads_with_one_reader_process_while_another_merges_from_this_pc(tmp_path, plan, pg_url,
                                                                                  monkeypatch):
    """Merges into a server from one PC share its cores: each marks its connection, and a merge that
    finds another one reads with one reader process instead of two; alone, it keeps two."""
    import toolkit.intake.merge as M
    import toolkit.intake.readers as R
    from toolkit.store.db import Store
    from toolkit.store.location import resolve
    if (os.cpu_count() or 1) < 2:
        pytest.skip("one core: one reader process anyway")
    monkeypatch.setattr(R, "PARALLEL_MIN", 2)
    made: list = []

    class Spy(R.Readers):
        def __init__(self, *args):
            super().__init__(*args)
            made.append(self)
    monkeypatch.setattr(M, "Readers", Spy)
    for name, dept in (("jy.xlsx", "市教育局"), ("cz.xlsx", "市财政局")):
        write(tmp_path / "a" / name, fake_return(dept), ON_TIME)
    merge(plan, Q2, tmp_path / "out", [tmp_path / "a"], store=pg_url)
    assert made[-1].count == 2
    other = Store.open(resolve(plan, tmp_path / "out", pg_url))
    try:
        assert other.merging_here() == 0  # the first merge has ended
        write(tmp_path / "b" / "jy2.xlsx", fake_return("市教育局", progress="又有进展"), LATE)
        write(tmp_path / "b" / "cz2.xlsx", fake_return("市财政局", progress="又有进展"), LATE)
        merge(plan, Q2, tmp_path / "out", [tmp_path / "b"], store=pg_url)
        assert made[-1].count == 1
    finally:
        other.close()
