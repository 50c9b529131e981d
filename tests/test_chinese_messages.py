"""Issue 22 item 10: what a user sees is Chinese — SMTP (STARTTLS), a damaged database, the
问题清单's columns; remind's subject after the deadline; remind's problems name their file."""
from __future__ import annotations

import socket
import threading

import openpyxl
import pytest

from tests.merge_helpers import ON_TIME, fake_return, use_fake_reader, write
from toolkit.errors import PlankitError
from toolkit.intake.merge import merge
from toolkit.mail import outgoing as M
from toolkit.quarter import Quarter
from toolkit.store.db import Store, StoreError
from toolkit.intake.receipt import HEADER_ROW

Q2 = Quarter(2019, 2)


@pytest.fixture
def no_starttls_server():
    """A real SMTP greeting on 127.0.0.1 that does not offer STARTTLS (as some office servers)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)

    def serve():
        conn, _ = sock.accept()
        f = conn.makefile("rwb")
        f.write(b"220 test ESMTP\r\n")
        f.flush()
        for line in f:
            cmd = line.strip().upper()
            if cmd.startswith((b"EHLO", b"HELO")):
                f.write(b"250-test\r\n250 SIZE 1000000\r\n")
            elif cmd.startswith(b"QUIT"):
                f.write(b"221 bye\r\n")
                f.flush()
                break
            else:
                f.write(b"502 not implemented\r\n")
            f.flush()
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield sock.getsockname()[1]
    sock.close()


def test_starttls_not_offered_is_said_in_chinese(tmp_path, no_starttls_server):
    smtp = M.SmtpSettings("127.0.0.1", no_starttls_server, security="starttls", timeout=5)
    with pytest.raises(PlankitError) as exc:
        M.send([], smtp, tmp_path / "sent.jsonl")
    assert "服务器不支持STARTTLS加密，可改用 --smtp-security ssl" in str(exc.value)
    assert "extension" not in str(exc.value)


def test_a_file_that_is_not_a_database_is_said_in_chinese(tmp_path):
    (tmp_path / "plankit.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError) as exc:
        Store(tmp_path)
    assert "（文件不是数据库或已损坏）" in exc.value.message and "not a database" not in str(exc.value)


def test_remind_subject_after_the_deadline_does_not_ask_for_the_past(plan):
    context = M.base_context(plan, Q2, "市教育局")
    before = M.render("remind", {**context, "overdue": False, "rejected": False, "problems": []})[0]
    after = M.render("remind", {**context, "overdue": True, "rejected": False, "problems": []})[0]
    assert before.startswith("【提醒】请于2019年7月10日前报送")
    assert "请于" not in after and after.startswith("【催报】2019年第二季度民生实事进展情况已过报送截止时间（2019年7月10日），请尽快报送")


def test_problem_sheet_has_chinese_beside_the_code_and_remind_names_the_file(tmp_path, plan, monkeypatch):
    use_fake_reader(monkeypatch)
    out = tmp_path / "out"
    result = merge(plan, Q2, out, [write(tmp_path / "教育局二季度.xlsx", fake_return("市教育局", errors=["坏"]), ON_TIME)])
    ws = openpyxl.load_workbook(result.report_path)["问题清单"]
    heads = [c.value for c in ws[HEADER_ROW]]
    assert heads[-1] == "问题代码（供技术支持）" and heads[-2] == "说明"
    assert M.remind_targets(plan, Q2, out)["市教育局"]["problems"] == ["教育局二季度.xlsx：进展填报!G5：坏"]
