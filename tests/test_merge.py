"""Merge orchestration and the merge/status commands (with a stand-in reader; see merge_helpers)."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, ON_TIME, fake_return, make_email, make_msg, use_fake_reader, write
from tests.store_helpers import archived, dump, lose_journal, on_sqlite, received
from toolkit.cli import main
from toolkit.intake.merge import merge
from toolkit.intake.rebuild import rebuild
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter
from toolkit.intake.receipt import HEADER_ROW

ROOT = Path(__file__).parent.parent
Q2 = Quarter(2019, 2)
FIVE = ("市教育局", "市财政局", "市卫健委", "市人社局", "市民政局")


@pytest.fixture(autouse=True)
def fake_reader(request, monkeypatch):
    if not request.node.name.startswith("test_real_"):  # test_real_* use toolkit.intake.returnfile
        use_fake_reader(monkeypatch)


def five_returns(folder: Path) -> Path:
    for n, dept in enumerate(FIVE):
        write(folder / f"{n}_{dept}.xlsx", fake_return(dept, percent=10 * n), ON_TIME)
    return folder


def test_merge_outcomes_report_and_missing(tmp_path, plan, each_store):
    inbox = five_returns(tmp_path / "in")
    write(inbox / "bad.xlsx", fake_return("市公安局", errors=["“很多”不是数字"]), ON_TIME)
    write(inbox / "broken.xlsx", fake_return("x", fail="文件不完整或已损坏"), ON_TIME)
    write(inbox / "bug.xlsx", fake_return("x", crash="boom"), ON_TIME)
    write(inbox / "panic.xlsx", fake_return("x", crash="panic: index out of bounds"), ON_TIME)
    write(inbox / "q1.xlsx", fake_return("市体育局", quarter="2019Q1"), ON_TIME)
    write(inbox / "nobody.xlsx", fake_return("市外星局"), ON_TIME)
    write(inbox / "late.xlsx", fake_return("市水利局", warnings=["数值偏大"]), LATE)
    write(inbox / "~$0_市教育局.xlsx", b"lock")
    result = merge(plan, Q2, tmp_path / "out", [inbox])
    got = {f.path: (f.department, f.outcome, [p.message for p in f.problems]) for f in result.files}
    assert got["bad.xlsx"] == ("市公安局", "rejected", ["“很多”不是数字"])
    assert got["broken.xlsx"] == ("", "rejected", ["文件不完整或已损坏"])
    assert got["bug.xlsx"] == ("", "rejected", [
        "程序内部错误（RuntimeError: boom），此文件未合并。请把该文件和这段提示发给技术支持，其他文件不受影响。"])
    assert got["panic.xlsx"][1:] == ("rejected", [
        "程序内部错误（PanicException: panic: index out of bounds），此文件未合并。"
        "请把该文件和这段提示发给技术支持，其他文件不受影响。"])
    assert got["q1.xlsx"] == ("市体育局", "rejected", [
        "这是2019Q1的填报表，本次合并的是2019Q2。请确认报送单位发来的是本季度的文件。"])
    assert got["nobody.xlsx"] == ("市外星局", "rejected", ["填报表中的单位“市外星局”不在计划的部门名单中。"])
    assert got["late.xlsx"] == ("市水利局", "accepted", ["数值偏大"])
    assert got["~$0_市教育局.xlsx"] == ("", "skipped", ["Excel/WPS临时锁文件，已跳过"])
    assert [got[f"{n}_{d}.xlsx"][1] for n, d in enumerate(FIVE)] == ["accepted"] * 5
    assert not result.ok
    assert result.late == ["市水利局"]
    assert result.missing == [d for d in plan.department_names() if d not in FIVE + ("市水利局",)]
    wb = openpyxl.load_workbook(result.report_path)
    assert wb.sheetnames == ["收件回执", "问题清单", "未报与迟报", "版本变化", "发件人不符"]
    problems = [tuple(c.value for c in row) for row in wb["问题清单"].iter_rows(min_row=HEADER_ROW + 1)]
    assert ("bad.xlsx", "市公安局", "进展填报", "G5", "x", "错误", "“很多”不是数字", "read-bad-value") in problems
    late_rows = [tuple(c.value for c in row) for row in wb["未报与迟报"].iter_rows(min_row=HEADER_ROW + 1)]
    assert ("市水利局", "迟报（仅按文件时间判断，如为保存附件的时间请用 --received-at 更正）", "2019-07-20 16:00",
            "2019-07-10") in late_rows
    assert ("市公安局", "未报送（文件被拒收）", None, "2019-07-10") in late_rows
    assert result.report_path == tmp_path / "out/lianyungang-2019/2019Q2/merge/2019年第二季度汇总收件报告.xlsx"


def test_every_received_file_is_archived_unchanged_with_provenance(tmp_path, plan, each_store):
    data = fake_return("市教育局")
    eml = write(tmp_path / "in" / "mail.eml", bytes(make_email([("../../填报.xlsx", data)])), LATE)
    merge(plan, Q2, tmp_path / "out", [eml])
    files = archived(tmp_path / "out", plan)
    import hashlib
    sha = hashlib.sha256(data).hexdigest()
    assert files[f"{sha}.xlsx"] == data
    assert files[f"{hashlib.sha256(eml.read_bytes()).hexdigest()}.eml"] == eml.read_bytes()
    row = dump(tmp_path / "out", plan)["submissions"][0]
    assert row[2:8] == ("填报.xlsx", f"{eml} › 填报.xlsx", "市教育局 <jyj@example.cn>", "2019-07-05 09:30:00",
                        "2019-07-20 16:00:00", "2019-07-05 09:30:00")  # the email's Date wins
    index = received(tmp_path / "out", plan)
    side = next(e for e in index if e["sha256"] == sha)
    assert (side["filename"], side["sender"], side["quarter"]) == ("填报.xlsx", "市教育局 <jyj@example.cn>", "2019Q2")
    assert [e["ext"] for e in index] == ["eml", "xlsx"]  # the email as received, then its attachment


def test_same_merge_twice_changes_nothing(tmp_path, plan, each_store):
    inbox = five_returns(tmp_path / "in")
    write(inbox / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)
    out = tmp_path / "out"
    merge(plan, Q2, out, [inbox])
    before, files = dump(out, plan), archived(out, plan)
    second = merge(plan, Q2, out, [inbox])
    assert [f.outcome for f in second.files] == ["duplicate"] * 5 + ["rejected"]
    assert second.files[-1].problems[0].message == "此文件此前已拒收：坏"
    assert dump(out, plan) == before and archived(out, plan) == files


def test_resaved_file_with_same_values_is_a_duplicate(tmp_path, plan, each_store):
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "a.xlsx", fake_return("市教育局"), ON_TIME)])
    again = merge(plan, Q2, out, [write(tmp_path / "b.xlsx", fake_return("市教育局", noise="re-saved"), LATE)])
    assert [f.outcome for f in again.files] == ["duplicate"]
    assert load_quarter(plan, Q2, out).returns["市教育局"].versions == 1


def test_resubmission_supersedes_keeps_versions_and_diff(tmp_path, plan, each_store):
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "v1.xlsx", fake_return("市教育局", percent=40), ON_TIME)])
    second = merge(plan, Q2, out,
                   [write(tmp_path / "v2.xlsx", fake_return("市教育局", percent=60), LATE),
                              write(tmp_path / "v0.xlsx", fake_return("市教育局", percent=5), datetime(2019, 7, 1))])
    assert [(f.path, f.outcome) for f in second.files] == [("v2.xlsx", "accepted"), ("v0.xlsx", "superseded")]
    changes = second.files[0].changes
    assert {(c.item, c.field, c.old, c.new) for c in changes} >= {("任务1", "percent", 40.0, 60.0)}
    r = load_quarter(plan, Q2, out).returns["市教育局"]
    assert (r.filename, r.versions, r.on_time, r.tasks[0].percent) == ("v2.xlsx", 3, False, 60.0)
    wb = openpyxl.load_workbook(second.report_path)
    assert ("市教育局", "v2.xlsx", "任务1", "完成进度(%)", 40, 60, "进展填报!G5") in [
        tuple(c.value for c in row) for row in wb["版本变化"].iter_rows(min_row=HEADER_ROW + 1)]


def test_prefer_and_rebuild_give_the_same_store(tmp_path, plan, each_store):
    out = tmp_path / "out"
    inbox = five_returns(tmp_path / "in")
    write(inbox / "v2.xlsx", fake_return("市教育局", percent=99), LATE)
    write(inbox / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)
    mail = make_email([("x.xlsx", fake_return("市水利局"))])
    write(inbox / "m.eml", bytes(mail))
    merge(plan, Q2, out, [inbox])
    result = merge(plan, Q2, out, [], prefer="0_市教育局.xlsx")
    assert result.notes == [f"已按指定采用 市教育局 的 0_市教育局.xlsx（编号 "
                            f"{load_quarter(plan, Q2, out).returns['市教育局'].sha256[:12]}）。"]
    assert load_quarter(plan, Q2, out).returns["市教育局"].tasks[0].percent == 0
    before = dump(out, plan)
    if on_sqlite(plan, out):  # the database is lost (a server store's archive is in its database)
        (store_dir(plan, out) / "plankit.sqlite").write_bytes(b"corrupted")
    assert rebuild(plan, out) == {"2019Q2": 8}
    assert dump(out, plan) == before


def test_crash_mid_merge_keeps_whole_files_and_a_rerun_finishes(tmp_path, plan, each_store):
    """kill -9 in the middle of the third file's transaction."""
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("no SIGKILL on this platform")
    inbox, out = five_returns(tmp_path / "in"), tmp_path / "out"
    script = f"""
import os, signal, sys
sys.path.insert(0, {str(ROOT)!r})
from pathlib import Path
import toolkit.intake.merge as M, toolkit.intake.readers as R, toolkit.store.db as S
from tests.merge_helpers import fake_read
from toolkit.plan.workbook import load_plan
from toolkit.quarter import Quarter
R._read = fake_read
original, calls = S.Store._choose_current, []
def choose(self, sub):
    calls.append(1)
    if len(calls) == 3:  # rows of file 3 are inserted, not committed
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, sub)
S.Store._choose_current = choose
M.merge(load_plan({str(plan.source)!r}), Quarter(2019, 2), Path({str(out)!r}), [Path({str(inbox)!r})])
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    crashed = dump(out, plan)
    assert [s[9] for s in crashed["submissions"]] == list(FIVE[:2])
    assert len(crashed["task_values"]) == sum(len(plan.tasks_for(d)) for d in FIVE[:2])
    rerun = merge(plan, Q2, out, [inbox])
    assert [f.outcome for f in rerun.files] == ["duplicate"] * 2 + ["accepted"] * 3
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(FIVE)
    assert len(dump(out, plan)["task_values"]) == sum(len(plan.tasks_for(d)) for d in FIVE)


def test_two_merges_at_once_never_duplicate_rows(tmp_path, plan):
    # SQLite only: one writer at a time (merge.lock); merges side by side on PostgreSQL are test_pg_store's
    inbox, out = five_returns(tmp_path / "in"), tmp_path / "out"
    script = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import time
import toolkit.intake.readers as R
from tests.merge_helpers import fake_read
R._read = lambda *a, **k: (time.sleep(0.1), fake_read(*a, **k))[1]  # widen the overlap; asserts don't rely on it
from toolkit.cli import main
main(["merge", "--plan", {str(plan.source)!r}, "-q", "2019Q2", "--out", {str(out)!r}, "--json", {str(inbox)!r}])
"""
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.returncode, *streams) for p in procs for streams in [p.communicate()]]
    outcomes = []
    for code, stdout, stderr in results:
        if code == 2:  # gave up waiting: allowed, with the clear message
            assert "错误：另一个合并正在使用数据库（" in stderr
        else:
            assert code == 0, stderr
            outcomes.append(sorted(f["outcome"] for f in json.loads(stdout)["files"]))
    assert ["accepted"] * 5 in outcomes
    assert outcomes in ([["accepted"] * 5], [["accepted"] * 5, ["duplicate"] * 5],
                        [["duplicate"] * 5, ["accepted"] * 5])
    data = dump(out, plan)
    assert len(data["submissions"]) == 5
    assert len(data["task_values"]) == sum(len(plan.tasks_for(d)) for d in FIVE)


# -- the commands -------------------------------------------------------------------

def run(args, tmp_path, plan_path):
    return CliRunner().invoke(main, [*args[:1], "--plan", str(plan_path), "--out", str(tmp_path / "out"),
                                     *args[1:]])


def test_cli_merge_json_equals_library_and_exit_codes(tmp_path, plan_path, plan, each_store):
    inbox = five_returns(tmp_path / "in")
    ok = run(["merge", "-q", "2019Q2", "--json", str(inbox)], tmp_path, plan_path)
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout)
    assert set(data) >= {"files", "missing", "late"}
    assert data["files"][0] == {**data["files"][0], "path": "0_市教育局.xlsx", "department": "市教育局",
                                "outcome": "accepted", "problems": []}
    again = merge(plan, Q2, tmp_path / "out", [inbox])
    assert data["missing"] == again.missing and data["late"] == again.late
    write(inbox / "bad.xlsx", fake_return("市公安局", errors=["坏"]), ON_TIME)
    bad = run(["merge", "-q", "2019Q2", str(inbox)], tmp_path, plan_path)
    assert bad.exit_code == 1
    assert "[错误] bad.xlsx 进展填报!G5：坏" in bad.stdout
    assert "2019年第二季度：共处理 6 个文件（重复，未重复计入 5，拒收 1）。" in bad.stdout


@pytest.mark.parametrize("args, message", [
    (["merge", "-q", "2019Q2"], "错误：请指定要合并的文件或文件夹。例如：plankit merge -q 2019Q2 收件箱/\n"),
    (["merge", "x.xlsx"], "错误：请用 --quarter 指定季度。例如：plankit merge -q 2019Q2 收件箱/\n"),
    (["merge", "-q", "2020Q2", "x.xlsx"], "错误：季度“2020Q2”不属于本计划的年度（2019年）。"
     "请写成 2019Q2 或只写 Q2。\n"),
    (["merge", "-q", "2019Q2", "--prefer", "abcdef"],
     "错误：在2019Q2已合并的文件中找不到“abcdef”。请用 plankit status 查看各版本的文件名和编号（至少6位）。\n"),
])
def test_cli_merge_usage_errors(tmp_path, plan_path, args, message, each_store):
    result = run(args, tmp_path, plan_path)
    assert (result.exit_code, result.stderr) == (2, message)


def test_cli_merge_receipt_lists_attachments_under_their_own_names(tmp_path, plan_path, each_store):
    eml = write(tmp_path / "mail.eml", bytes(make_email([("市教育局_填报表.xlsx", fake_return("市教育局")),
                                                           ("说明.pdf", b"%PDF")])))
    result = run(["merge", "-q", "Q2", str(eml)], tmp_path, plan_path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["文件", "部门", "结果", "问题"]
    assert lines[1].split() == ["市教育局_填报表.xlsx", "市教育局", "已合并", "无"]
    assert lines[2].split()[:3] == ["说明.pdf", "—", "跳过"]


def test_cli_status_text_and_json(tmp_path, plan_path, plan, each_store):
    out = tmp_path / "out"
    empty = run(["status", "-q", "2019Q2", "--json"], tmp_path, plan_path)
    assert empty.exit_code == 0 and json.loads(empty.stdout)["missing"] == plan.department_names()
    merge(plan, Q2, out, [write(tmp_path / "a.xlsx", fake_return("市教育局", percent=40), ON_TIME),
                     write(tmp_path / "b.xlsx", fake_return("市教育局", percent=70), LATE),
                     write(tmp_path / "c.xlsx", fake_return("市财政局", errors=["坏"]), ON_TIME),
                     write(tmp_path / "d.xlsx", fake_return("市卫健委"), ON_TIME)])
    result = run(["status", "-q", "2019Q2", "--json"], tmp_path, plan_path)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["expected"] == plan.department_names()
    assert data["returned"] == ["市教育局", "市卫健委"]
    assert data["late"] == ["市教育局"] and data["rejected"] == ["市财政局"]
    assert "市财政局" in data["missing"] and "市教育局" not in data["missing"]
    task1 = next(t for t in data["tasks"] if t["task_no"] == 1)
    assert {(e["department"], e["percent"]) for e in task1["entries"]} == {("市教育局", 70.0)}
    text = run(["status", "-q", "2019Q2"], tmp_path, plan_path).stdout
    n = len(plan.department_names())
    assert f"应报 {n} 个单位：已报 2 个（按时 1，迟报 1），未报 {n - 2} 个，待处理的拒收文件 1 个。" in text
    assert "  c.xlsx（市财政局）：进展填报!G5：坏" in text
    assert "← 采用" in text


# -- with the real reader and generated workbooks ----------------------------------

def test_real_workbooks_by_mail_and_folder_merge_and_rebuild(tmp_path, plan, each_store):
    pytest.importorskip("toolkit.intake.returnfile")
    from tests.sheets_helpers import fill_return
    from toolkit.fillin import layout as L
    from toolkit.fillin.generate import generate_sheets
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    sheets = {g.department: g.path for g in generate_sheets(plan, Q2, out, ["市教育局", "市财政局", "市卫健委"])}
    first = fill_return(sheets["市教育局"], fill_all=True, tasks={1: {L.P_PERCENT: 40}}, out=inbox / "jy1.xlsx")
    os.utime(first, (ON_TIME.timestamp(), ON_TIME.timestamp()))
    fill_return(sheets["市教育局"], fill_all=True, tasks={1: {L.P_PERCENT: 65}}, out=tmp_path / "jy2.xlsx")
    mail = make_email([("../市教育局_更正.xlsx", (tmp_path / "jy2.xlsx").read_bytes())], date=LATE)
    write(inbox / "更正.eml", bytes(mail))
    fill_return(sheets["市财政局"], fill_all=True, tasks={1: {L.P_PERCENT: "很多"}}, out=inbox / "cz.xlsx")
    wj = fill_return(sheets["市卫健委"], fill_all=True, out=tmp_path / "wj.xlsx")
    write(inbox / "卫健委.msg", make_msg([("市卫健委.xlsx", wj.read_bytes())], sender="wjw@example.cn"))
    result = merge(plan, Q2, out, [inbox])
    got = {f.path: (f.department, f.outcome) for f in result.files}
    # jy1 was accepted, then replaced in the same run by the later correction: the receipt says so.
    assert got == {"jy1.xlsx": ("市教育局", "superseded"), "市教育局_更正.xlsx": ("市教育局", "accepted"),
                   "cz.xlsx": ("市财政局", "rejected"), "市卫健委.xlsx": ("市卫健委", "accepted")}
    assert any(p.severity == "error" for p in result.files[0].problems)  # cz.xlsx, sorted first
    qr = load_quarter(plan, Q2, out)
    r = qr.returns["市教育局"]
    assert (r.filename, r.versions, r.on_time, r.sender) == ("市教育局_更正.xlsx",
                                                             2, False, "市教育局 <jyj@example.cn>")
    assert next(e.percent for e in r.tasks if e.task_no == 1) == 65
    assert qr.missing == [d for d in plan.department_names() if d not in ("市教育局", "市卫健委")]
    assert (qr.returns["市卫健委"].sender, qr.returns["市卫健委"].on_time) == ("wjw@example.cn", True)
    assert [x.department for x in qr.rejections] == ["市财政局"]
    assert [f.outcome for f in merge(plan, Q2, out, [inbox]).files] == ["rejected", "duplicate", "duplicate",
                                                                          "duplicate"]
    before = dump(out, plan)
    rebuild(plan, out)
    assert dump(out, plan) == before


def test_rebuild_without_journal_uses_the_archive_index(tmp_path, plan, each_store):
    out = tmp_path / "out"
    inbox = five_returns(tmp_path / "in")
    write(inbox / "v2.xlsx", fake_return("市教育局", percent=99), LATE)
    write(inbox / "m.eml", bytes(make_email([("x.xlsx", fake_return("市水利局"))])))
    merge(plan, Q2, out, [inbox])
    before = dump(out, plan)
    lose_journal(out, plan)
    assert rebuild(plan, out) == {"2019Q2": 7}
    assert dump(out, plan) == before


def test_rebuild_reads_the_per_file_sidecars_of_an_older_store(tmp_path, plan):
    """Stores written before the archive index kept provenance in `<sha256>.json` files."""
    # SQLite only: the archive folder of stores older than the server store
    out = tmp_path / "out"
    inbox = five_returns(tmp_path / "in")
    merge(plan, Q2, out, [inbox])
    before = dump(out, plan)
    archive = store_dir(plan, out) / "archive"
    for line in (archive / "received.jsonl").read_text(encoding="utf-8").splitlines():
        meta = json.loads(line)
        (archive / f"{meta['sha256']}.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    (archive / "received.jsonl").unlink()
    (archive / "journal.jsonl").unlink()
    assert rebuild(plan, out) == {"2019Q2": 5}
    assert dump(out, plan) == before


def test_rebuild_with_an_empty_archive_changes_nothing(tmp_path, plan_path, plan, each_store):
    result = run(["merge", "--rebuild"], tmp_path, plan_path)
    archive = tmp_path / "out" / "lianyungang-2019" / "store" / "archive"
    where = archive if each_store is None else each_store.split("://", 1)[1]
    assert (result.exit_code, result.stderr) == (2, f"错误：归档 {where} 中没有可用于重建的文件，数据库未改动。\n")
    assert dump(tmp_path / "out", plan)["submissions"] == []
    if each_store is None:  # the folder holds nothing but the (empty) archive and the lock
        assert sorted(p.name for p in archive.parent.iterdir()) == ["archive", "merge.lock"]


def test_cli_status_lists_versions_and_changes_of_one_department(tmp_path, plan_path, plan, each_store):
    merge(plan, Q2, tmp_path / "out", [write(tmp_path / "a.xlsx", fake_return("市教育局", percent=40), ON_TIME),
                     write(tmp_path / "b.xlsx", fake_return("市教育局", percent=70), LATE)])
    result = run(["status", "-q", "2019Q2", "-d", "市教育局"], tmp_path, plan_path)
    assert result.exit_code == 0
    text = result.stdout.split("市教育局 的报送版本（共 2 个）：\n")[1]
    lines = text.splitlines()
    assert lines[0].startswith("  1. 编号 ") and lines[0].endswith("  2019-07-05 09:30  a.xlsx")
    assert lines[1].endswith("  2019-07-20 16:00  b.xlsx  ← 采用")
    n = len(plan.tasks_for("市教育局"))
    assert lines[2] == f"     与上一版相比：{n} 处变化"
    assert lines[3] == "       任务1 完成进度(%)：40 → 70（进展填报!G5）"
    data = json.loads(run(["status", "-q", "2019Q2", "-d", "市教育局", "--json"], tmp_path, plan_path).stdout)
    assert [len(v["changes"]) for v in data["versions"]] == [0, n]
    bad = run(["status", "-q", "2019Q2", "-d", "教育局"], tmp_path, plan_path)
    assert (bad.exit_code, bad.stderr) == (2, "错误：计划中没有单位“教育局”。"
                                           "请按计划主表“任务”表中的写法填写单位名称。\n")


def test_report_open_in_excel_keeps_old_report_and_still_merges(tmp_path, plan, monkeypatch, each_store):
    import toolkit.fileio.safeio
    out = tmp_path / "out"
    first = merge(plan, Q2, out, [write(tmp_path / "a.xlsx", fake_return("市教育局"), ON_TIME)])
    old_report = first.report_path.read_bytes()
    real_replace = os.replace

    def locked(src, dst):
        if str(dst).endswith("汇总收件报告.xlsx"):
            raise PermissionError(13, "in use")
        return real_replace(src, dst)

    monkeypatch.setattr(toolkit.fileio.safeio.os, "replace", locked)
    second = merge(plan, Q2, out, [write(tmp_path / "b.xlsx", fake_return("市财政局"), ON_TIME)])
    assert [f.outcome for f in second.files] == ["accepted"] and second.ok
    assert second.report_path is None
    assert second.notes[0].startswith(f"无法覆盖 {first.report_path}（文件可能正在Excel/WPS中打开）")
    assert first.report_path.read_bytes() == old_report
    assert "市财政局" in load_quarter(plan, Q2, out).returns


def test_two_same_named_attachments_are_both_kept(tmp_path, plan, each_store):
    a, b = fake_return("市教育局"), fake_return("市财政局")
    eml = write(tmp_path / "two.eml", bytes(make_email([("填报表.xlsx", a), ("填报表.xlsx", b)])))
    result = merge(plan, Q2, tmp_path / "out", [eml])
    assert [(f.path, f.department, f.outcome) for f in result.files] == [
        ("填报表.xlsx", "市教育局", "accepted"), ("填报表.xlsx", "市财政局", "accepted")]
    files = archived(tmp_path / "out", plan)
    assert a in files.values() and b in files.values()


def test_real_value_typed_far_from_the_table_rejects_that_file_only(tmp_path, plan):
    """calamine would abort the whole process on XFD1048576; the merge must carry on."""
    from tests import returnfile_helpers as H
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    sheets = {g.department: g.path for g in generate_sheets(plan, Q2, out, ["市教育局", "市财政局"])}
    fill_return(sheets["市教育局"], fill_all=True, out=inbox / "jy.xlsx")
    H.far_cell(fill_return(sheets["市财政局"], fill_all=True, out=tmp_path / "cz.xlsx"), inbox / "cz.xlsx",
               "XFD1048576")
    result = merge(plan, Q2, out, [inbox])
    got = {f.path: f.outcome for f in result.files}
    assert got == {"cz.xlsx": "rejected", "jy.xlsx": "accepted"}, [str(p) for f in result.files for p in f.problems]
    problem = result.files[0].problems[0]
    assert problem.message.startswith("工作表中有远离表格的内容（sheet2.xml 的第1048576行")


@pytest.mark.parametrize("parallel_min", [1, 32])  # two reader processes, then one (a small merge)
def test_real_reader_process_that_dies_rejects_only_the_file_it_died_on(tmp_path, plan, monkeypatch, parallel_min):
    """A native crash (abort, segfault) cannot be caught: the process is gone. The merge reads
    that process's files again one process each and rejects only the file that kills it again."""
    # one store: the reader processes are the same for both (and the lost database is SQLite's)
    if not sys.platform.startswith("linux"):
        pytest.skip("the stand-in crash reaches the readers through fork")
    import toolkit.intake.readers as R
    import toolkit.intake.returnfile as RF
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    depts = ["市教育局", "市财政局", "市卫健委", "市民政局"]
    for n, g in enumerate(generate_sheets(plan, Q2, out, depts)):
        fill_return(g.path, fill_all=True, out=inbox / ("崩溃.xlsx" if n == 1 else f"{n}.xlsx"))
    original = RF.read_return

    def crashing(path, plan, quarter=None, **kw):
        if kw.get("display_name") == "崩溃.xlsx":
            os._exit(134)  # as an abort in native code would: no exception, no cleanup
        return original(path, plan, quarter, **kw)
    monkeypatch.setattr(RF, "read_return", crashing)  # inherited by the forked readers
    monkeypatch.setattr(R, "PARALLEL_MIN", parallel_min)
    result = merge(plan, Q2, out, [inbox])  # were the file read in this process, pytest would die here
    got = {f.path: f.outcome for f in result.files}
    assert got == {"0.xlsx": "accepted", "崩溃.xlsx": "rejected", "2.xlsx": "accepted", "3.xlsx": "accepted"}
    crashed = next(f for f in result.files if f.path == "崩溃.xlsx")
    assert [p.code for p in crashed.problems] == ["merge-reader-crashed"]
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(d for n, d in enumerate(depts) if n != 1)
    # a rebuild re-reads the archive the same way: the crashing file is rejected again, the rest kept
    (store_dir(plan, out) / "plankit.sqlite").write_bytes(b"lost")
    assert rebuild(plan, out) == {"2019Q2": 4}
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(d for n, d in enumerate(depts) if n != 1)


def test_real_large_returns_pass_to_the_reader_processes_without_blocking(tmp_path, plan, monkeypatch):
    """Each reader process is handed its next file while it reads one: files far larger than a
    pipe's buffer (a picture pasted into the sheet) must neither block the merge nor be cut."""
    import zipfile

    import toolkit.intake.readers as R
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    depts = ["市教育局", "市财政局", "市卫健委", "市民政局"]
    for n, g in enumerate(generate_sheets(plan, Q2, out, depts)):
        target = fill_return(g.path, fill_all=True, out=inbox / f"{n}.xlsx")
        with zipfile.ZipFile(target, "a") as zf:  # 2 MB that does not compress
            zf.writestr("xl/media/image1.bin", os.urandom(2 * 1024 * 1024), zipfile.ZIP_STORED)
    monkeypatch.setattr(R, "PARALLEL_MIN", 1)  # two reader processes, each holding two files
    result = merge(plan, Q2, out, [inbox])
    assert [f.outcome for f in result.files] == ["accepted"] * 4, [str(p) for f in result.files for p in f.problems]
    assert sorted(load_quarter(plan, Q2, out).returns) == sorted(depts)


def test_real_reader_process_found_dead_while_idle_is_replaced(plan):
    """A reader that died between two files (killed, out of memory) is found when handed the
    next one: that file goes to the other or to a new process, and nothing is rejected."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the stand-in death uses POSIX signals")
    from types import SimpleNamespace

    import toolkit.intake.readers as R
    merger = SimpleNamespace(plan=plan, quarter=Q2, previous=lambda: None)
    readers = R.Readers(merger, R.PARALLEL_MIN)

    def job(n):
        return SimpleNamespace(path=Path(f"{n}.xlsx"), sub=SimpleNamespace(filename=f"{n}.xlsx"),
                               data=b"not a workbook", read=None, crashed=False)
    try:
        first = job(0)
        readers.submit(first)
        assert [p.code for p in readers.result(first)] == ["file-not-spreadsheet"]
        dead = readers.procs[0].proc
        os.kill(dead.pid, signal.SIGKILL)
        dead.join(5)
        later = [job(n) for n in range(1, 6)]
        for j in later:
            readers.submit(j)
        assert [[p.code for p in readers.result(j)] for j in later] == [["file-not-spreadsheet"]] * 5
        assert not any(j.crashed for j in later) and len(readers.procs) == readers.count and dead not in [
            p.proc for p in readers.procs]
    finally:
        readers.close()


def test_real_reader_process_ignores_ctrl_c(plan):
    """Ctrl+C reaches every process of the console; the merge stops its readers itself, so a
    reader must neither die on it nor print a traceback of its own."""
    if not sys.platform.startswith("linux"):
        pytest.skip("signals to one process: POSIX")
    import multiprocessing
    from types import SimpleNamespace

    import toolkit.intake.readers as R
    proc = R._Process(multiprocessing.get_context("fork"), (plan, Q2, None))
    try:
        job = SimpleNamespace(path=Path("x.xlsx"), sub=SimpleNamespace(filename="x.xlsx"), data=b"not a workbook")
        for _ in range(2):  # the first answer shows the reader is serving; then Ctrl+C; then again
            proc.send(job)
            assert [p.code for p in proc.conn.recv()] == ["file-not-spreadsheet"]
            proc.jobs.clear()
            os.kill(proc.proc.pid, signal.SIGINT)
        assert proc.proc.is_alive()
    finally:
        proc.stop()
    assert proc.proc.exitcode == 0


def test_real_return_sent_from_outlook_as_winmail_dat_is_merged(tmp_path, plan):
    from tests.merge_helpers import make_tnef
    from tests.sheets_helpers import fill_return
    from toolkit.fillin.generate import generate_sheets
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    [g] = generate_sheets(plan, Q2, out, ["市教育局"])
    data = fill_return(g.path, fill_all=True, out=tmp_path / "jy.xlsx").read_bytes()
    mail = make_email([("winmail.dat", make_tnef([(g.path.name, data)]))], date=ON_TIME)
    write(inbox / "outlook.eml", bytes(mail))
    result = merge(plan, Q2, out, [inbox])
    [f] = result.files
    assert (f.path, f.department, f.outcome, f.sender) == (g.path.name, "市教育局", "accepted",
                                                           "市教育局 <jyj@example.cn>")
    assert f.origin.endswith(f"outlook.eml › winmail.dat › {g.path.name}")
    assert load_quarter(plan, Q2, out).returns["市教育局"].on_time


@pytest.mark.parametrize("error, says", [
    ("database or disk is full", "错误：磁盘空间不足，数据库未能写完。"
     "已完成的部分完整保留，请清理磁盘后重新运行同一命令。\n"),
    ("attempt to write a readonly database", "错误：数据库文件只读，无法写入。"
     "请检查 out 文件夹的权限，或用 --out 指定其他目录后重新运行。\n"),
    ("database disk image is malformed", "错误：数据库文件已损坏。原件都在归档中："
     "请运行 plankit merge --rebuild 从归档重建数据库。\n"),
])
def test_cli_merge_when_the_database_cannot_be_written_says_so_without_a_traceback(
        tmp_path, plan_path, plan, monkeypatch, error, says):
    # SQLite only: SQLite's own errors (a server's are test_pg_store's)
    import toolkit.store.db as S
    inbox = five_returns(tmp_path / "in")
    use_fake_reader(monkeypatch)

    def fail(self, sub):
        raise sqlite3.OperationalError(error)
    monkeypatch.setattr(S.Store, "record", fail)
    result = run(["merge", "-q", "2019Q2", str(inbox)], tmp_path, plan_path)
    assert (result.exit_code, result.stderr) == (2, says)
    monkeypatch.undo()
    use_fake_reader(monkeypatch)
    again = run(["merge", "-q", "2019Q2", str(inbox)], tmp_path, plan_path)  # nothing half-written
    assert again.exit_code == 0 and len(dump(tmp_path / "out", plan)["submissions"]) == 5


def test_cli_merge_on_a_full_disk_says_so_without_a_traceback(tmp_path, plan_path, plan, monkeypatch, each_store):
    import errno
    import tempfile

    def full(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    inbox = five_returns(tmp_path / "in")
    monkeypatch.setattr(tempfile, "mkstemp", full)
    result = run(["merge", "-q", "2019Q2", str(inbox)], tmp_path, plan_path)
    says = "错误：磁盘空间不足，文件未能写完。已完成的部分完整保留，请清理磁盘后重新运行同一命令。\n"
    if each_store is None:  # the first file's archive copy could not be written: nothing is recorded
        assert (result.exit_code, result.stderr, dump(tmp_path / "out", plan)["submissions"]) == (2, says, [])
    else:  # the files and their archive copies are on the server; the receipt on this disk could not be written
        assert (result.exit_code, result.stderr) == (2, "合并中\n" + says)
        assert len(dump(tmp_path / "out", plan)["submissions"]) == 5
    monkeypatch.undo()
    use_fake_reader(monkeypatch)
    again = run(["merge", "-q", "2019Q2", str(inbox)], tmp_path, plan_path)
    assert again.exit_code == 0 and len(dump(tmp_path / "out", plan)["submissions"]) == 5


def _report_frozen(conn) -> None:
    import gc
    conn.send(gc.get_freeze_count())
    conn.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reader processes are forked on Linux only")
def test_a_forked_reader_inherits_the_plan_frozen_and_the_merge_does_not_keep_it_frozen():
    # issue 17c: a reader's garbage collections never walk (nor copy) the plan it inherits
    import gc
    import multiprocessing
    from toolkit.intake.readers import _start
    plan_like = [{"row": i} for i in range(1000)]  # tracked objects alive in the merge at fork time
    ctx = multiprocessing.get_context("fork")
    conn, child_end = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_report_frozen, args=(child_end,))
    _start(proc, True)
    child_end.close()
    assert conn.recv() >= len(plan_like)
    proc.join(10)
    assert gc.get_freeze_count() == 0
