"""Issue 19, third pass: a task renumbered after the sheets went out, the 填报日期 range check,
long attachment names in notes, and the cases of the third hostile pass that failed."""
from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests import returnfile_helpers as H
from tests.sheets_helpers import fill_return
from toolkit.intake.receipt import HEADER_ROW
from toolkit.intake.merge import merge
from toolkit.paths import store_dir
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter

Q2 = Quarter(2019, 2)
FIXTURES = Path(__file__).parent / "fixtures" / "hostile"


# -- item 1: a task renumbered in the plan after the sheets went out ----------------------------

def _renumbered(plan):
    """The plan with a new task (of another department) inserted before 市住建局's first task:
    that task and every later one move up by one."""
    first = plan.tasks_for(H.DEPT)[0][0]
    other = next(d for d in plan.department_names() if d != H.DEPT)
    new = dataclasses.replace(first, name="新增的一项民生实事", target="新增目标", leads=(other,), cos=())
    tasks = []
    for t in plan.tasks:
        if t.no == first.no:
            tasks.append(new)
        tasks.append(dataclasses.replace(t, no=t.no + 1) if t.no >= first.no else t)
    inds = [dataclasses.replace(i, task_no=i.task_no + 1) if i.task_no >= first.no else i for i in plan.indicators]
    shifted = dataclasses.replace(plan, tasks=tasks, indicators=inds, _fingerprint="", _units=(), _split=(),
                                  earlier={})
    assert shifted.fingerprint != plan.fingerprint
    return shifted, first


def _baseline(plan, tmp_path: Path, sheet: Path):
    out = tmp_path / "base"
    (tmp_path / "bin").mkdir()
    merge(plan, Q2, out, [fill_return(sheet, fill_all=True, out=tmp_path / "bin" / "r.xlsx")])
    r = load_quarter(plan, Q2, out).returns[H.DEPT]
    return r


@pytest.mark.parametrize("kept_copy", [False, True], ids=["no-kept-copy", "kept-copy"])
def test_real_a_task_renumbered_after_the_sheets_went_out_is_stored_under_its_new_number(tmp_path, plan, kept_copy):
    from toolkit.fillin.generate import generate_sheets
    out = tmp_path / "out"
    [sheet] = generate_sheets(plan, Q2, out, departments=[H.DEPT])
    if not kept_copy:
        shutil.rmtree(store_dir(plan, out) / "plans")
    base = _baseline(plan, tmp_path, sheet.path)
    shifted, first = _renumbered(plan)
    (tmp_path / "in").mkdir()
    result = merge(shifted, Q2, out, [fill_return(sheet.path, fill_all=True, out=tmp_path / "in" / "r.xlsx")])
    [f] = result.files
    assert f.outcome == "accepted", [str(p) for p in f.problems]
    [note] = [p for p in f.problems if p.code == "return-task-renumbered"]
    assert f"任务{first.no}（{first.name[:10]}" in note.message and f"现为任务{first.no + 1}" in note.message
    assert "return-old-plan" not in [p.code for p in f.problems]
    got = load_quarter(shifted, Q2, out).returns[H.DEPT]
    moved = {no: no + 1 if no >= first.no else no for no in range(1, 1000)}
    assert sorted((moved[t.task_no], t.status, t.percent, t.progress) for t in base.tasks) == \
        sorted((t.task_no, t.status, t.percent, t.progress) for t in got.tasks)
    assert sorted((moved[i.task_no], i.name, i.value) for i in base.indicators) == \
        sorted((i.task_no, i.name, i.value) for i in got.indicators)
    assert {t.task_no for t in got.tasks} == {t.no for t, _ in shifted.tasks_for(H.DEPT)}


# -- item 2: the 填报日期 is range-checked (a warning naming the cell, never a rejection) --------

def _with_fill_date(src: Path, out: Path, value) -> tuple[Path, str]:
    import openpyxl
    wb = openpyxl.load_workbook(src)
    ws = wb["进展填报"]
    for row in ws.iter_rows(max_row=6):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.strip().rstrip(":：") == "填报日期":
                target = next(c for c in row[cell.column:cell.column + 5] if c.value is not None)
                target.value = value
                ref = target.coordinate
                wb.save(out)
                return out, ref
    raise AssertionError("no 填报日期 label")


@pytest.mark.parametrize("value,why", [
    ("2091-07-05", "晚于今天"),
    ("2017-07-05", "比2019年第二季度开始早一年以上"),
    ("2019-07-05", ""),
    ("2018-12-20", ""),  # early but within a year: an old habit, not worth a word
])
def test_a_fill_date_in_the_future_or_years_early_is_a_warning_naming_the_cell(tmp_path, plan, value, why):
    from toolkit.intake.returnfile import read_return
    path, ref = _with_fill_date(H.filled(tmp_path, plan), tmp_path / "d.xlsx", value)
    r = read_return(path, plan, Q2)
    odd = [p for p in r.problems if p.code == "return-odd-date"]
    assert not r.errors, [str(p) for p in r.errors]
    assert r.contact["填报日期"] == value
    if not why:
        assert not odd
        return
    [p] = odd
    assert p.cell == ref and p.sheet == "进展填报"
    assert p.message.startswith(f"填报日期“{value}”{why}")


# -- third hostile pass: saved mail and mailboxes -------------------------------------------------

def test_an_mbox_body_line_starting_with_from_does_not_cut_the_message(tmp_path):
    """Fixture: a Thunderbird-style export whose body lines "From our bureau…" are not escaped.
    Split at every "From " line, the attachment landed in a headerless half: 没有附件."""
    from toolkit.intake.collect import collect
    items = collect([shutil.copy(FIXTURES / "unescaped-from-line.mbox", tmp_path / "导出.mbox")])
    assert [(i.name, i.skipped) for i in items] == [
        ("导出.mbox#1", "这封邮件（会议通知）没有附件，已跳过"),
        ("说明.txt", "不是表格文件（只接收 .xlsx .xlsm .xls .ods 及其压缩包、邮件），已跳过")]
    assert items[1].sender.endswith("slj@example.gov.cn>")


def test_real_a_return_in_an_mbox_with_an_unescaped_from_line_is_merged(tmp_path, plan):
    from email.message import EmailMessage
    m = EmailMessage()
    m["From"] = "市住建局 <zjj@example.gov.cn>"
    m["Subject"] = "填报表"
    m["Date"] = "Fri, 05 Jul 2019 10:00:00 +0800"
    m.set_content("From our bureau, see the attachment.\n")
    m.add_attachment(H.filled(tmp_path, plan).read_bytes(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename="市住建局.xlsx")
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From zjj@example.gov.cn Fri Jul  5 10:00:00 2019\n" + bytes(m).replace(b"\r\n", b"\n"))
    result = merge(plan, Q2, tmp_path / "out", [box])
    assert [(f.path, f.outcome) for f in result.files] == [("市住建局.xlsx", "accepted")]


def test_an_mbox_of_another_shape_is_still_read_by_the_library(tmp_path):
    from toolkit.intake.mboxsplit import mbox_messages
    odd = tmp_path / "odd.mbox"
    odd.write_bytes(b"From someone\nSubject: a\n\nbody\n\nFrom other\nSubject: b\n\nbody\n")
    assert len(mbox_messages(odd.read_bytes(), odd)) == 2


def test_a_return_forwarded_three_times_is_opened(tmp_path):
    """Fixture: a message attached in a message attached in a message (three forwards)."""
    from toolkit.intake.collect import collect
    [item] = collect([shutil.copy(FIXTURES / "forwarded-three-times.eml", tmp_path / "转发.eml")])
    assert item.name == "最内层.txt" and not item.error


def test_real_a_file_gone_before_it_is_read_says_so_in_chinese(tmp_path, plan, monkeypatch):
    from toolkit.intake import collect as C
    inbox = tmp_path / "in"
    inbox.mkdir()
    H.filled(inbox, plan, name="gone.xlsx")
    for p in inbox.glob("gen-*"):
        shutil.rmtree(p)
    real = C.Item.read

    def read(self):  # another program moves the file away between listing and reading
        if self.path is not None and self.path.name == "gone.xlsx" and self.path.exists():
            self.path.unlink()
        return real(self)
    monkeypatch.setattr(C.Item, "read", read)
    result = merge(plan, Q2, tmp_path / "out", [inbox])
    [f] = result.files
    assert f.outcome == "rejected"
    assert f.problems[0].message == ("无法读取：文件在合并开始后被移走、改名或删除了（可能正在同步或被其他程序处理）。"
                                     "请确认文件在原处后重新运行合并")


# -- item 3: very long attachment names are shortened where they are shown --------------------------

LONG = "市住建局" + "关于2019年第二季度民生实事进展情况的报告" * 18 + "（更正）.xlsx"


def test_short_name_keeps_the_start_and_the_end():
    from toolkit.problems import short_name
    shown = short_name(LONG)
    assert len(shown) < 80 and shown.startswith("市住建局关于2019年") and shown.endswith("的报告（更正）.xlsx")
    assert f"中间省略{len(LONG) - 56}字" in shown
    assert short_name("邮件.eml/" + LONG).startswith("邮件.eml/市住建局")
    assert short_name("市住建局.xlsx") == "市住建局.xlsx"


def test_real_a_very_long_attachment_name_is_shortened_in_notes_and_receipts_but_kept_in_the_store(tmp_path, plan):
    import json

    import openpyxl
    from click.testing import CliRunner
    from email.message import EmailMessage

    from toolkit.cli.app import main
    m = EmailMessage()
    m["From"] = "某人 <someone@elsewhere.example>"  # not the registered address: a note names the file
    m["Subject"] = "填报表"
    m["Date"] = "Fri, 05 Jul 2019 10:00:00 +0800"
    m.set_content("见附件")
    m.add_attachment(H.filled(tmp_path, plan).read_bytes(), maintype="application",
                     subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=LONG)
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "long.eml").write_bytes(bytes(m))
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(main, ["merge", "-q", "2019Q2", "--out", str(out), "--plan", str(plan.source), str(inbox)])
    assert res.exit_code == 0, res.output
    assert LONG[:-12] not in res.output  # nothing prints the whole name
    assert "的报告(更正).xlsx" in res.output or "的报告（更正）.xlsx" in res.output  # the end stays visible
    assert "中间省略" in res.output  # the note about the sender names the file, shortened
    report = next((out).rglob("*收件回执.xlsx"))
    ws = openpyxl.load_workbook(report)["收件回执"]
    headers = [c.value for c in ws[HEADER_ROW]]
    row = [c.value for c in ws[HEADER_ROW + 1]]
    assert "中间省略" in row[headers.index("文件")] and len(row[headers.index("文件")]) < 80
    assert len(row[headers.index("来源")]) > 400  # the provenance keeps the whole name
    stored = [json.loads(line) for p in out.rglob("received.jsonl") for line in p.read_text().splitlines()]
    assert any(len(s.get("filename", "")) > 400 for s in stored), stored[:1]


def test_an_attachment_name_split_mid_character_between_encoded_words_is_decoded(tmp_path):
    """Fixture: a GBK name cut every 5 bytes into RFC 2047 words, inside a two-byte character
    (as older Foxmail writes it). Decoded word by word it stayed `=?GBK?B?…?=`."""
    from toolkit.intake.collect import collect
    [item] = collect([shutil.copy(FIXTURES / "name-split-mid-character.eml", tmp_path / "f.eml")])
    assert item.name == "市水利局二季度说明.txt"


# -- third hostile pass: folders -------------------------------------------------------------------

def test_real_files_appearing_in_the_folder_while_the_merge_runs_are_named(tmp_path, plan):
    """A colleague still saving attachments into the inbox: the run did not say those were left out."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    H.filled(inbox, plan, name="市住建局.xlsx")
    for p in inbox.glob("gen-*"):
        shutil.rmtree(p)
    calls = []

    def progress(*args, **kwargs):  # called as files are read: a new file is saved meanwhile
        if not calls:
            (inbox / "刚保存的.xlsx").write_bytes(b"PK")
        calls.append(args)
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [inbox], progress=progress)
    assert calls and [f.path for f in result.files] == ["市住建局.xlsx"]
    assert ("合并进行期间，输入文件夹中新出现了 1 个文件（刚保存的.xlsx），本次没有处理。"
            "请再运行一次同一命令合并它们（已合并的文件会记为重复，不会重复计入）。") in result.notes


def test_real_what_the_merge_writes_under_an_out_folder_inside_the_inbox_is_not_new(tmp_path, plan):
    inbox = tmp_path / "in"
    inbox.mkdir()
    H.filled(inbox, plan, name="市住建局.xlsx")
    for p in inbox.glob("gen-*"):
        shutil.rmtree(p)
    result = merge(plan, Q2, inbox / "out", [inbox])
    assert not [n for n in result.notes if "新出现" in n]


def test_last_quarter_values_on_renumbered_tasks_are_not_compared():
    """Whether last quarter was stored under the old or the new numbers cannot be told, so the
    累计值不应减少 check must not compare a renumbered task's value with another task's."""
    from datetime import datetime

    from toolkit.intake.renumber import previous_as_numbered
    from toolkit.returns import IndicatorEntry, QuarterReturns, Return
    entries = [IndicatorEntry(n, f"指标{n}", H.DEPT, 10.0) for n in (14, 15, 20)]
    prev = QuarterReturns("2019Q1", [H.DEPT], {H.DEPT: Return(H.DEPT, "2019Q1", datetime(2019, 4, 5), True, "x",
                                                              "r.xlsx", indicators=entries)})
    kept = previous_as_numbered(prev, H.DEPT, {14: 15})
    assert [e.task_no for e in kept.returns[H.DEPT].indicators] == [20]
    assert kept.indicator_value(14, "指标14", H.DEPT) is None and kept.indicator_value(20, "指标20", H.DEPT)
    assert previous_as_numbered(prev, H.DEPT, {}) is prev


def test_system_files_in_a_folder_are_not_called_excel_lock_files(tmp_path):
    from toolkit.intake.collect import collect
    (tmp_path / "in").mkdir()
    for name in ("~$市住建局.xlsx", ".DS_Store", "Thumbs.db", "desktop.ini"):
        (tmp_path / "in" / name).write_bytes(b"\0" * 16)
    got = {i.name: i.skipped for i in collect([tmp_path / "in"])}
    assert got["~$市住建局.xlsx"] == "Excel/WPS临时锁文件，已跳过"
    for name in (".DS_Store", "Thumbs.db", "desktop.ini"):
        assert got[name] == "Windows或苹果系统自动生成的文件（缩略图、文件夹设置），已跳过"
