"""Issue 22 item 2: the coordinator gives received times (`merge --received-at`); the receipt
says which time was used and where it came from; late on a file time alone is said to be so."""
from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest
from click.testing import CliRunner

from tests.merge_helpers import LATE, fake_return, make_email, use_fake_reader, write
from toolkit.cli import main
from toolkit.errors import UsageError
from toolkit.intake.merge import merge
from toolkit.intake.rebuild import rebuild
from toolkit.intake.received import parse_time, received_times
from toolkit.quarter import Quarter
from toolkit.store.db import load_quarter
from toolkit.intake.receipt import HEADER_ROW

Q2 = Quarter(2019, 2)


@pytest.fixture(autouse=True)
def fake_reader(monkeypatch):
    use_fake_reader(monkeypatch)


@pytest.mark.parametrize("text,expected", [
    ("2019-07-08", datetime(2019, 7, 8)), ("2019/7/8 14:30", datetime(2019, 7, 8, 14, 30)),
    ("2019年7月8日 9:05", datetime(2019, 7, 8, 9, 5)), ("2019-07-08T14:30:15", datetime(2019, 7, 8, 14, 30, 15))])
def test_times_as_offices_write_them(text, expected):
    assert parse_time(text) == expected


def test_a_time_that_cannot_be_read_is_a_usage_error():
    with pytest.raises(UsageError, match="收到时间“7月8日上午”无法识别"):
        parse_time("7月8日上午")


def saved_attachments(inbox):
    """Attachments saved on the 12th (file time late), plus one saved email with its own Date."""
    write(inbox / "市教育局.xlsx", fake_return("市教育局"), LATE)
    write(inbox / "市财政局.xlsx", fake_return("市财政局"), LATE)
    write(inbox / "卫健委.eml", bytes(make_email([("市卫健委.xlsx", fake_return("市卫健委"))], date=LATE)))
    return inbox


def test_without_a_given_time_late_on_file_time_is_said_to_be_so(tmp_path, plan, each_store):
    result = merge(plan, Q2, tmp_path / "out", [saved_attachments(tmp_path / "in")])
    assert set(result.late) == {"市教育局", "市财政局", "市卫健委"}
    assert set(result.late_by_file_time) == {"市教育局", "市财政局"}  # the email's Date is a real time
    sources = {f.department: f.time_source for f in result.files}
    assert sources == {"市教育局": "文件时间", "市财政局": "文件时间", "市卫健委": "邮件时间"}
    for path in (result.report_path, result.run_report_path):  # the quarter's report and this run's receipt
        ws = openpyxl.load_workbook(path)["收件回执"]
        heads = [c.value for c in ws[HEADER_ROW]]
        rows = [dict(zip(heads, r)) for r in ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True)]
        assert {r["部门"]: r["时间来源"] for r in rows} == sources


def test_run_time_replaces_file_times_but_not_a_mail_date_and_a_file_time_beats_both(tmp_path, plan, each_store):
    inbox = saved_attachments(tmp_path / "in")
    times = received_times(["2019-07-08 10:00", "市财政局.xlsx=2019-07-11", "市卫健委.xlsx=2019-07-09", "无此文件.xlsx=2019-07-01"])
    result = merge(plan, Q2, tmp_path / "out", [inbox], received_at=times)
    got = {f.department: (f.received_at, f.time_source) for f in result.files}
    assert got == {"市教育局": (datetime(2019, 7, 8, 10), "指定时间"), "市财政局": (datetime(2019, 7, 11), "指定时间"),
                   "市卫健委": (datetime(2019, 7, 9), "指定时间")}
    assert result.late == ["市财政局"] and result.late_by_file_time == []
    notes = [n for n in result.notes if "登记的邮箱" not in n]  # a sender other than the registered 邮箱: issue 19
    assert notes == ["指定了收到时间的文件“无此文件.xlsx”不在本次合并的文件中，该时间未使用。"]
    qr = load_quarter(plan, Q2, tmp_path / "out")
    assert qr.returns["市教育局"].time_source == "指定时间" and qr.returns["市教育局"].on_time
    rebuild(plan, tmp_path / "out")  # the given times are in the journal
    again = load_quarter(plan, Q2, tmp_path / "out")
    assert {d: r.received_at for d, r in again.returns.items()} == {d: r.received_at for d, r in qr.returns.items()}


def test_mail_date_is_kept_when_only_a_run_time_is_given(tmp_path, plan, each_store):
    inbox = saved_attachments(tmp_path / "in")
    result = merge(plan, Q2, tmp_path / "out", [inbox], received_at=received_times(["2019-07-08"]))
    assert {f.department: f.time_source for f in result.files}["市卫健委"] == "邮件时间"


def test_times_from_a_csv_saved_by_excel_in_gbk(tmp_path, plan):
    csv = tmp_path / "收到时间.csv"
    csv.write_bytes("文件名,收到时间\r\n市教育局.xlsx,2019-07-09 08:00\r\n".encode("gb18030"))
    assert received_times([str(csv)]).files == {"市教育局.xlsx": datetime(2019, 7, 9, 8)}
    bad = tmp_path / "bad.csv"
    bad.write_text("市教育局.xlsx,昨天\n", encoding="utf-8")
    with pytest.raises(UsageError, match="收到时间表 bad.csv 第1行：收到时间“昨天”无法识别"):
        received_times([str(bad)])


def test_cli_received_at_and_the_file_time_warning(tmp_path, plan_path, each_store, second_store):
    inbox = saved_attachments(tmp_path / "in")
    base = ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "2019Q2"]
    r = CliRunner().invoke(main, [*base, str(inbox)])
    assert "其中 市教育局、市财政局 仅按文件时间判断为迟报" in r.output
    r = CliRunner().invoke(main, [*base, "--received-at", "昨天", str(inbox)])
    assert r.exit_code == 2 and "收到时间“昨天”无法识别" in r.output
    out2, empty = tmp_path / "out2", {"PLANKIT_STORE": second_store}  # the same files into an empty store
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(out2), "-q", "2019Q2",
                                  "--received-at", "2019-07-08", str(inbox)], env=empty)
    assert r.exit_code == 0, r.output
    assert "迟报：市卫健委" in r.output and "仅按文件时间" not in r.output
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(out2), "-q", "2019Q2"], env=empty)
    assert "2019-07-08 00:00（指定时间）  按时" in r.output


def test_a_time_for_a_folder_applies_to_the_files_in_it(tmp_path, plan, each_store):
    write(tmp_path / "in" / "0708" / "市教育局.xlsx", fake_return("市教育局"), LATE)
    write(tmp_path / "in" / "0712" / "市财政局.xlsx", fake_return("市财政局"), LATE)
    times = received_times(["0708/=2019-07-08 09:00"])
    result = merge(plan, Q2, tmp_path / "out", [tmp_path / "in"], received_at=times)
    got = {f.department: (f.received_at, f.time_source) for f in result.files}
    assert got == {"市教育局": (datetime(2019, 7, 8, 9), "指定时间"), "市财政局": (LATE, "文件时间")}
