"""Issue 19, second pass: what the first pass left (item 7 without a kept plan copy, rebuild
crash isolation, portable reader shutdown, mail on a full disk, the mailbox receipt window)
and the cases of the second hostile pass that failed."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests.merge_helpers import running
from tests import returnfile_helpers as H
from tests.sheets_helpers import fill_return
from toolkit.intake.merge import merge
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter

Q2 = Quarter(2019, 2)
FIXTURES = Path(__file__).parent / "fixtures" / "hostile"


# -- item 7: a plan corrected after sheets went out, with no copy of the old version kept -----------

def _corrected(plan):
    """The plan with one word of 市住建局's first task changed and one of its indicators renamed."""
    task = plan.tasks_for(H.DEPT)[0][0]
    fixed = dataclasses.replace(task, name=task.name.replace("改造", "改建", 1) if "改造" in task.name
                                else task.name + "等")
    ind = plan.indicators_for(H.DEPT)[0]
    renamed = dataclasses.replace(ind, name=ind.name + "（含续建）")
    corrected = dataclasses.replace(
        plan, tasks=[fixed if t is task else t for t in plan.tasks],
        indicators=[renamed if i is ind else i for i in plan.indicators], _fingerprint="", _units=())
    assert corrected.fingerprint != plan.fingerprint
    return corrected, task, fixed, ind, renamed


def _sheets_without_kept_copy(plan, tmp_path: Path, dept: str = H.DEPT) -> tuple[Path, Path]:
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / "out"
    [sheet] = generate_sheets(plan, Q2, out, departments=[dept])
    shutil.rmtree(store_dir(plan, out) / "plans")  # sheets sent out before plan copies were kept
    return out, sheet.path


def test_real_old_plan_return_without_kept_copy_is_accepted_naming_each_change(tmp_path, plan):
    out, sheet = _sheets_without_kept_copy(plan, tmp_path)
    inbox = tmp_path / "in"
    inbox.mkdir()
    fill_return(sheet, fill_all=True, out=inbox / "r.xlsx")
    corrected, task, fixed, ind, renamed = _corrected(plan)
    result = merge(corrected, Q2, out, [inbox])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-plan-changed"]
    assert f"任务{task.no}的名称：“{task.name}” → “{fixed.name}”"[:30] in note.message
    assert f"任务{ind.task_no}的指标名称：“{ind.name}” → “{renamed.name}”" in note.message
    assert "plankit sheets 重新生成" in note.message
    qr = load_quarter(corrected, Q2, out)
    entry = qr.indicator_value(renamed.task_no, renamed.name, H.DEPT)
    assert entry is not None and entry.value is not None
    assert {t.task_no for t in qr.returns[H.DEPT].tasks} >= {task.no}


def test_real_old_plan_return_with_the_plan_text_edited_by_the_department_is_still_refused(tmp_path, plan):
    out, sheet = _sheets_without_kept_copy(plan, tmp_path)
    corrected, task, *_ = _corrected(plan)

    def unprotect_and_edit(wb):
        ws = wb["进展填报"]
        ws.protection.sheet = False
        ws.cell(H.row_of(ws, f"T{task.no}"), H.col_of(ws, "目标任务")).value = "改过的目标"
    edited = H.edit(sheet, tmp_path / "e.xlsx", unprotect_and_edit)
    (tmp_path / "in").mkdir()
    result = merge(corrected, Q2, out, [fill_return(edited, fill_all=True, out=tmp_path / "in" / "e.xlsx")])
    assert result.files[0].outcome != "accepted"
    assert "return-old-plan" in [p.code for p in result.files[0].errors]


def test_real_old_plan_return_of_a_department_the_correction_does_not_touch_is_accepted(tmp_path, plan):
    other = "市教育局"
    out, sheet = _sheets_without_kept_copy(plan, tmp_path, other)
    corrected, *_ = _corrected(plan)
    (tmp_path / "in").mkdir()
    result = merge(corrected, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    assert not [p for p in f.problems if p.code in ("return-plan-changed", "return-old-plan")]


def test_real_old_plan_return_is_accepted_when_other_parts_of_the_plan_changed_too(tmp_path, plan):
    """The fingerprint no longer proves the file shows the old version (another department's task
    changed as well), but the sheets are still protected: the differences can only be the plan's."""
    out, sheet = _sheets_without_kept_copy(plan, tmp_path)
    corrected, task, *_ = _corrected(plan)
    other = next(t for t in corrected.tasks if H.DEPT not in t.units)
    corrected = dataclasses.replace(corrected, tasks=[dataclasses.replace(t, target=t.target + "。") if t is other
                                                      else t for t in corrected.tasks], _fingerprint="", _units=())
    (tmp_path / "in").mkdir()
    result = merge(corrected, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    assert f"任务{task.no}的名称" in [p for p in f.problems if p.code == "return-plan-changed"][0].message


# -- item 1: a rebuild from the archive alone reads in reader processes --------------------------

def test_real_rebuild_from_the_archive_alone_names_a_file_that_crashes_the_reader(tmp_path, plan, monkeypatch):
    """Both logs and the database gone: every archived return is identified by its own content,
    in a reader process, so a file that kills the reader (a native crash) is named and the
    rebuild goes on with the rest."""
    import hashlib
    import os
    import sys

    import toolkit.intake.returnfile as RF
    from click.testing import CliRunner

    from toolkit.cli import main
    from toolkit.fillin.generate import generate_sheets
    if not sys.platform.startswith("linux"):
        pytest.skip("the stand-in crash reaches the readers through fork")
    out, inbox = tmp_path / "out", tmp_path / "in"
    inbox.mkdir()
    depts = ["市教育局", "市财政局", "市卫健委"]
    for n, g in enumerate(generate_sheets(plan, Q2, out, depts)):
        fill_return(g.path, fill_all=True, out=inbox / f"{n}.xlsx")
    assert all(f.outcome == "accepted" for f in merge(plan, Q2, out, [inbox]).files)
    bad = hashlib.sha256((inbox / "1.xlsx").read_bytes()).hexdigest()
    root = store_dir(plan, out)
    for gone in (root / "archive" / "journal.jsonl", root / "archive" / "received.jsonl", root / "plankit.sqlite"):
        gone.unlink()
    original = RF.read_return

    def crashing(path, plan, quarter=None, **kw):
        if kw.get("display_name", "").startswith(bad):
            os._exit(134)  # as an abort in native code would: no exception, no cleanup
        return original(path, plan, quarter, **kw)
    monkeypatch.setattr(RF, "read_return", crashing)  # inherited by the forked readers
    # were the file identified in this process, pytest itself would die here
    result = CliRunner().invoke(main, ["merge", "--rebuild", "--plan", str(plan.source), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "共重新读取 2 个文件" in result.stdout
    assert f"{bad}.xlsx（读取此文件时读取程序异常退出，不知属于哪个季度）" in result.stderr
    assert sorted(load_quarter(plan, Q2, out).returns) == ["市卫健委", "市教育局"]


# -- item 11 off Linux: a reader busy with a large file dies with its merge without prctl ---------

def test_real_a_busy_reader_dies_with_a_killed_merge_without_prctl(tmp_path, plan):
    """What a reader does where there is no PR_SET_PDEATHSIG (macOS, BSD; Windows relies on the
    job pipe): prctl is switched off, the merge is killed with -9 while both readers are in the
    middle of a long read, and both readers must be gone within seconds, not after the file."""
    import os
    import signal
    import subprocess
    import sys
    import time
    if not sys.platform.startswith("linux"):
        pytest.skip("fork and /proc: Linux (the code path tested is the portable one)")
    started = tmp_path / "started"
    script = f"""
import sys, time, multiprocessing, types
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from pathlib import Path
import toolkit.intake.readers as R
import toolkit.intake.returnfile as RF
from toolkit.plan.workbook import load_plan
from toolkit.quarter import Quarter
R._set_pdeathsig = lambda: None  # as on a system without prctl
R.WATCH_SECONDS = 0.1

def busy(path, plan, quarter=None, **kw):  # a large file: minutes of reading
    with open({str(started)!r}, "a") as f:
        f.write("x")
    end = time.time() + 600
    while time.time() < end:
        sum(range(1000))
RF.read_return = busy
procs = [R._Process(multiprocessing.get_context("fork"), (load_plan({str(plan.source)!r}), Quarter(2019, 2), None))
         for _ in range(2)]
for n, p in enumerate(procs):
    p.send(types.SimpleNamespace(path=Path("big.xlsx"), sub=types.SimpleNamespace(filename=f"big{{n}}.xlsx"),
                                 data=b"x" * 1000))
print(*[p.proc.pid for p in procs], flush=True)
time.sleep(600)
"""
    merge_proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    readers = [int(pid) for pid in merge_proc.stdout.readline().split()]
    try:
        for _ in range(300):  # both readers are inside their long read
            if started.exists() and len(started.read_text()) == 2:
                break
            time.sleep(0.1)
        assert started.read_text() == "xx"
        merge_proc.kill()
        merge_proc.wait()
        for _ in range(100):  # a 0.1 s watchdog; allow a loaded machine 10 s
            if not any(running(pid) for pid in readers):
                break
            time.sleep(0.1)
        assert not any(running(pid) for pid in readers)
    finally:
        merge_proc.kill()
        merge_proc.stdout.close()
        for pid in readers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)




# -- item 12: nits and mail on a full disk ----------------------------------------------------

NO_SPACE = "错误：磁盘空间不足，文件未能写完。已完成的部分完整保留，请清理磁盘后重新运行同一命令。\n"


def _disk_full_after(monkeypatch, good: int) -> None:
    """xlsxwriter's Workbook.close raises FileCreateError(ENOSPC) (not an OSError) after `good`
    workbooks: the same stand-in as tests/test_hardening.py's full-disk tests."""
    import errno

    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError
    real, calls = xlsxwriter.Workbook.close, []

    def close(self):
        calls.append(1)
        if len(calls) > good:
            raise FileCreateError(OSError(errno.ENOSPC, "No space left on device"))
        return real(self)
    monkeypatch.setattr(xlsxwriter.Workbook, "close", close)


def test_sheets_cut_short_by_a_full_disk_says_how_far_it_got(tmp_path, plan, monkeypatch):
    from click.testing import CliRunner

    from toolkit.cli import main
    _disk_full_after(monkeypatch, 2)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sheets", "-q", "2019Q2", "--plan", str(plan.source), "--out", str(out)])
    assert result.exit_code == 2, result.output
    total = len(plan.department_names())
    assert result.stderr.endswith(f"生成填报表：写完 2 个（共 {total} 个）后中断，本次的填报表都未放入sheets 文件夹"
                                  "（原有的不变）。\n" + NO_SPACE), result.stderr
    assert list(out.rglob("*.xlsx")) == []  # staged: none moved into place, nothing half-written


def test_mail_on_a_full_disk_is_a_clear_message_and_leaves_no_half_written_draft(tmp_path, plan, monkeypatch):
    import errno

    from click.testing import CliRunner

    from toolkit.cli import main
    out = tmp_path / "out"
    real, written = Path.write_bytes, []

    def write_bytes(self, data):
        if self.name.startswith(".~plankit-") and self.suffix == ".eml":
            written.append(self)
            if len(written) > 1:
                real(self, data[: len(data) // 2])  # the disk fills in the middle of the second draft
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, data)
    monkeypatch.setattr(Path, "write_bytes", write_bytes)
    result = CliRunner().invoke(main, ["mail", "-q", "2019Q2", "--plan", str(plan.source), "--out", str(out),
                                       "--dept", "市教育局", "--dept", "市财政局"])
    assert result.exit_code == 2 and result.stderr.endswith(NO_SPACE), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    drafts = sorted(p.name for p in out.rglob("*.eml"))
    assert drafts == ["市教育局.eml"]  # the first whole; no half of the second, no temp file
    assert not [p for p in out.rglob(".~plankit-*")]


# -- seen and left: the quarter of a file of another quarter travels as data --------------------

def test_real_a_file_of_another_quarter_carries_its_quarter_as_data(tmp_path, plan):
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / "out"
    [g] = generate_sheets(plan, Quarter(2019, 1), out, departments=[H.DEPT])
    (tmp_path / "in").mkdir()
    result = merge(plan, Q2, out, [fill_return(g.path, fill_all=True, out=tmp_path / "in" / "q1.xlsx")])
    [p] = [p for p in result.files[0].problems if p.code == "return-wrong-quarter"]
    assert p.quarter == "2019Q1" and p.to_dict()["quarter"] == "2019Q1"
    assert "注意：有 1 个文件是其他季度（2019Q1）的填报表，已拒收。" in result.notes[-1]
    assert "quarter" not in result.files[0].problems[0].__class__(code="x", severity="error", message="").to_dict()


# -- seen and left: a receipt accepted by SMTP but not yet logged when the fetch died -------------

@pytest.fixture
def dovecot():
    from tests.imap_helpers import run_dovecot
    yield from run_dovecot()


def test_a_receipt_cut_off_after_smtp_accepted_it_is_sent_once_more_and_said_so(plan, tmp_path, dovecot,
                                                                                smtp_server, monkeypatch):
    """At least once (see mail/fetch.ATTEMPTS): the same bytes and Message-ID again, one more
    time only, and the coordinator is told which receipt may be a duplicate."""
    import email
    import smtplib
    from email import policy

    from tests.imap_helpers import PASSWORD, USER, message
    from toolkit.mail.fetch import fetch
    from toolkit.mail.imap import ImapSettings
    from toolkit.mail.outgoing import SmtpSettings
    controller, handler = smtp_server
    good = H.filled(tmp_path, plan, "教育局二季度.xlsx", dept="市教育局").read_bytes()
    sender = f"市教育局 <{plan.department('市教育局').email}>"
    dovecot.append(message(sender, "教育局", [("教育局.xlsx", good)]))
    imap = ImapSettings("127.0.0.1", dovecot.port, "none", USER, PASSWORD, "INBOX")
    smtp = SmtpSettings("127.0.0.1", controller.port, "none")
    out = tmp_path / "out"
    real = smtplib.SMTP.send_message

    def accepted_then_killed(self, msg, *a, **kw):
        real(self, msg, *a, **kw)
        raise KeyboardInterrupt  # the process dies right after the server said 250
    monkeypatch.setattr(smtplib.SMTP, "send_message", accepted_then_killed)
    with pytest.raises(KeyboardInterrupt):
        fetch(plan, Q2, out, imap, smtp=smtp)
    monkeypatch.setattr(smtplib.SMTP, "send_message", real)
    assert len(handler.envelopes) == 1
    again = fetch(plan, Q2, out, imap, smtp=smtp)
    assert again.answered == 1 and len(handler.envelopes) == 2
    first, second = (email.message_from_bytes(e.content, policy=policy.default) for e in handler.envelopes)
    assert first["Message-ID"] == second["Message-ID"]
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()
    assert [n for n in again.notes if "上次正在发送时程序中断" in n] == [
        f"发往 {plan.department('市教育局').email} 的回执上次正在发送时程序中断，无法确定是否已发出，"
        "本次重发同一封（Message-ID 相同，多数邮箱只显示一封）。"]
    fetch(plan, Q2, out, imap, smtp=smtp)
    assert len(handler.envelopes) == 2  # never a third time


# -- seen and left: the sender-mismatch list is a sheet of the 收件报告 -------------------------------

def test_a_return_from_an_unregistered_address_is_listed_in_both_receipt_workbooks(tmp_path, plan, monkeypatch):
    import openpyxl

    from tests.merge_helpers import ON_TIME, fake_return, raw_email, use_fake_reader, write
    use_fake_reader(monkeypatch)
    dept = "市教育局"
    data = raw_email(b'Content-Disposition: attachment; filename="a.xlsx"', fake_return(dept))
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "in" / "m.eml", data, ON_TIME)])
    registered = plan.department(dept).email
    for path in (result.run_report_path, result.report_path):
        ws = openpyxl.load_workbook(path)["发件人不符"]
        rows = [[c.value for c in r] for r in ws.iter_rows()]
        header = rows.index(["部门", "文件", "发件地址", "登记的邮箱", "收到时间", "结果"])
        assert rows[header + 1][:4] == [dept, "a.xlsx", "jyj@example.cn", registered], rows


# -- second hostile pass: the cases that failed ---------------------------------------------------

def _copy_progress_sheet(src: Path, out: Path, *, copy_name: str, fill_copy: bool) -> Path:
    """Excel 移动或复制→建立副本 of 进展填报, placed first. `fill_copy`: the clerk's answers are in
    the copy and the original is blank again; else the copy is the one with other answers (滞后)."""
    import openpyxl

    def fn(wb):
        ws = wb["进展填报"]
        copy = wb.copy_worksheet(ws)
        copy.title = copy_name
        c = H.col_of(ws, "进展状态")
        target = ws if fill_copy else copy
        for r in range(5, target.max_row + 1):
            if target.cell(r, c).value:
                target.cell(r, c).value = None if fill_copy else "滞后"
        wb.move_sheet(copy, offset=-(len(wb.sheetnames) - 1))
    del openpyxl
    return H.edit(src, out, fn)


@pytest.mark.parametrize("copy_name, fill_copy", [("进展填报 (2)", True), ("进展填报\u3000", False)])
def test_real_a_copied_progress_sheet_with_other_answers_is_rejected_naming_both(tmp_path, plan, copy_name,
                                                                                 fill_copy):
    """Case 13/14 of the second pass: the blank original was read and the filled copy ignored (the
    return stored as not filled in), or a copy named 进展填报 + a full-width space was read instead
    of the real sheet (滞后 stored for every task)."""
    from toolkit.intake.returnfile import read_return
    path = _copy_progress_sheet(H.filled(tmp_path, plan), tmp_path / "copy.xlsx", copy_name=copy_name,
                                fill_copy=fill_copy)
    r = read_return(path, plan, Q2)
    [p] = [p for p in r.errors if p.code == "return-sheet-copies"]
    assert p.message.startswith("工作簿中有2个工作表都是“进展填报”表格且内容不同：")
    assert f"“{copy_name}”" in p.message and "请只保留一个填好的“进展填报”工作表" in p.message
    assert r.tasks == [] and r.indicators == []


def test_real_an_identical_or_empty_sheet_copy_is_harmless(tmp_path, plan):
    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan)

    def fn(wb):
        wb.copy_worksheet(wb["进展填报"]).title = "进展填报 (2)"  # an untouched backup copy
    r = read_return(H.edit(good, tmp_path / "same.xlsx", fn), plan, Q2)
    assert r.ok and "return-sheet-copies" not in [p.code for p in r.problems]


def test_real_a_workbook_with_two_parts_of_one_name_is_rejected(tmp_path, plan):
    """Case 15: a second xl/worksheets/sheetN.xml member. Python's zipfile and calamine read the
    last, Excel and others may read the first: what is stored could differ from what people see."""
    import warnings
    import zipfile

    from toolkit.intake.returnfile import ReturnFileError, read_return
    good = H.filled(tmp_path, plan)
    part = H.sheet_part(good, "指标填报")
    out = tmp_path / "twice.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in zin.infolist():
            z.writestr(info.filename, zin.read(info))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            z.writestr(part, zin.read(part).replace(b"<v>", b"<v>9", 1))
    with pytest.raises(ReturnFileError) as err:
        read_return(out, plan, Q2)
    assert err.value.code == "file-unsafe"
    assert f"压缩包内有两个同名的部件（{part}）" in err.value.message


def test_an_xlsb_renamed_to_xlsx_is_named_as_such(tmp_path, plan):
    from toolkit.intake.returnfile import ReturnFileError, read_return
    out = FIXTURES / "xlsb-renamed.xlsx"  # the parts that make an .xlsb, saved as .xlsx
    with pytest.raises(ReturnFileError) as err:
        read_return(out, plan, Q2)
    assert "这是Excel二进制工作簿（.xlsb）" in err.value.message


def test_zero_width_characters_pasted_into_a_status_or_number_are_ignored():
    """Case 48: 序时推进 + U+200B (pasted from a chat app) was rejected as an invalid status with a
    message showing exactly 序时推进."""
    from toolkit.values import parse_amount, parse_status
    assert parse_status("序时推进\u200b") == "序时推进"
    assert parse_status("\ufeff滞后") == "滞后"
    assert parse_amount("1\u200b2\u2060", "万人")[0] == 12.0


def test_real_no_correction_workbook_is_built_from_a_refused_or_bloated_file(tmp_path, plan, monkeypatch):
    """Case 42: 200,000 cell formats (16 MB of styles.xml) in a return refused for one cell: the
    merge spent 23 s in openpyxl making its 退回修改表. A file refused before it was read (file-*:
    unsafe, damaged, a zip bomb) is never re-opened; one over MAX_EDIT_BYTES of XML gets no 退回修改表."""
    import openpyxl

    from toolkit import problems as P
    from toolkit.intake import correction as C
    good = H.filled(tmp_path, plan).read_bytes()
    cell = P.Problem("return-percent-range", P.ERROR, "超出范围", "r.xlsx", "进展填报", "H5", "5000")
    whole = P.Problem("file-zip-bomb", P.ERROR, "疑似压缩炸弹", "r.xlsx")
    assert C.write_correction(good, "xlsx", [cell], tmp_path / "ok" / "x.xlsx") is not None
    bloated = H.rewrite(H.filled(tmp_path, plan, "b.xlsx"), tmp_path / "bloated.xlsx", {
        "xl/styles.xml": lambda d: d.replace(b"</styleSheet>", b"<!--" + b"x" * C.MAX_EDIT_BYTES + b"--></styleSheet>")})

    def never(*a, **kw):
        raise AssertionError("openpyxl must not open this file")
    monkeypatch.setattr(openpyxl, "load_workbook", never)
    assert C.write_correction(good, "xlsx", [whole], tmp_path / "whole" / "x.xlsx") is None
    assert C.write_correction(bloated.read_bytes(), "xlsx", [cell], tmp_path / "big" / "x.xlsx") is None


def test_two_versions_in_one_mail_say_which_was_used_and_how_to_choose(tmp_path, plan, monkeypatch):
    """Case 31: 更正 and 初稿 attached to one mail (one Date): the later attachment became current
    without a word, whichever the department meant (fixture: fake returns of 市教育局)."""
    from tests.merge_helpers import ON_TIME, use_fake_reader, write
    use_fake_reader(monkeypatch)
    dept = "市教育局"
    data = (FIXTURES / "two-versions-one-mail.eml").read_bytes()
    result = merge(plan, Q2, tmp_path / "out", [write(tmp_path / "in" / "m.eml", data, ON_TIME)])
    outcomes = {f.path: f.outcome for f in result.files}
    assert outcomes == {"更正.xlsx": "superseded", "初稿.xlsx": "accepted"}
    corrected = next(f for f in result.files if f.path == "更正.xlsx")
    assert [n for n in result.notes if "收到时间相同" in n] == [
        f"{dept} 的 2 个不同版本收到时间相同（可能在同一封邮件中）：已按附件顺序采用后一个 初稿.xlsx；"
        f"如应采用 更正.xlsx（编号 {corrected.sha256[:8]}），请用 plankit merge --prefer 编号 指定。"]


def test_real_an_input_under_a_merged_cell_is_said_to_be_merged(tmp_path, plan):
    """Case 7: two 累计完成值 cells merged (Excel keeps only the top-left value): the second was
    reported as a bare “累计完成值”未填写."""
    from toolkit.intake.returnfile import read_return

    def merge_two(wb):
        ws = wb["指标填报"]
        ws.protection.sheet = False
        c = H.col_of(ws, "累计完成值")
        rows = [r for r in range(5, ws.max_row + 1) if ws.cell(r, H.col_of(ws, "行标识")).value]
        ws.merge_cells(start_row=rows[0], start_column=c, end_row=rows[1], end_column=c)
    path = H.edit(H.filled(tmp_path, plan), tmp_path / "merged.xlsx", merge_two)
    r = read_return(path, plan, Q2)
    [p] = [p for p in r.problems if p.code == "return-merged-input"]
    top = int(p.cell[1:]) - 1
    assert p.message == (f"单元格{p.cell}与{p.cell[0]}{top}合并成了一个单元格，{p.cell}没有自己的值（按未填写处理）。"
                         "请取消合并后分别填写。")
    assert "return-missing-input" not in [q.code for q in r.problems if q.cell == p.cell]


def test_real_old_plan_return_missing_a_task_added_later_is_accepted_saying_so(tmp_path, plan):
    """A task given to the department after its sheets went out: the department never saw the
    row, so it is not 计划中的一行被删除了 (which blamed the department)."""
    out, sheet = _sheets_without_kept_copy(plan, tmp_path)
    added = next(t for t in plan.tasks if H.DEPT not in t.units)
    corrected = dataclasses.replace(plan, tasks=[dataclasses.replace(t, cos=t.cos + (H.DEPT,)) if t is added
                                                 else t for t in plan.tasks], _fingerprint="", _units=())
    (tmp_path / "in").mkdir()
    result = merge(corrected, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-plan-changed"]
    assert f"任务{added.no}（" in note.message and "是下发后新增的，本表中没有" in note.message
    assert "return-row-deleted" not in [p.code for p in f.problems]


def test_real_old_plan_return_with_a_task_taken_from_the_department_stays_old_plan(tmp_path, plan):
    out, sheet = _sheets_without_kept_copy(plan, tmp_path)
    task = plan.tasks_for(H.DEPT)[0][0]
    other = next(d for d in plan.department_names() if d not in task.units)
    moved = dataclasses.replace(task, leads=tuple(other if u == H.DEPT else u for u in task.leads))
    corrected = dataclasses.replace(plan, tasks=[moved if t is task else t for t in plan.tasks], _fingerprint="",
                                    _units=())
    (tmp_path / "in").mkdir()
    result = merge(corrected, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    assert "return-old-plan" in [p.code for p in result.files[0].errors]


def test_real_rows_with_swapped_keys_are_not_also_called_harmless(tmp_path, plan):
    """Case 56: two hidden keys swapped gave both 行顺序被调整过（不影响汇总） and the rejection."""
    from toolkit.intake.returnfile import read_return

    def swap(wb):
        ws = wb["指标填报"]
        kc = H.col_of(ws, "行标识")
        rows = [r for r in range(5, ws.max_row + 1) if ws.cell(r, kc).value]
        a, b = ws.cell(rows[0], kc).value, ws.cell(rows[1], kc).value
        ws.cell(rows[0], kc).value, ws.cell(rows[1], kc).value = b, a
    r = read_return(H.edit(H.filled(tmp_path, plan), tmp_path / "swap.xlsx", swap), plan, Q2)
    codes = [p.code for p in r.problems if p.sheet == "指标填报"]
    assert "return-sorted-without-key" in codes and "return-rows-reordered" not in codes


def test_real_a_formula_without_value_is_found_when_cells_carry_no_reference(tmp_path, plan):
    """Case 59: r= is optional on <c>; without it a formula with no saved result read as blank."""
    import re

    from toolkit.intake.returnfile import read_return
    good = H.filled(tmp_path, plan)
    ref = H.cell_of(good, "指标填报", _indicator_keys(good)[0], "累计完成值")
    formula = H.set_cell_xml(good, tmp_path / "f.xlsx", "指标填报", ref, f'<c r="{ref}"><f>1/0+A1</f></c>')
    part = H.sheet_part(good, "指标填报")
    bare = H.rewrite(formula, tmp_path / "bare.xlsx", {part: lambda d: re.sub(rb'(<c) r="[A-Z]+[0-9]+"', rb"\1", d)})
    r = read_return(bare, plan, Q2)
    [p] = [p for p in r.errors if p.code == "return-formula-no-value"]
    assert p.cell == ref


def _indicator_keys(path):
    import openpyxl
    ws = openpyxl.load_workbook(path)["指标填报"]
    kc = H.col_of(ws, "行标识")
    return [ws.cell(r, kc).value for r in range(5, ws.max_row + 1) if ws.cell(r, kc).value]


def test_temp_files_of_a_killed_writer_are_swept_by_the_next_write(tmp_path):
    """Case 36: kill -9 of `report` while it wrote left `.~plankit-….xlsx` beside the report
    (visible on Windows); the next write into the folder removes what a dead process left."""
    import os
    import subprocess
    import sys

    from toolkit.fileio.safeio import atomic_path, temp_prefix
    if sys.platform == "win32":
        pytest.skip("a dead writer is told by its pid on POSIX; Windows waits a day")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    left = tmp_path / f".~plankit-{dead.pid}-abc.xlsx"
    left.write_bytes(b"half")
    staging = tmp_path / f".~plankit-{dead.pid}-staging"
    staging.mkdir()
    (staging / "0.xlsx").write_bytes(b"half")
    mine = tmp_path / f"{temp_prefix()}keep.xlsx"  # this process's own: never touched
    mine.write_bytes(b"mine")
    old = tmp_path / ".~plankit-oldname.xlsx"  # a name without a pid: only once a day old
    old.write_bytes(b"x")
    for p in (left, staging):  # a dead writer's temps are swept after a minute's grace
        os.utime(p, (os.path.getmtime(p) - 120,) * 2)
    with atomic_path(tmp_path / "report.xlsx") as tmp:
        assert tmp.name.startswith(temp_prefix())
        tmp.write_bytes(b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([mine.name, old.name, "report.xlsx"])
    os.utime(old, (0, 0))
    with atomic_path(tmp_path / "report.xlsx") as tmp:
        tmp.write_bytes(b"newer")
    assert not old.exists()


def _busy_orphan(parent: int, started: str) -> None:
    """A reader as on Windows: no prctl, no parent-pid check (the pid stays there); only the
    parent sentinel can end it. Runs in a spawned process (imported by name)."""
    import time

    import toolkit.intake.readers as R
    R._set_pdeathsig = lambda: None
    R.WATCH_SECONDS = 3600.0
    R._die_with_parent(parent)
    Path(started).write_text("x")
    end = time.time() + 600
    while time.time() < end:  # a long read
        sum(range(1000))


def test_real_a_spawned_reader_dies_with_its_parent_by_the_sentinel_alone(tmp_path):
    """Item 11 for Windows and macOS (spawn): with neither prctl nor the parent-pid check, a reader
    busy in a long read still ends when its parent is killed: it waits on the parent sentinel."""
    import os
    import signal
    import subprocess
    import sys
    import time
    if not sys.platform.startswith("linux"):
        pytest.skip("/proc tells a finished process here")
    started = tmp_path / "started"
    script = f"""
import os, sys, time, multiprocessing
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from tests.test_hardening_more import _busy_orphan
ctx = multiprocessing.get_context("spawn")
p = ctx.Process(target=_busy_orphan, args=(os.getpid(), {str(started)!r}), daemon=True)
p.start()
print(p.pid, flush=True)
time.sleep(600)
"""
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    try:
        for _ in range(600):
            if started.exists():
                break
            time.sleep(0.1)
        assert started.exists()
        parent.kill()
        parent.wait()
        for _ in range(100):
            if not running(child):
                break
            time.sleep(0.1)
        assert not running(child)
    finally:
        parent.kill()
        parent.stdout.close()
        if running(child):
            os.kill(child, signal.SIGKILL)


def test_a_report_made_while_a_merge_runs_says_it_may_be_incomplete(tmp_path, plan, monkeypatch):
    """Case 35: `report` does not wait for a merge (it reads a consistent snapshot); made in the
    middle of one it silently showed the quarter without the files still being merged."""
    from click.testing import CliRunner

    from tests.merge_helpers import ON_TIME, fake_return, use_fake_reader, write
    from toolkit.cli import main
    from toolkit.store.lock import run_lock
    use_fake_reader(monkeypatch)
    out = tmp_path / "out"
    merge(plan, Q2, out, [write(tmp_path / "in" / "a.xlsx", fake_return("市教育局"), ON_TIME)])
    args = ["report", "-q", "2019Q2", "--plan", str(plan.source), "--out", str(out)]
    quiet = CliRunner().invoke(main, args)
    assert quiet.exit_code == 0 and "另一个合并正在进行" not in quiet.output
    with run_lock(store_dir(plan, out)):  # as a merge holds it
        busy = CliRunner().invoke(main, args)
    assert busy.exit_code == 0, busy.output
    assert "注意：生成时另一个合并正在进行（进程 " in busy.stderr
    assert "本汇总表可能还不包含正在合并的文件。合并结束后请重新运行 plankit report -q 2019Q2。" in busy.stderr
