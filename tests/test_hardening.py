"""Issue 19: merge, rebuild and the store against hostile inputs and faults (one test per item)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.merge_helpers import running
from tests.merge_helpers import LATE, ON_TIME, fake_return, use_fake_reader, write
from tests.store_helpers import (cut_journal, lose_archived, lose_index, lose_journal, on_sqlite,
                                 overwrite_archived, read_archived)
from toolkit.cli import main
from toolkit.intake.collect import collect
from toolkit.intake.merge import merge
from toolkit.intake.rebuild import rebuild
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter
from toolkit.store.location import resolve
from toolkit.intake.receipt import HEADER_ROW

ROOT = Path(__file__).parent.parent
Q2 = Quarter(2019, 2)
FIVE = ("市教育局", "市财政局", "市卫健委", "市人社局", "市民政局")


@pytest.fixture(autouse=True)
def fake_reader(request, monkeypatch):
    if not request.node.name.startswith("test_real_"):
        use_fake_reader(monkeypatch)


def five_returns(folder: Path) -> Path:
    for n, dept in enumerate(FIVE):
        write(folder / f"{n}_{dept}.xlsx", fake_return(dept, percent=10 * n), ON_TIME)
    return folder


# -- item 10: symlinks are never followed ---------------------------------------------

def test_symlinks_in_an_input_folder_are_skipped_not_followed(tmp_path, plan):
    secret = write(tmp_path / "outside" / "secret.xlsx", b"PLANKIT_SMTP_PASSWORD=hunter2")
    write(tmp_path / "outside" / "dir" / "x.xlsx", fake_return("市财政局"))
    inbox = five_returns(tmp_path / "in")
    os.symlink(secret, inbox / "x.xlsx")
    os.symlink("/proc/self/environ", inbox / "env.xlsx")
    os.symlink(tmp_path / "outside" / "dir", inbox / "linked")
    top = tmp_path / "top.xlsx"
    os.symlink(secret, top)
    items = {i.name: i for i in collect([inbox, top])}
    reason = "符号链接（快捷方式），为安全起见不跟随、不读取，已跳过；如确是填报表，请把文件本身复制到此文件夹"
    for name in ("x.xlsx", "env.xlsx", "linked", "top.xlsx"):
        assert items[name].skipped == reason and items[name].error_code == "file-symlink"
        assert items[name].path is None and items[name].data is None
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [inbox, top])
    skipped = {f.path: f for f in result.files if f.outcome == "skipped"}
    assert sorted(skipped) == ["env.xlsx", "linked", "top.xlsx", "x.xlsx"]
    assert all(f.problems[0].code == "file-symlink" and f.problems[0].message == reason for f in skipped.values())
    archived = b"".join(p.read_bytes() for p in (store_dir(plan, out) / "archive").iterdir())
    assert b"hunter2" not in archived and b"PATH=" not in archived
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(FIVE)  # the real files still merged


# -- item 11: a killed merge leaves no reader holding merge.lock ------------------------

@pytest.mark.parametrize("sig", ["SIGKILL", "SIGTERM"])
def test_real_readers_die_with_a_killed_merge_and_the_lock_is_free(tmp_path, plan, sig):
    # SQLite only: the folder's merge.lock (a server store has none)
    if not sys.platform.startswith("linux"):
        pytest.skip("fork, prctl and POSIX signals: Linux")
    from toolkit.store.lock import run_lock
    root = tmp_path / "store"
    script = f"""
import sys, time, multiprocessing
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import toolkit.intake.readers as R
from toolkit.plan.workbook import load_plan
from toolkit.quarter import Quarter
from toolkit.store.lock import run_lock
with run_lock(Path({str(root)!r})):
    procs = [R._Process(multiprocessing.get_context("fork"), (load_plan({str(plan.source)!r}), Quarter(2019, 2), None))
             for _ in range(2)]
    print(*[p.proc.pid for p in procs], flush=True)
    time.sleep(600)
"""
    merge_proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    readers = [int(pid) for pid in merge_proc.stdout.readline().split()]
    assert len(readers) == 2
    merge_proc.send_signal(getattr(signal, sig))
    merge_proc.wait()
    merge_proc.stdout.close()
    for _ in range(100):  # the kernel kills them at once; allow a loaded machine 10 s
        if not any(running(pid) for pid in readers):
            break
        time.sleep(0.1)
    try:
        assert not any(running(pid) for pid in readers)
        with run_lock(root, timeout=0.5):
            pass
    finally:
        for pid in readers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)




def test_a_lock_held_for_a_dead_merge_is_taken_over(tmp_path):
    # SQLite only: the folder's merge.lock
    if os.name == "nt":
        pytest.skip("flock: POSIX")
    import fcntl

    from toolkit.store.lock import run_lock
    root = tmp_path / "store"
    root.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = open(root / "merge.lock", "a+")  # as a reader left behind by a killed merge holds it
    fcntl.flock(orphan.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    orphan.write(f"进程 {dead.pid}，开始于 2026-01-01 00:00:00")
    orphan.flush()
    try:
        with run_lock(root, timeout=0.5):
            assert (root / "merge.lock").read_text().startswith(f"进程 {os.getpid()}，")
    finally:
        orphan.close()
    with run_lock(root, timeout=0.5):  # and the next merge is not blocked either
        pass


# -- item 1: a rebuild never leaves the store with less without saying so ---------------

def _versions(out, plan):
    qr = load_quarter(plan, Q2, out)
    return {d: (r.sha256, r.tasks[0].percent) for d, r in qr.returns.items()}


def _three_runs(tmp_path, plan):
    """Three merges (the journal has lines for each) and a resubmission."""
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "a" / "0.xlsx", fake_return(FIVE[0], percent=1), ON_TIME)])
    merge(plan, Q2, out, [five_returns(tmp_path / "b")])
    merge(plan, Q2, out, [write(tmp_path / "c" / "v2.xlsx", fake_return(FIVE[1], percent=77), LATE)])
    return out


def test_rebuild_with_a_short_journal_restores_everything_from_the_archive(tmp_path, plan, each_store):
    out = _three_runs(tmp_path, plan)
    before = _versions(out, plan)
    cut_journal(out, plan, keep=1)
    if on_sqlite(plan, out):  # the database is lost too (a server store's archive is in its database)
        (store_dir(plan, out) / "plankit.sqlite").unlink()
    result = rebuild(plan, out)
    assert result == {"2019Q2": 7} and result.added == 6 and result.unplaced == []
    assert _versions(out, plan) == before


def test_rebuild_with_both_logs_gone_places_files_by_their_own_content(tmp_path, plan, each_store):
    out = _three_runs(tmp_path, plan)
    before = _versions(out, plan)
    lose_journal(out, plan)
    lose_index(out, plan)
    import hashlib
    junk = hashlib.sha256(b"not a workbook").hexdigest()
    overwrite_archived(out, plan, f"{junk}.xlsx", b"not a workbook")
    if on_sqlite(plan, out):  # the database is lost too (a server store's archive is in its database)
        (store_dir(plan, out) / "plankit.sqlite").unlink()
    result = CliRunner().invoke(main, ["merge", "--rebuild", "--plan", str(plan.source), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "已从归档重建数据库：共重新读取 7 个文件（2019Q2 7个）。" in result.stdout
    assert f"无法归入任何季度，未重建：{junk}.xlsx（无法读取" in result.stderr
    assert _versions(out, plan) == before


def test_rebuild_that_finds_less_keeps_the_database_unless_forced(tmp_path, plan, each_store):
    out = _three_runs(tmp_path, plan)
    before = _versions(out, plan)
    lose_journal(out, plan)
    lose_index(out, plan)
    gone = before[FIVE[3]][0]
    lose_archived(out, plan, f"{gone}.xlsx")  # an archived return lost: the database holds more
    args = ["merge", "--rebuild", "--plan", str(plan.source), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"错误：重建结果比现有数据库少，数据库未改动：2019Q2 {FIVE[3]} 的 3_{FIVE[3]}.xlsx"
                                    f"（编号 {gone[:12]}）不在重建结果中；2019Q2 {FIVE[3]} 的当前版本由 {gone[:12]} 变为 未报送。")
    assert "--force" in result.stderr
    assert _versions(out, plan) == before
    forced = CliRunner().invoke(main, args + ["--force"])
    assert forced.exit_code == 1
    assert f"已按 --force 替换，原数据库中的这一项不再存在：2019Q2 {FIVE[3]} 的当前版本由" in forced.stderr
    assert FIVE[3] not in _versions(out, plan)


# -- item 2: archived files are checked against their sha256 names -----------------------

def test_rebuild_and_store_verify_name_edited_truncated_and_missing_archive_files(tmp_path, plan, each_store,
                                                                                 second_store):
    out = tmp_path / "out"
    merge(plan, Q2, out, [five_returns(tmp_path / "in")])
    before = _versions(out, plan)
    edited, cut, gone = (before[d][0] for d in FIVE[:3])
    overwrite_archived(out, plan, f"{edited}.xlsx", fake_return(FIVE[0], percent=99))  # values changed
    overwrite_archived(out, plan, f"{cut}.xlsx", read_archived(out, plan, f"{cut}.xlsx")[:20])
    lose_archived(out, plan, f"{gone}.xlsx")
    args = ["--plan", str(plan.source), "--out", str(out)]
    verified = CliRunner().invoke(main, ["store", "verify", *args])
    assert verified.exit_code == 1
    assert f"[错误] {edited}.xlsx：内容与编号不符（文件在存档后被改动或截断，现为" in verified.stdout
    assert f"[错误] {cut}.xlsx：内容与编号不符（文件在存档后被改动或截断，现为 20 字节）" in verified.stdout
    assert f"[错误] {gone}.xlsx：日志中记录的文件（原名 2_{FIVE[2]}.xlsx）在归档中已不存在" in verified.stdout
    assert "核对 4 个文件，3 个损坏或缺失。" in verified.stdout  # 4 files there (one gone)
    rebuilt = CliRunner().invoke(main, ["merge", "--rebuild", *args])
    assert rebuilt.exit_code == 2 and "归档文件已损坏：" in rebuilt.stderr
    assert _versions(out, plan) == before  # database kept
    if on_sqlite(plan, out):  # the database lost too; a server store's is replaced as told (--force)
        (store_dir(plan, out) / "plankit.sqlite").unlink()
    rebuilt = CliRunner().invoke(main, ["merge", "--rebuild", *args, *(() if on_sqlite(plan, out) else ("--force",))])
    assert rebuilt.exit_code == 1
    assert rebuilt.stderr.count("归档文件已损坏，未重新读取：") == 3
    after = _versions(out, plan)
    assert sorted(after) == sorted(FIVE[3:]) and after[FIVE[3]] == before[FIVE[3]]  # no edited value stored
    ok = CliRunner().invoke(main, ["store", "verify", "--plan", str(plan.source), "--out", str(tmp_path / "o2")],
                            env={"PLANKIT_STORE": second_store})
    assert ok.exit_code == 2, ok.output  # nothing merged there yet
    assert not resolve(plan, tmp_path / "o2", second_store or None).exists()  # and verifying made no store


# -- item 3: dates in the future or long before the quarter do not order versions ---------

def test_a_future_dated_draft_does_not_lock_out_the_correction(tmp_path, plan, each_store):
    from datetime import datetime

    from tests.merge_helpers import make_email
    out = tmp_path / "out"
    draft = make_email([("草稿.xlsx", fake_return(FIVE[0], percent=10))], date=datetime(2029, 1, 1, 9, 0))
    fixed = make_email([("更正.xlsx", fake_return(FIVE[0], percent=60))], date=datetime(2019, 7, 7, 9, 0))
    first = merge(plan, Q2, out, [write(tmp_path / "a" / "draft.eml", bytes(draft))])
    [warning] = first.files[0].problems
    assert warning.code == "merge-untrusted-date"
    assert warning.message.startswith("邮件日期（Date）为 2029-01-01 09:00，晚于本次合并的时间，不能据此判断先后")
    second = merge(plan, Q2, out, [write(tmp_path / "b" / "fixed.eml", bytes(fixed))])
    assert second.files[0].outcome == "accepted" and not second.files[0].problems
    ret = load_quarter(plan, Q2, out).returns[FIVE[0]]
    assert ret.filename == "更正.xlsx" and ret.tasks[0].percent == 60 and ret.on_time


def test_a_file_dated_long_before_its_quarter_orders_by_arrival(tmp_path, plan, each_store):
    from datetime import datetime
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "a" / "new.xlsx", fake_return(FIVE[0], percent=10), ON_TIME)])
    old = merge(plan, Q2, out, [write(tmp_path / "b" / "v2.xlsx", fake_return(FIVE[0], percent=70),
                                      datetime(1980, 1, 1))])
    assert old.files[0].outcome == "accepted"
    assert "远早于本季度开始" in old.files[0].problems[0].message
    assert load_quarter(plan, Q2, out).returns[FIVE[0]].tasks[0].percent == 70


# -- item 4: duplicate and inserted columns -------------------------------------------------

def _insert_column(src, out, sheet, before, title, value):
    from tests.returnfile_helpers import col_of, edit
    from toolkit.fillin import layout as L

    def fn(wb):
        ws = wb[sheet]
        at = col_of(ws, before)
        ws.insert_cols(at)
        ws.cell(L.HEADER_ROW, at).value = title
        for r in range(L.HEADER_ROW + 1, ws.max_row + 1):
            if ws.cell(r, at + 1).value is not None or ws.cell(r, at + 2).value is not None:
                ws.cell(r, at).value = value
    return edit(src, out, fn)


def test_real_a_second_input_column_with_the_same_title_is_rejected_naming_both(tmp_path, plan):
    from tests.returnfile_helpers import Q2 as RQ2, filled
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    path = _insert_column(filled(tmp_path, plan), tmp_path / "dup.xlsx", L.INDICATOR_SHEET, L.I_VALUE, L.I_VALUE, 1)
    result = read_return(path, plan, RQ2)
    [dup] = [p for p in result.problems if p.code == "return-column-duplicate"]
    assert dup.severity == "error" and dup.sheet == L.INDICATOR_SHEET
    assert "有2列的列标题都是“累计完成值”（F4、G4），无法确定哪一列是要填报的" in dup.message


def test_real_an_inserted_column_holding_data_is_named_in_a_warning(tmp_path, plan):
    from tests.returnfile_helpers import Q2 as RQ2, filled
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    path = _insert_column(filled(tmp_path, plan), tmp_path / "ins.xlsx", L.PROGRESS_SHEET, L.P_ISSUES, "备注", "已督办")
    result = read_return(path, plan, RQ2)
    assert result.ok, [str(p) for p in result.problems]
    [ins] = [p for p in result.problems if p.code == "return-column-inserted"]
    assert ins.severity == "warning" and ins.cell.endswith("4")
    assert f"列标题“备注”）不是填报表中的列，其中填写的内容（如{ins.cell[:-1]}5、" in ins.message


# -- item 5: identity stores that disagree ----------------------------------------------------

def test_real_one_identity_store_naming_another_department_is_rejected_for_the_real_one(tmp_path, plan):
    from tests import returnfile_helpers as H
    from toolkit.mail.outgoing import remind_targets
    good = H.filled(tmp_path, plan)
    (tmp_path / "in").mkdir()
    path = H.rewrite(good, tmp_path / "in" / "mixed.xlsx", {"docProps/custom.xml": lambda d: d.replace(
        f">{H.DEPT}</vt:lpwstr>".encode(), ">市财政局</vt:lpwstr>".encode())})
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [path])
    [f] = result.files
    assert (f.outcome, f.department) == ("rejected", H.DEPT)
    assert [p.code for p in f.errors] == ["return-identity-conflict"]  # not one error per row
    assert f.errors[0].message.startswith("身份信息不一致：文件内几处识别信息互相矛盾（文件属性中单位为“市财政局”，"
                                          f"其余为“{H.DEPT}”）")
    targets = remind_targets(plan, Q2, out)
    assert targets[H.DEPT]["rejected"] and "身份信息不一致" in targets[H.DEPT]["problems"][0]
    assert not targets["市财政局"]["rejected"]


# -- item 6: text cut to Excel's limit is not accepted as if whole ---------------------------

def test_real_text_cut_to_32767_characters_is_rejected_with_the_cell_named(tmp_path, plan):
    """openpyxl (like Excel, WPS and xlsxwriter) cuts 40,000 characters to 32,767 without a word;
    the file then holds exactly the limit. Longer text in the XML is still caught as too long."""
    from tests import returnfile_helpers as H
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan)
    key = f"T{H.FIRST_TASK}"
    ref = H.cell_of(good, L.PROGRESS_SHEET, key, L.P_PROGRESS)
    cut = H.set_input(good, tmp_path / "cut.xlsx", L.PROGRESS_SHEET, key, L.P_PROGRESS, "进" * 40_000)
    [p] = [p for p in read_return(cut, plan, H.Q2).problems if p.code == "return-text-at-limit"]
    assert (p.severity, p.sheet, p.cell) == ("error", L.PROGRESS_SHEET, ref)
    assert p.message.startswith("文字正好32767字，达到Excel单元格上限")
    longer = H.set_cell_xml(good, tmp_path / "long.xlsx", L.PROGRESS_SHEET, ref,
                            f'<c r="{ref}" t="inlineStr"><is><t>{"进" * 40_000}</t></is></c>')
    [p] = [p for p in read_return(longer, plan, H.Q2).problems if p.code == "return-text-too-long"]
    assert p.cell == ref and p.message.startswith("文字过长（40000字")
    fine = H.set_input(good, tmp_path / "fine.xlsx", L.PROGRESS_SHEET, key, L.P_PROGRESS, "进" * 32_766)
    assert read_return(fine, plan, H.Q2).ok


# -- item 13: absurd magnitudes are rejected at the merge ------------------------------------

IND_KEY = "I14:分配各类保障性住房"  # 市住建局's first indicator, unit 套


@pytest.mark.parametrize("typed, why", [(1.7e308, "超过1万亿"), ("1.7E+308", None), (5e12, "超过1万亿")])
def test_real_absurd_indicator_values_are_rejected(tmp_path, plan, typed, why):
    from tests import returnfile_helpers as H
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan)
    path = H.set_input(good, tmp_path / "big.xlsx", L.INDICATOR_SHEET, IND_KEY, L.I_VALUE, typed)
    result = read_return(path, plan, H.Q2)
    assert not result.ok
    assert result.indicators[0].value is None
    [p] = [p for p in result.problems if p.severity == "error"]
    assert p.cell == H.cell_of(good, L.INDICATOR_SHEET, IND_KEY, L.I_VALUE)
    if why:
        assert p.code == "return-absurd-number" and why in p.message


def test_real_a_value_a_thousand_times_the_target_is_rejected(tmp_path, plan):
    from tests import returnfile_helpers as H
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    ind = next(i for i in plan.indicators_for(H.DEPT) if f"I{i.key}" == IND_KEY)
    good = H.filled(tmp_path, plan)
    path = H.set_input(good, tmp_path / "big.xlsx", L.INDICATOR_SHEET, IND_KEY, L.I_VALUE, ind.target * 1001)
    [p] = [p for p in read_return(path, plan, H.Q2).problems if p.code == "return-absurd-number"]
    assert "的1000倍以上" in p.message


# -- item 14: the report always renders ---------------------------------------------------------

def test_two_co_units_writing_20000_characters_each_still_give_a_report(plan, tmp_path):
    import openpyxl

    from tests.evaluate_helpers import entry, quarter_of, ret
    from toolkit.evaluate.judge import evaluate
    from toolkit.model import CO
    from toolkit.render.report import write_report
    pairs = [(t, [d for d in plan.department_names() if (t, CO) in plan.tasks_for(d)]) for t in plan.tasks]
    task, cos = next((t, c) for t, c in pairs if len(c) >= 2)
    returns = [ret(d, tasks=[entry(task.no, d, role=CO, progress=f"{d}推进情况" + "很" * 20000)]) for d in cos[:2]]
    ev = evaluate(plan, Q2, quarter_of(plan, "2019Q2", returns))
    wb = openpyxl.load_workbook(write_report(ev, tmp_path / "r.xlsx"))
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    cut = [t for t in texts if "……（全文" in t]
    assert cut and all(len(t) <= 32767 for t in texts)
    assert all(t.endswith("全文见报送单位的填报表原件，可用 plankit status -q 2019Q2 -d 单位名 查到）") for t in cut)


# -- item 12: a full disk gives a clear message and leaves nothing half-written ------------------

NO_SPACE = "错误：磁盘空间不足，文件未能写完。已完成的部分完整保留，请清理磁盘后重新运行同一命令。\n"


@pytest.mark.parametrize("command", ["report", "sheets"])
def test_a_full_disk_under_xlsxwriter_is_a_clear_message(tmp_path, plan, monkeypatch, command):
    """xlsxwriter raises FileCreateError (not an OSError) for [Errno 28]."""
    import errno

    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError
    out = tmp_path / "out"
    merge(plan, Q2, out, [five_returns(tmp_path / "in")])
    before = sorted(p for p in out.rglob("*"))

    def full(self):
        raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
    monkeypatch.setattr(xlsxwriter.Workbook, "close", full)
    result = CliRunner().invoke(main, [command, "-q", "2019Q2", "--plan", str(plan.source), "--out", str(out)])
    assert result.exit_code == 2 and result.stderr.endswith(NO_SPACE), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    left = [p for p in out.rglob("*") if p not in before and p.is_file() and p.parent.name != "store"]
    assert left == []  # no half-written workbook, no temp file (the store's -wal/-shm are SQLite's own)


def test_real_full_disk_for_report_sheets_and_brief(tmp_path, plan):
    """A real full file system (a tiny tmpfs): only where mounting is allowed (root on Linux)."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)]).returncode:
        pytest.skip("mount refused here")
    try:
        out = disk / "out"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        script = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); import toolkit.intake.readers as R; "
                  "from tests.merge_helpers import fake_read; R._read = fake_read; from toolkit.cli import main; "
                  f"main(['merge', '-q', '2019Q2', '--plan', {str(plan.source)!r}, '--out', {str(out)!r}, "
                  f"{str(five_returns(tmp_path / 'in'))!r}])")
        assert subprocess.run([sys.executable, "-c", script], env=env, capture_output=True).returncode == 0
        free = os.statvfs(disk)
        with open(disk / "filler", "wb") as fh:  # room for SQLite's 32 KB index to read, not for a workbook
            fh.write(b"\0" * max(0, free.f_bavail * free.f_frsize - 48 * 1024))
        for command in ("report", "sheets", "brief"):
            proc = subprocess.run([sys.executable, "-m", "toolkit", command, "-q", "2019Q2", "--plan",
                                   str(plan.source), "--out", str(out)], env=env, capture_output=True, text=True)
            assert proc.returncode == 2, (command, proc.stderr)
            assert proc.stderr.splitlines()[-1].startswith("错误：磁盘空间不足"), (command, proc.stderr)
            assert "Traceback" not in proc.stderr, (command, proc.stderr)
            assert "Exception ignored" not in proc.stderr
        leftovers = [p.name for p in out.rglob("*") if p.is_file() and p.suffix in (".xlsx", ".docx")
                     and p.parent.name in ("report", "sheets", "brief")]
        assert leftovers == [] and not list(out.rglob(".~plankit*"))
    finally:
        subprocess.run(["umount", str(disk)])


# -- item 8: percentage indicators are range-checked by their unit -------------------------------

PCT_DEPT, PCT_KEY = "市教育局", "I2:义务教育学校达省定办学标准比例"  # unit %, target 85


@pytest.mark.parametrize("typed, code, words", [
    ("42.5万", "return-rate-multiplier", "带有“万”，但本指标的单位是“%”"),
    ("1亿", "return-rate-multiplier", "带有“亿”"),
    (425, "return-rate-range", "超出范围：本指标的单位是“%”，应在0到100之间"),
    (102, "return-rate-over", "超过100%，已按原数读取"),
    (0.425, "return-rate-ambiguous", "已按0.425%读取（全年目标为85%）。如果本意是42.5%，请改填42.5"),
])
def test_real_percentage_indicators_are_checked_by_their_unit(tmp_path, plan, typed, code, words):
    from tests import returnfile_helpers as H
    from toolkit.fillin import layout as L
    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan, dept=PCT_DEPT)
    path = H.set_input(good, tmp_path / "pct.xlsx", L.INDICATOR_SHEET, PCT_KEY, L.I_VALUE, typed)
    result = read_return(path, plan, H.Q2)
    [p] = [p for p in result.problems if p.code == code]
    assert words in p.message and p.cell == H.cell_of(good, L.INDICATOR_SHEET, PCT_KEY, L.I_VALUE)
    value = next(i.value for i in result.indicators if f"I{i.task_no}:{i.name}" == PCT_KEY)
    assert (value is None) == (p.severity == "error") and not (p.severity == "error" and result.ok)
    fine = H.set_input(good, tmp_path / "ok.xlsx", L.INDICATOR_SHEET, PCT_KEY, L.I_VALUE, 42.5)
    assert not [p for p in read_return(fine, plan, H.Q2).problems if p.code.startswith("return-rate")]


# -- item 16: a read-only store is read, and said to be read-only, never "damaged" -----------------

def _mount_tmpfs(disk: Path, size: str = "8m") -> None:
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root on Linux")
    disk.mkdir(exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)]).returncode:
        pytest.skip("mount refused here")


def test_a_read_only_store_is_read_and_writing_says_read_only(tmp_path, plan):
    # SQLite only: a store folder on a read-only disk
    disk = tmp_path / "disk"
    _mount_tmpfs(disk)
    try:
        out = disk / "out"
        merge(plan, Q2, out, [five_returns(tmp_path / "in")])
        for extra in store_dir(plan, out).glob("plankit.sqlite-*"):
            extra.unlink()  # as copied from a backup: no -shm index
        assert subprocess.run(["mount", "-o", "remount,ro", str(disk)]).returncode == 0
        assert sorted(load_quarter(plan, Q2, out).returns) == sorted(FIVE)
        args = ["-q", "2019Q2", "--plan", str(plan.source), "--out", str(out)]
        status = CliRunner().invoke(main, ["status", *args])
        assert status.exit_code == 0 and "已报 5 个" in status.stdout, status.output
        report = CliRunner().invoke(main, ["report", *args])
        assert report.exit_code == 2
        assert report.stderr.startswith("错误：磁盘或文件夹是只读的，无法写入（") and "rebuild" not in report.stderr
    finally:
        subprocess.run(["umount", str(disk)])


# -- item 17: a deleted database is not reported as "nobody returned anything" ---------------------

def test_a_deleted_database_stops_report_and_status_naming_the_archive(tmp_path, plan):
    # SQLite only: the .sqlite file deleted beside its archive folder
    out = tmp_path / "out"
    merge(plan, Q2, out, [five_returns(tmp_path / "in")])
    args = ["-q", "2019Q2", "--plan", str(plan.source), "--out", str(out)]
    assert CliRunner().invoke(main, ["report", *args]).exit_code == 0
    report = next((out / "lianyungang-2019" / "2019Q2" / "report").glob("*.xlsx"))
    before = report.read_bytes()
    db = store_dir(plan, out) / "plankit.sqlite"
    for f in db.parent.glob("plankit.sqlite*"):
        f.unlink()
    for command in ("report", "status", "brief"):
        result = CliRunner().invoke(main, [command, *args])
        assert result.exit_code == 2, (command, result.output)
        assert result.stderr == (f"错误：数据库 {db} 不存在（可能被删除或移走），但归档中有 5 个已收到的文件。"
                                 "为免把各单位都显示为未报送，未生成任何内容。请运行 plankit merge --rebuild 从归档重建数据库后再运行。\n")
    assert report.read_bytes() == before  # the good report was not overwritten
    assert CliRunner().invoke(main, ["merge", "--rebuild", "--plan", str(plan.source), "--out", str(out)]).exit_code == 0
    assert CliRunner().invoke(main, ["status", *args]).exit_code == 0


# -- item 18: returns in formats that cannot carry a return are rejected by name ------------------

@pytest.mark.parametrize("name, kind", [
    ("市教育局_填报表.xml", "Excel 2003 XML表格"), ("市教育局_填报表.fods", "OpenDocument单文件表格（.fods）"),
    ("市教育局_填报表.csv", "CSV文本"), ("市教育局_填报表.et", "WPS表格专用格式（.et）"),
])
def test_other_spreadsheet_formats_are_rejected_by_name_and_remind_passes_it_on(tmp_path, plan, name, kind):
    from toolkit.mail.outgoing import remind_targets
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [write(tmp_path / "in" / name, b"<?xml version='1.0'?><Workbook/>", ON_TIME)])
    [f] = result.files
    assert (f.outcome, f.department) == ("rejected", "市教育局") and not result.ok
    expected = (f"{name}：这是{kind}格式，不是填报表的格式，无法读取，已拒收。请在Excel或WPS中打开下发的填报表填写，"
                "用“文件→另存为”保存为“Excel工作簿(*.xlsx)”后重新发送。")
    assert [(p.code, p.message) for p in f.errors] == [("file-wrong-format", expected)]
    target = remind_targets(plan, Q2, out)["市教育局"]
    assert target["rejected"] and any("Excel工作簿(*.xlsx)" in p for p in target["problems"])


def test_a_wrong_format_file_is_attributed_by_the_registered_sender(tmp_path, plan):
    from tests.merge_helpers import make_email
    dept = plan.departments[0]
    mail = make_email([("表.csv", b"a,b")], sender=f"张三 <{dept.email}>")
    [f] = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "in" / "m.eml", bytes(mail))]).files
    assert (f.outcome, f.department) == ("rejected", dept.name)


# -- item 15: a sort that left the hidden key column behind ----------------------------------------

def _reverse_rows(src, out, with_key: bool):
    from tests.returnfile_helpers import edit
    from toolkit.fillin import layout as L

    def fn(wb):
        ws = wb[L.PROGRESS_SHEET]
        key_col = next(c.column for c in ws[L.HEADER_ROW] if c.value == L.ROW_KEY_HEADER)
        rows = [r for r in range(L.HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, key_col).value]
        cols = [c for c in range(1, ws.max_column + 1) if with_key or c != key_col]
        values = {(r, c): ws.cell(r, c).value for r in rows for c in cols}
        for r, target in zip(rows, reversed(rows)):
            for c in cols:
                ws.cell(target, c).value = values[(r, c)]
    return edit(src, out, fn)


def test_real_a_sort_without_the_key_column_is_said_so_once(tmp_path, plan):
    from tests import returnfile_helpers as H
    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan)
    result = read_return(_reverse_rows(good, tmp_path / "sorted.xlsx", with_key=False), plan, H.Q2)
    codes = [p.code for p in result.problems if p.severity == "error"]
    assert codes == ["return-sorted-without-key"], codes  # not one "plan edit" per row
    [p] = [p for p in result.problems if p.code == "return-sorted-without-key"]
    assert "排序时没有选中隐藏的“行标识”列" in p.message and "请撤销排序（Ctrl+Z）" in p.message
    whole = read_return(_reverse_rows(good, tmp_path / "whole.xlsx", with_key=True), plan, H.Q2)
    assert whole.ok and "return-rows-reordered" in [p.code for p in whole.problems]


# -- item 7 (part): an indicator renamed in the plan after merging keeps its value ------------------

def test_an_indicator_renamed_after_merging_keeps_its_stored_value(tmp_path, plan, each_store):
    import dataclasses

    from toolkit.evaluate.judge import evaluate_quarter
    out = tmp_path / "out"
    dept = FIVE[0]
    merge(plan, Q2, out, [write(tmp_path / "in" / "a.xlsx", fake_return(dept, value=42.0), ON_TIME)])
    target = plan.indicators_for(dept)[0]
    renamed = dataclasses.replace(target, name=target.name + "（更正）")
    edited = dataclasses.replace(plan, indicators=[renamed if i is target else i for i in plan.indicators],
                                 _fingerprint="")
    qr = load_quarter(edited, Q2, out)
    entry = qr.indicator_value(renamed.task_no, renamed.name, dept)
    assert entry is not None and entry.value == 42.0
    assert any(f"已改名为“{renamed.name}”" in w for w in qr.returns[dept].warnings)
    ev = evaluate_quarter(edited, Q2, out)
    assert ev is not None


# -- item 9: nothing found is dropped without a line in the receipt --------------------------------

def test_a_nameless_inline_workbook_and_inline_pictures_are_listed(tmp_path):
    from email.message import EmailMessage
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "jyj@example.cn", "hz@example.cn", "报表"
    msg.set_content("见内嵌")
    msg.add_related(b"PK\x03\x04 workbook", maintype="application",
                    subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", disposition="inline")
    msg.add_related(b"\x89PNG logo", maintype="image", subtype="png", disposition="inline")
    for part in msg.walk():
        if part.get_content_maintype() in ("application", "image"):
            del part["Content-Disposition"]
            part["Content-Disposition"] = "inline"
    items = collect([write(tmp_path / "m.eml", bytes(msg))])
    assert [(i.name, i.skipped or "ok") for i in items] == [
        ("附件.xlsx", "ok"), ("内嵌内容（image/png）", "邮件中内嵌的图片等内容，不是表格文件，已跳过")]


def test_mbox_messages_without_attachments_are_listed(tmp_path):
    import mailbox

    from tests.merge_helpers import make_email
    box = mailbox.mbox(str(tmp_path / "in.mbox"))
    box.add(make_email([("a.xlsx", b"PK one")]))
    plain = make_email([], subject="忘了附件")
    box.add(plain)
    box.close()
    items = collect([tmp_path / "in.mbox"])
    assert [(i.name, i.skipped or "ok") for i in items] == [
        ("a.xlsx", "ok"), ("in.mbox#2", "这封邮件（忘了附件）没有附件，已跳过")]
    assert items[1].sender == "市教育局 <jyj@example.cn>"


# -- item 19: the small ones ---------------------------------------------------------------------

def test_a_broken_msg_is_explained_in_chinese_only(tmp_path):
    [item] = collect([write(tmp_path / "坏.msg", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)])
    assert item.error.startswith("坏.msg：无法打开（不是有效的Outlook邮件文件（.msg）")
    rest = item.error.replace(".msg", "").replace("Outlook", "")
    assert not any("a" <= ch.lower() <= "z" for ch in rest), item.error


def test_odd_file_names_and_formula_like_text_stay_in_their_cells(tmp_path, plan):
    import openpyxl
    import zipfile as zf
    out, inbox = tmp_path / "out", tmp_path / "in"
    write(inbox / "a\nb\u202egpj.xlsx", fake_return(FIVE[0]), ON_TIME)
    write(inbox / "=HYPERLINK(1).xlsx", fake_return(FIVE[1], warnings=["=1+1 注意"]), ON_TIME)
    result = merge(plan, Q2, out, [inbox])
    wb = openpyxl.load_workbook(result.report_path)
    column = [c.value for c in wb["收件回执"][HEADER_ROW]].index("文件")
    names = [row[column].value for row in wb["收件回执"].iter_rows(min_row=HEADER_ROW + 1)]
    assert "a\\nb\\u202egpj.xlsx" in names and "=HYPERLINK(1).xlsx" in names
    assert all("\n" not in n and "\u202e" not in n for n in names)
    sheet = zf.ZipFile(result.report_path).read("xl/styles.xml").decode()
    assert 'quotePrefix="1"' in sheet
    cells = {c.value: c for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells["=HYPERLINK(1).xlsx"].quotePrefix and cells["=1+1 注意"].quotePrefix
    cli = CliRunner().invoke(main, ["merge", "-q", "2019Q2", "--plan", str(plan.source), "--out", str(out), str(inbox)])
    assert "a\\nb\\u202egpj.xlsx" in cli.stdout and "\u202e" not in cli.stdout


def test_a_zip_full_of_junk_is_one_receipt_line(tmp_path):
    import io
    import zipfile as zf
    buf = io.BytesIO()
    with zf.ZipFile(buf, "w") as z:
        z.writestr("市教育局.xlsx", b"PK fake")
        for n in range(1000):
            z.writestr(f"junk/{n}.txt", b"")
    items = collect([write(tmp_path / "x.zip", buf.getvalue())])
    assert len(items) == 2 and items[0].name == "市教育局.xlsx"
    assert items[1].skipped.startswith("压缩包中有1000个不是表格的文件（如0.txt、1.txt")


def test_a_mail_without_date_says_so_and_a_stranger_sender_is_noted(tmp_path, plan):
    from tests.merge_helpers import raw_email
    data = raw_email(b'Content-Disposition: attachment; filename="a.xlsx"', fake_return(FIVE[0]))
    data = b"".join(line for line in data.splitlines(keepends=True) if not line.startswith(b"Date:"))
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "in" / "m.eml", data, ON_TIME)])
    [f] = result.files
    assert f.outcome == "accepted"
    assert [p.code for p in f.problems] == ["merge-no-date"]
    assert "邮件中没有发送日期（Date），已按文件修改时间 2019-07-05 09:30 判断先后和是否迟报" in f.problems[0].message
    registered = plan.department(FIVE[0]).email
    assert result.notes == [f"{FIVE[0]} 的 a.xlsx 由 jyj@example.cn 发来，与该单位登记的邮箱 {registered} "
                            "不同，请确认确是该单位报送（收件报告“发件人不符”表中列出）。"]


# -- item 7: a plan corrected after the sheets went out ---------------------------------------------

def test_real_returns_of_the_plan_before_a_correction_are_accepted_with_the_change_named(tmp_path, plan):
    import dataclasses

    from tests import returnfile_helpers as H
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / "out"
    [sheet] = generate_sheets(plan, Q2, out, departments=[H.DEPT])  # keeps a copy of this plan version
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill_return(sheet.path, fill_all=True, out=inbox / "r.xlsx")
    task = plan.tasks_for(H.DEPT)[0][0]
    fixed = dataclasses.replace(task, name=task.name + "（更正）")
    corrected = dataclasses.replace(plan, tasks=[fixed if t is task else t for t in plan.tasks], _fingerprint="",
                                    _units=())
    assert corrected.fingerprint != plan.fingerprint
    result = merge(corrected, Q2, out, [inbox])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-plan-changed"]
    assert f"任务{task.no}的名称已修改" in note.message and "plankit sheets 重新生成" in note.message
    assert load_quarter(corrected, Q2, out).returns[H.DEPT].tasks
    # a department that edited the plan text itself is still told so
    edited = H.set_input(sheet.path, tmp_path / "e.xlsx", "进展填报", f"T{task.no}", "目标任务", "改过的目标")
    (tmp_path / "in2").mkdir()
    result = merge(corrected, Q2, out, [fill_return(edited, fill_all=True, out=tmp_path / "in2" / "e.xlsx")])
    assert "return-locked-edited" in [p.code for p in result.files[0].errors]


def test_real_briefing_pdf_names_characters_no_installed_font_can_draw(plan, tmp_path, monkeypatch, soffice_available):
    import shutil as sh
    if not sh.which("fc-list"):
        pytest.skip("fontconfig (fc-list) is not installed")
    from tests import brief_helpers
    from toolkit.render import brief as B
    if subprocess.run(["fc-list", ":charset=31350", "family"], capture_output=True, text=True).stdout.strip():
        pytest.skip("a font here draws U+31350 (CJK Extension H)")
    monkeypatch.setattr(brief_helpers, "HOSTILE_PROGRESS", "生僻字\U00031350与𠀀的进展")
    ev = brief_helpers.quarter_evaluation(plan)
    result = B.render_brief(ev, tmp_path, pdf=True)
    [warning] = [w for w in result.warnings if "找不到字形" in w]
    assert "\U00031350" in warning and "PDF中会显示为方框" in warning
    drawn = not subprocess.run(["fc-list", ":charset=20000", "family"], capture_output=True, text=True).stdout.strip()
    assert ("𠀀" in warning) is drawn  # silent for 𠀀 where HanaMin (fonts-hanazono) is installed


def test_rare_characters_and_emoji_are_drawn_in_the_briefing_pdf(plan, tmp_path, monkeypatch, soffice_available):
    """templates/fonts.conf falls back to HanaMin and Symbola and hides Noto Color Emoji, whose glyphs
    LibreOffice exports as boxes (and which made it drop 𠀀 and 𪚥 altogether)."""
    import shutil as sh
    if not (sh.which("fc-list") and sh.which("pdftotext") and sh.which("pdffonts")):
        pytest.skip("fontconfig or poppler (pdftotext, pdffonts) is not installed")
    families = subprocess.run(["fc-list", ":", "family"], capture_output=True, text=True).stdout
    if "HanaMinB" not in families or "Symbola" not in families:
        pytest.skip("fonts-hanazono or fonts-symbola is not installed; CI installs them via .ci/run")
    from tests import brief_helpers
    from toolkit.render import brief as B
    monkeypatch.setattr(brief_helpers, "HOSTILE_PROGRESS", "生僻字𠀀与𪚥的进展😀✅完成")
    result = B.render_brief(brief_helpers.quarter_evaluation(plan), tmp_path, pdf=True)
    assert not [w for w in result.warnings if "找不到字形" in w]
    text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True, text=True).stdout
    squeezed = "".join(text.split())  # where the annex cell wraps depends on its width
    assert "生僻字𠀀与𪚥的进展😀✅完成" in squeezed  # pdftotext gives back only drawn glyphs
    fonts = subprocess.run(["pdffonts", str(result.pdf)], capture_output=True, text=True).stdout
    assert "HanaMin" in fonts and "Symbola" in fonts and "NotoColorEmoji" not in fonts


def test_pipes_and_devices_are_listed_as_skipped_never_read(tmp_path, plan):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    inbox = five_returns(tmp_path / "in")
    os.mkfifo(inbox / "pipe.xlsx")  # reading it would block the merge for ever
    inputs = [inbox] + ([Path("/dev/zero")] if Path("/dev/zero").exists() else [])
    result = merge(plan, Q2, tmp_path / "out", inputs)
    special = [f for f in result.files if f.problems and f.problems[0].code == "file-special"]
    assert [f.path for f in special] == ["pipe.xlsx", "zero"][:len(inputs)]
    assert all(f.outcome == "skipped" and "不是普通文件（设备、管道等），不读取，已跳过" == f.problems[0].message
               for f in special)
    assert sorted(load_quarter(plan, Q2, tmp_path / "out").returns) == sorted(FIVE)
