"""plankit fetch against a real Dovecot and a real SMTP server (aiosmtpd), both on 127.0.0.1."""
from __future__ import annotations

import email
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.mail.fetch import fetch
from toolkit.mail.imap import ImapSettings, decode_folder, encode_folder
from toolkit.mail.outgoing import SmtpSettings
from toolkit.paths import store_dir
from toolkit.quarter import Quarter

from toolkit.errors import PlankitError

from .imap_helpers import DOVECOT, PASSWORD, USER, Dovecot, gbk_message, message, run_dovecot
from .returnfile_helpers import col_of, filled

Q2 = Quarter(2019, 2)
ROOT = Path(__file__).parent.parent
GOOD, BAD = "市教育局", "市住建局"
BAD_TASK = 14  # 市住建局's first lead task


@pytest.fixture
def dovecot():
    yield from run_dovecot()


def imap_for(server, folder: str = "INBOX", **kw) -> ImapSettings:
    return ImapSettings("127.0.0.1", server.port, "none", USER, PASSWORD, folder, **kw)


def smtp_for(controller) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", controller.port, "none")


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def returns(tmp_path, plan):
    good = filled(tmp_path, plan, "教育局二季度.xlsx", dept=GOOD).read_bytes()
    bad = filled(tmp_path, plan, "住建局二季度.xlsx", dept=BAD,
                 tasks={BAD_TASK: {"进展状态": "完成了", "完成进度(%)": 150}}).read_bytes()
    return good, bad


def addr(plan, dept: str) -> str:
    return f"{dept} <{plan.department(dept).email}>"


def receipts(handler) -> list:
    return [parse(e.content) for e in handler.envelopes]


def submissions(plan, out: Path) -> list[tuple]:
    conn = sqlite3.connect(store_dir(plan, out) / "plankit.sqlite")
    try:
        return conn.execute("SELECT department, accepted, filename FROM submissions WHERE ext='xlsx'"
                            " ORDER BY id").fetchall()
    finally:
        conn.close()


# -- the codec and the robots ---------------------------------------------------------

def test_modified_utf7_round_trip_matches_rfc3501():
    assert encode_folder("INBOX") == "INBOX"
    assert encode_folder("报送") == "&YqWQAQ-"
    assert encode_folder("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"  # RFC 3501 example
    assert encode_folder("A&B") == "A&-B"
    for name in ("报送/2019年二季度", "已处理 & 归档", "收件箱"):
        assert decode_folder(encode_folder(name)) == name


def test_automatic_replies_are_recognised():
    from toolkit.mail.receipts import automatic
    auto = [{"Auto-Submitted": "auto-replied"}, {"X-Autoreply": "yes"}, {"Subject": "自动回复：二季度填报"},
            {"Subject": "Out of Office: 填报"}, {"From": "MAILER-DAEMON@example.cn"}, {"Precedence": "bulk"}]
    for headers in auto:
        msg = parse(message("a@example.cn", "填报", [], headers=headers))
        assert automatic(msg), headers
    assert automatic(parse(message("a@example.cn", "二季度填报表", []))) == ""


# -- a full round ----------------------------------------------------------------------

def test_full_round_fetch_receipts_correction_and_resubmission(plan, plan_path, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, bad = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "教育局二季度填报", [("教育局二季度.xlsx", good)]))
    dovecot.append(message(addr(plan, BAD), "住建局二季度填报", [("住建局二季度.xlsx", bad)]))
    dovecot.append(message("张三 <zhangsan@example.com>", "附件忘了", []))
    dovecot.append(message(addr(plan, "市财政局"), "自动回复：二季度填报", [],
                           headers={"Auto-Submitted": "auto-replied"}))
    out = tmp_path / "out"
    env = {"PLANKIT_IMAP_PASSWORD": PASSWORD}
    args = ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(out), "--imap-host", "127.0.0.1",
            "--imap-port", str(dovecot.port), "--imap-security", "none", "--imap-user", USER, "--reply",
            "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port), "--smtp-security", "none",
            "--from", "民生办 <minshengshishi@example.org.cn>"]
    first = CliRunner().invoke(main, args, env=env)
    assert first.exit_code == 1, first.output  # one file rejected
    assert "未理会 UID 4" in first.output and "自动回复" in first.output
    assert "已发回执 3 封。" in first.output
    got = {m["To"]: m for m in receipts(handler)}
    assert set(got) == {addr(plan, GOOD), addr(plan, BAD), "张三 <zhangsan@example.com>"}

    ok = got[addr(plan, GOOD)]
    assert ok["Subject"] == "回执：教育局二季度填报" and ok["Auto-Submitted"] == "auto-replied"
    assert "教育局二季度.xlsx（市教育局）：接收" in ok.get_body(("plain",)).get_content()
    assert not list(ok.iter_attachments())

    no_file = got["张三 <zhangsan@example.com>"].get_body(("plain",)).get_content()
    assert "这封邮件中没有可以合并的填报表" in no_file and "报送截止日期：2019年7月10日" in no_file

    rejected = got[addr(plan, BAD)]
    body = rejected.get_body(("plain",)).get_content()
    assert "住建局二季度.xlsx（市住建局）：退回" in body
    assert "[错误] 进展填报!F5：进展状态“完成了”无效。" in body and "进展填报!G5：完成进度“150”超出范围" in body
    assert rejected["In-Reply-To"] and rejected["In-Reply-To"] in rejected["References"]
    (attachment,) = list(rejected.iter_attachments())
    assert attachment.get_filename() == "市住建局-退回修改表.xlsx"

    # the correction workbook: entries kept, problem cells marked, the list links to them
    corrected = tmp_path / "市住建局-退回修改表.xlsx"
    corrected.write_bytes(attachment.get_content())
    wb = openpyxl.load_workbook(corrected)
    assert wb.sheetnames[0] == "问题清单"
    ws = wb["进展填报"]
    assert ws["F5"].value == "完成了" and ws["F5"].fill.start_color.rgb.endswith("FFC7CE")
    assert "进展状态“完成了”无效" in ws["F5"].comment.text
    assert ws.protection.sheet
    links = [c.hyperlink.location for c in wb["问题清单"]["B"] if c.hyperlink]
    assert links == ["'进展填报'!F5", "'进展填报'!G5"]

    # the clerk fixes the two cells and replies with the same file
    ws.cell(5, col_of(ws, "进展状态")).value = "序时推进"
    ws.cell(5, col_of(ws, "完成进度(%)")).value = 60
    wb.save(corrected)
    dovecot.append(message(addr(plan, BAD), "回复：回执：住建局二季度填报", [(corrected.name, corrected.read_bytes())]))
    second = CliRunner().invoke(main, args, env=env)
    assert second.exit_code == 0, second.output
    last = receipts(handler)[-1]
    assert len(handler.envelopes) == 4 and last["To"] == addr(plan, BAD)
    assert "市住建局-退回修改表.xlsx（市住建局）：接收" in last.get_body(("plain",)).get_content()
    assert [(d, a) for d, a, _ in submissions(plan, out)] == [(GOOD, 1), (BAD, 0), (BAD, 1)]

    # a third run finds nothing new and sends nothing; the mail is all still there
    third = CliRunner().invoke(main, args, env=env)
    assert third.exit_code == 0 and "没有新邮件。" in third.output
    assert len(handler.envelopes) == 4 and dovecot.count() == 5

    # "收到，谢谢" in reply to a receipt is not answered again (a fresh message without a file is)
    thanks = message(addr(plan, BAD), "回复：回执：住建局二季度填报", [], body="收到，谢谢！",
                     headers={"In-Reply-To": last["Message-ID"], "References": last["Message-ID"]})
    dovecot.append(thanks)
    fourth = CliRunner().invoke(main, args, env=env)
    assert fourth.exit_code == 0 and "对回执的回复，没有填报表" in fourth.output
    assert len(handler.envelopes) == 4


def test_rejected_file_gets_a_correction_workbook_from_plain_merge(plan, tmp_path):
    from toolkit.intake.merge import merge
    _, bad = returns(tmp_path, plan)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "住建局.xlsx").write_bytes(bad)
    result = merge(plan, Q2, tmp_path / "out", [tmp_path / "in"])
    (path,) = result.corrections.values()
    assert Path(path).name == "市住建局-退回修改表.xlsx" and "2019Q2/merge/退回修改表" in path
    assert openpyxl.load_workbook(path)["进展填报"]["G5"].comment is not None



def test_correction_list_has_a_title_and_prints_with_numbered_pages(plan, tmp_path):
    """The 问题清单 is what the department prints: it says whose file, which quarter, and prints
    A4 landscape one page wide with its header row repeated and 第 N 页 共 M 页."""
    from toolkit.intake.correction import HEADER_ROW
    from toolkit.intake.merge import merge
    _, bad = returns(tmp_path, plan)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "住建局.xlsx").write_bytes(bad)
    (path,) = merge(plan, Q2, tmp_path / "out", [tmp_path / "in"]).corrections.values()
    ws = openpyxl.load_workbook(path)["问题清单"]
    assert ws["A1"].value == "市住建局退回修改表" and ws["A1"].font.b and ws["A1"].font.sz == 14
    assert "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    about = ws["A2"].value
    assert f"计划：{plan.settings.title}" in about and "季度：2019年第二季度" in about and "文件：住建局.xlsx" in about
    assert [c.value for c in ws[HEADER_ROW]] == ["序号", "位置（点击跳转）", "级别", "问题说明"]
    assert ws.cell(HEADER_ROW + 1, 1).value == 1
    assert ws.print_title_rows.replace("$", "") == f"{HEADER_ROW}:{HEADER_ROW}"
    setup = ws.page_setup
    assert (setup.paperSize, setup.orientation, setup.fitToWidth, setup.fitToHeight) == (9, "landscape", 1, 0)
    assert ws.oddFooter.center.text == "第 &P 页 共 &N 页"
    assert ws.oddFooter.left.text == "市住建局退回修改表 住建局.xlsx"


# -- exactly once ----------------------------------------------------------------------

def _cli(plan_path, out, server, smtp_port: int, *extra) -> list[str]:
    return [sys.executable, "-m", "toolkit", "fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(out),
            "--imap-host", "127.0.0.1", "--imap-port", str(server.port), "--imap-security", "none",
            "--imap-user", USER, "--reply", "--smtp-host", "127.0.0.1", "--smtp-port", str(smtp_port),
            "--smtp-security", "none", *extra]


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "PLANKIT_IMAP_PASSWORD": PASSWORD}


def _ledger_states(plan, out) -> list[str]:
    db = store_dir(plan, out) / "mailbox" / "ledger.sqlite"
    if not db.exists():
        return []
    conn = sqlite3.connect(db, timeout=30)
    try:
        return [r[0] for r in conn.execute("SELECT state FROM messages ORDER BY uid")]
    except sqlite3.OperationalError:  # the table is being created
        return []
    finally:
        conn.close()


def test_killed_between_storing_and_replying_then_rerun_answers_each_once(plan, plan_path, tmp_path, dovecot,
                                                                         smtp_server):
    controller, handler = smtp_server
    good, bad = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)]))
    dovecot.append(message(addr(plan, BAD), "住建局", [("住建局.xlsx", bad)]))
    out = tmp_path / "out"
    # an SMTP "server" that accepts the connection and never greets: the fetch hangs right after
    # storing, waiting to send the receipts, and is killed there
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        proc = subprocess.Popen(_cli(plan_path, out, dovecot, silent.getsockname()[1]), env=_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 120
        while _ledger_states(plan, out) != ["merged", "merged"]:
            assert proc.poll() is None and time.monotonic() < deadline, _ledger_states(plan, out)
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    assert handler.envelopes == []
    rerun = subprocess.run(_cli(plan_path, out, dovecot, controller.port), env=_env(), capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert sorted(m["To"] for m in receipts(handler)) == sorted([addr(plan, GOOD), addr(plan, BAD)])
    assert "住建局.xlsx（市住建局）：退回" in "".join(m.get_body(("plain",)).get_content() for m in receipts(handler))
    assert [(d, a) for d, a, _ in submissions(plan, out)] == [(GOOD, 1), (BAD, 0)]
    subprocess.run(_cli(plan_path, out, dovecot, controller.port), env=_env(), check=True, capture_output=True)
    assert len(handler.envelopes) == 2


def test_killed_while_merging_recovers_the_stored_outcome(plan, tmp_path, dovecot, smtp_server):
    """A fetch killed after the files were stored but before the ledger said so merges the
    message again: the receipt still says 接收 (not 重复) and nothing is counted twice."""
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)]))
    out = tmp_path / "out"
    fetch(plan, Q2, out, imap_for(dovecot))  # no reply: stored, receipt pending
    conn = sqlite3.connect(store_dir(plan, out) / "mailbox" / "ledger.sqlite")
    conn.execute("UPDATE messages SET state='merging', receipt='{}'")  # as if killed before this write
    conn.commit()
    conn.close()
    result = fetch(plan, Q2, out, imap_for(dovecot), smtp=smtp_for(controller))
    assert result.answered == 1
    assert "教育局.xlsx（市教育局）：接收" in receipts(handler)[0].get_body(("plain",)).get_content()
    assert len(submissions(plan, out)) == 1


def test_two_fetches_at_once_merge_and_answer_each_message_once(plan, plan_path, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, bad = returns(tmp_path, plan)
    for n in range(3):
        dovecot.append(message(addr(plan, GOOD), f"教育局{n}", [(f"教育局{n}.xlsx", good)]))
    dovecot.append(message(addr(plan, BAD), "住建局", [("住建局.xlsx", bad)]))
    out = tmp_path / "out"
    procs = [subprocess.Popen(_cli(plan_path, out, dovecot, controller.port), env=_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode in (0, 1) for p in procs), outputs
    assert len(handler.envelopes) == 4
    assert sorted(m["Subject"] for m in receipts(handler)) == ["回执：住建局", "回执：教育局0", "回执：教育局1",
                                                              "回执：教育局2"]
    assert [(d, a) for d, a, _ in submissions(plan, out)] == [(GOOD, 1), (BAD, 0)]  # same bytes stored once
    assert _ledger_states(plan, out) == ["answered"] * 4


def test_uidvalidity_change_chinese_folder_and_gbk_message(plan, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    folder = "二季度报送 & 回执"
    dovecot.create(folder)
    raw = gbk_message(addr(plan, GOOD), "二季度民生实事填报（教育局）", "教育局填报表.xlsx", good)
    dovecot.append(raw, folder)
    out = tmp_path / "out"
    first = fetch(plan, Q2, out, imap_for(dovecot, folder), smtp=smtp_for(controller))
    assert [(f.path, f.department, f.outcome) for f in first.merge.files] == [("教育局填报表.xlsx", GOOD, "accepted")]
    (receipt,) = receipts(handler)
    assert receipt["Subject"] == "回执：二季度民生实事填报（教育局）"
    assert "UID 1（UIDVALIDITY" in first.merge.files[0].origin and folder in first.merge.files[0].origin

    # the server renumbers: the folder is recreated with the same message under a new UIDVALIDITY
    dovecot.delete(folder)
    dovecot.create(folder)
    dovecot.append(raw, folder)
    again = fetch(plan, Q2, out, imap_for(dovecot, folder), smtp=smtp_for(controller))
    assert [m.what for m in again.messages] == ["again"] and again.merge is None
    assert len(handler.envelopes) == 1 and len(submissions(plan, out)) == 1


def test_move_to_after_storing_and_sender_mismatch_listed(plan, plan_path, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    dovecot.create("已处理")
    dovecot.create("已处理.二季度")  # Dovecot's maildir delimiter is '.'; the user writes '/'
    dovecot.append(message("李四 <lisi@163.com>", "教育局报表", [("教育局.xlsx", good)]))
    result = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot, move_to="已处理/二季度"), smtp=smtp_for(controller))
    assert result.moved == 1 and dovecot.count("INBOX") == 0 and dovecot.count("已处理.二季度") == 1
    assert result.mismatches == [{"department": GOOD, "sender": "lisi@163.com",
                                  "registered": plan.department(GOOD).email}]
    assert receipts(handler)[0]["To"] == "李四 <lisi@163.com>"  # answered all the same


def test_cli_needs_a_host_and_refuses_a_password_in_the_config(plan_path, tmp_path):
    result = CliRunner().invoke(main, ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "请用 --imap-host 指定收件服务器" in result.output
    conf = tmp_path / "mail.ini"
    conf.write_text("[imap]\nhost = imap.example.cn\npassword = x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--config", str(conf)])
    assert result.exit_code == 2 and "邮箱配置文件" in result.output and "中不能写密码" in result.output


def test_cli_config_file_and_wrong_password(plan_path, tmp_path, dovecot):
    conf = tmp_path / "plankit-mail.ini"
    conf.write_text(f"[imap]\nhost = 127.0.0.1\nport = {dovecot.port}\nsecurity = none   ; 测试服务器不加密\n"
                    f"user = {USER}\nfolder = INBOX\n",
                    encoding="utf-8")
    result = CliRunner().invoke(main, ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out",
                                       str(tmp_path / "out"), "--config", str(conf)],
                                env={"PLANKIT_IMAP_PASSWORD": "wrong"})
    assert result.exit_code == 2 and f"收件服务器拒绝登录（用户 {USER}）：用户名或密码错误。" in result.output
    result = CliRunner().invoke(main, ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out",
                                       str(tmp_path / "out"), "--config", str(conf), "--json"],
                                env={"PLANKIT_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["messages"] == []


def test_remind_attaches_the_correction_workbook_of_a_rejected_department(plan, tmp_path):
    from email import message_from_bytes

    from toolkit.intake.merge import merge
    from toolkit.mail import outgoing as M
    _, bad = returns(tmp_path, plan)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "住建局.xlsx").write_bytes(bad)
    out = tmp_path / "out"
    merge(plan, Q2, out, [tmp_path / "in"])
    targets = M.remind_targets(plan, Q2, out)
    assert targets[BAD]["correction"].endswith("市住建局-退回修改表.xlsx") and "correction" not in targets[GOOD]
    items = M.prepare(plan, Q2, out, kind="remind", departments=[BAD, GOOD], extra=targets)
    bad_mail = message_from_bytes(items[0][0].eml.read_bytes(), policy=policy.default)
    (attachment,) = list(bad_mail.iter_attachments())
    assert attachment.get_filename() == "市住建局-退回修改表.xlsx"
    assert "问题单元格已标色并加了批注" in bad_mail.get_body(("plain",)).get_content()
    assert "填报表再次附上" in message_from_bytes(items[1][0].eml.read_bytes(), policy=policy.default).get_body(
        ("plain",)).get_content()


def test_watch_prints_one_status_line_per_round_until_ctrl_c(plan_path, tmp_path, dovecot, monkeypatch):
    from toolkit.mail import fetch as F
    rounds = []

    def sleep(seconds):
        rounds.append(seconds)
        if len(rounds) == 1:  # a return arrives between the two rounds
            dovecot.append(message("市教育局 <dept01@example.org.cn>", "二季度", [("a.xlsx", b"not a workbook")]))
        else:
            raise KeyboardInterrupt

    monkeypatch.setattr(F.time, "sleep", sleep)
    result = CliRunner().invoke(main, ["fetch", "--plan", str(plan_path), "-q", "2019Q2", "--out",
                                       str(tmp_path / "out"), "--imap-host", "127.0.0.1", "--imap-port",
                                       str(dovecot.port), "--imap-security", "none", "--imap-user", USER,
                                       "--watch", "60"], env={"PLANKIT_IMAP_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"开始收取 {USER}@127.0.0.1:{dovecot.port} 的“INBOX”，每60秒一次")
    assert "第1轮：新邮件0封，文件0个，回执0封，自动回复0封未理会" in lines[1]
    assert "第2轮：新邮件1封，文件1个，回执0封，自动回复0封未理会" in lines[2]
    assert lines[3] == "已停止收取。" and rounds == [60, 60]


def test_problems_no_cell_can_show_are_explained_in_the_list(plan, tmp_path):
    from toolkit import problems as P
    from toolkit.intake.correction import HEADER_ROW, write_correction
    from toolkit.intake.merge import WRONG_QUARTER
    good, _ = returns(tmp_path, plan)
    problem = P.make(WRONG_QUARTER, file="a.xlsx", found="2019Q1", expected="2019Q2")
    path = write_correction(good, "xlsx", [problem], tmp_path / "c.xlsx")
    ws = openpyxl.load_workbook(path)["问题清单"]
    assert [c.value for c in ws[HEADER_ROW + 1]] == [1, "整个文件", "错误（须修改）", problem.message]
    assert write_correction(good, "xls", [problem], tmp_path / "d.xlsx") is None  # only .xlsx/.xlsm are edited
    assert write_correction(b"not a workbook", "xlsx", [problem], tmp_path / "e.xlsx") is None


def test_unreadable_attachment_gets_a_receipt_without_a_workbook(plan, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    dovecot.append(message(addr(plan, GOOD), "二季度", [("教育局.xlsx", b"not a workbook")]))
    result = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot), smtp=smtp_for(controller))
    assert result.answered == 1
    (receipt,) = receipts(handler)
    body = receipt.get_body(("plain",)).get_content()
    # attributed to its sender (issue 22)
    assert "教育局.xlsx（市教育局）：退回" in body and "下一步：未计入汇总。请按上面列出的问题改正" in body
    assert not list(receipt.iter_attachments())


def test_mail_that_arrived_before_the_quarter_is_left_alone(plan, tmp_path, dovecot, smtp_server):
    from datetime import date, datetime
    controller, handler = smtp_server
    dovecot.append(message("老同事 <old@example.cn>", "去年的事", []), arrived=datetime(2019, 3, 20, 9, 0))
    dovecot.append(message(addr(plan, GOOD), "附件稍后发", []), arrived=datetime(2019, 7, 2, 9, 0))
    result = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot), smtp=smtp_for(controller))
    assert [m.subject for m in result.messages] == ["附件稍后发"] and len(handler.envelopes) == 1
    earlier = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot), smtp=smtp_for(controller), since=date(2019, 1, 1))
    assert [m.subject for m in earlier.messages] == ["去年的事"] and len(handler.envelopes) == 2


def test_half_merged_message_renumbered_by_the_server_is_finished_once(plan, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    raw = message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)])
    dovecot.create("报送")
    dovecot.append(raw, "报送")
    out = tmp_path / "out"
    fetch(plan, Q2, out, imap_for(dovecot, "报送"))
    conn = sqlite3.connect(store_dir(plan, out) / "mailbox" / "ledger.sqlite")
    conn.execute("UPDATE messages SET state='merging', receipt='{}'")  # killed before the ledger said merged
    conn.commit()
    conn.close()
    dovecot.delete("报送")
    dovecot.create("报送")
    dovecot.append(raw, "报送")  # ... and meanwhile the server renumbered the folder
    result = fetch(plan, Q2, out, imap_for(dovecot, "报送"), smtp=smtp_for(controller))
    assert result.answered == 1 and len(submissions(plan, out)) == 1
    assert "教育局.xlsx（市教育局）：接收" in receipts(handler)[0].get_body(("plain",)).get_content()
    assert sorted(_ledger_states(plan, out)) == ["alias", "answered"]


def test_connection_dropped_mid_round_merges_what_was_fetched(plan, tmp_path, dovecot, monkeypatch):
    import imaplib

    from toolkit.mail.imap import Mailbox
    good, _ = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "第一封", [("a.xlsx", good)]))
    dovecot.append(message(addr(plan, GOOD), "第二封", []))
    real = Mailbox.fetch

    def drop_on_second(self, uid):
        if uid == 2:
            self.conn.shutdown()  # the server's side goes away, as a flaky network does
            raise imaplib.IMAP4.abort("socket error: EOF")
        return real(self, uid)

    monkeypatch.setattr(Mailbox, "fetch", drop_on_second)
    out = tmp_path / "out"
    first = fetch(plan, Q2, out, imap_for(dovecot))
    assert [m.subject for m in first.messages] == ["第一封"] and "与收件服务器的连接中断" in first.notes[0]
    monkeypatch.setattr(Mailbox, "fetch", real)
    second = fetch(plan, Q2, out, imap_for(dovecot))
    assert [m.subject for m in second.messages] == ["第二封"] and not second.notes


def test_gb18030_message_with_a_character_gbk_lacks(plan, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    subject = "二季度填报（经办人：王䶮）"  # 䶮 (U+4DAE) is in GB18030, not in GBK
    dovecot.append(gbk_message(addr(plan, GOOD), subject, "教育局䶮.xlsx", good, charset="gb18030"))
    result = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot), smtp=smtp_for(controller))
    assert [(f.path, f.outcome) for f in result.merge.files] == [("教育局䶮.xlsx", "accepted")]
    assert receipts(handler)[0]["Subject"] == f"回执：{subject}"


def test_raw_8bit_gbk_subject_is_read_and_quoted_in_the_receipt(plan, tmp_path, dovecot, smtp_server):
    controller, handler = smtp_server
    raw = message(addr(plan, GOOD), "SUBJECT-PLACEHOLDER", [])
    raw = raw.replace(b"SUBJECT-PLACEHOLDER", "二季度填报（自己写的）".encode("gbk"))  # no RFC 2047: raw GBK
    dovecot.append(raw)
    result = fetch(plan, Q2, tmp_path / "out", imap_for(dovecot), smtp=smtp_for(controller))
    assert result.messages[0].subject == "二季度填报（自己写的）"
    assert receipts(handler)[0]["Subject"] == "回执：二季度填报（自己写的）"


def test_renumbered_message_with_rewritten_bytes_is_matched_by_message_id(plan, tmp_path, dovecot, smtp_server):
    """Some servers rewrite headers when they renumber: the same Message-ID, sender and subject is the
    same message; a reused Message-ID on a different message is not."""
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    raw = message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)])
    dovecot.create("报送")
    dovecot.append(raw, "报送")
    out = tmp_path / "out"
    fetch(plan, Q2, out, imap_for(dovecot, "报送"), smtp=smtp_for(controller))
    dovecot.delete("报送")
    dovecot.create("报送")
    dovecot.append(b"X-Server-Rewritten: yes\r\n" + raw, "报送")
    mid = parse(raw)["Message-ID"]
    other = parse(message(addr(plan, GOOD), "教育局（更正）", [("教育局2.xlsx", good + b" ")]))
    other.replace_header("Message-ID", mid)  # a client that reuses Message-IDs
    dovecot.append(bytes(other), "报送")
    result = fetch(plan, Q2, out, imap_for(dovecot, "报送"), smtp=smtp_for(controller))
    assert [(m.subject, m.what) for m in result.messages] == [("教育局", "again"), ("教育局（更正）", "merged")]
    assert len(handler.envelopes) == 2


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_encrypted_connections_with_a_verified_certificate(plan, tmp_path, security, monkeypatch):
    """What the Chinese enterprise servers offer (993 with TLS, or STARTTLS); the certificate is checked."""
    import shutil as sh
    if DOVECOT is None or sh.which("openssl") is None:
        pytest.skip("Dovecot or openssl is not installed here; CI installs both")
    server = Dovecot(tls=True)
    try:
        server.append(message(addr(plan, GOOD), "二季度", []))
        port = server.ssl_port if security == "ssl" else server.port
        settings = ImapSettings("127.0.0.1", port, security, USER, PASSWORD)
        with pytest.raises(PlankitError, match="无法连接收件服务器"):  # not trusted yet
            fetch(plan, Q2, tmp_path / "out", settings)
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))  # the coordinator's CA, as if installed
        result = fetch(plan, Q2, tmp_path / "out", settings)
        assert [m.subject for m in result.messages] == ["二季度"]
    finally:
        server.stop()
