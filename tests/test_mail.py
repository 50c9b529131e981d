"""Mail out and remind: .eml drafts, a real SMTP server on 127.0.0.1, clear failures."""
from __future__ import annotations

import email
import json
from email import policy
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.mail import outgoing as M
from toolkit.cli import main
from toolkit.errors import PlankitError
from toolkit.quarter import Quarter

from .smtp_helpers import Collect, free_port

Q2 = Quarter(2019, 2)


@pytest.fixture
def auth_server(recwarn):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login, auth_data.password) in (("clerk", "right"), (b"clerk", b"right"))
        return AuthResult(success=ok, handled=False)

    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_required=True)
    controller.start()
    yield controller, handler
    controller.stop()


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


def test_drafts_one_eml_per_department_with_chinese_attachment(plan, tmp_path):
    items = M.prepare(plan, Q2, tmp_path, departments=["市教育局", "市住建局"])
    assert [i.department for i, _ in items] == ["市教育局", "市住建局"]
    item = items[0][0]
    msg = parse(item.eml.read_bytes())
    assert msg["To"].addresses[0].addr_spec == plan.department("市教育局").email
    assert msg["Subject"] == "【请填报】2019年第二季度民生实事进展情况（市教育局，2019年7月10日前报送）"
    body = msg.get_body(("plain",)).get_content()
    assert "牵头任务5项" in body and "2019年7月10日前" in body
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == item.attachment.name
    assert "市教育局" in attachment.get_filename()
    assert attachment.get_content() == item.attachment.read_bytes()
    # The Chinese file name travels RFC 2231-encoded, never raw 8-bit.
    raw = item.eml.read_bytes()
    assert b"filename*0*=utf-8''%E5%B8%82%E6%95%99%E8%82%B2%E5%B1%80" in raw
    assert "市教育局".encode() not in raw


def test_sends_to_real_smtp_server_and_logs_only_what_was_accepted(plan, tmp_path, smtp_server):
    controller, handler = smtp_server
    items = M.prepare(plan, Q2, tmp_path, departments=["市教育局", "市卫健委"])
    log = tmp_path / "sent.jsonl"
    M.send(items, M.SmtpSettings("127.0.0.1", controller.port, "none"), log)
    assert [i.status for i, _ in items] == ["sent", "sent"]
    assert len(handler.envelopes) == 2
    for (item, _), envelope in zip(items, handler.envelopes):
        received = parse(envelope.content)
        (attachment,) = list(received.iter_attachments())
        assert attachment.get_content() == item.attachment.read_bytes()  # byte for byte
        assert attachment.get_filename() == item.attachment.name
        assert envelope.rcpt_tos == [item.to]
        # What the server received is the .eml draft byte for byte (SMTP only changes line endings).
        assert envelope.original_content.replace(b"\r\n", b"\n") == item.eml.read_bytes()
    logged = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["department"] for e in logged] == ["市教育局", "市卫健委"]


def test_refused_login_is_clear_and_nothing_marked_sent(plan, tmp_path, auth_server):
    controller, handler = auth_server
    items = M.prepare(plan, Q2, tmp_path, departments=["市教育局"])
    log = tmp_path / "sent.jsonl"
    with pytest.raises(PlankitError) as err:
        M.send(items, M.SmtpSettings("127.0.0.1", controller.port, "none", "clerk", "wrong"), log)
    assert "邮件服务器拒绝登录（用户 clerk）：用户名或密码错误。" in str(err.value)
    assert items[0][0].status == "draft" and not log.exists() and handler.envelopes == []
    M.send(items, M.SmtpSettings("127.0.0.1", controller.port, "none", "clerk", "right"), log)
    assert items[0][0].status == "sent" and len(handler.envelopes) == 1


def test_bad_server_address_is_clear(plan, tmp_path):
    items = M.prepare(plan, Q2, tmp_path, departments=["市教育局"])
    with pytest.raises(PlankitError) as err:
        M.send(items, M.SmtpSettings("127.0.0.1", free_port(), "none", timeout=5), tmp_path / "log")
    assert str(err.value).startswith("无法连接邮件服务器 127.0.0.1:")
    assert "连接被拒绝" in str(err.value) and "没有发送任何邮件" in str(err.value)
    assert items[0][0].status == "draft"


def test_department_without_email_is_skipped_and_named(plan, tmp_path, monkeypatch):
    from dataclasses import replace
    depts = [replace(d, email="") if d.name == "市教育局" else d for d in plan.departments]
    monkeypatch.setattr(plan, "departments", depts)
    items = M.prepare(plan, Q2, tmp_path, departments=["市教育局", "市卫健委"])
    assert items[0][0].status == "skipped"
    assert items[0][0].error == "计划主表“部门”表中没有市教育局的邮箱，请补充后重试。"
    assert items[1][0].eml.exists()


def test_cli_mail_drafts_and_json(plan_path, tmp_path):
    result = CliRunner().invoke(main, ["mail", "--plan", str(plan_path), "-q", "2", "--out", str(tmp_path),
                                       "--dept", "市教育局", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["sent"] == 0 and len(data["messages"]) == 1
    assert data["messages"][0]["status"] == "draft" and Path(data["messages"][0]["eml"]).exists()


def test_cli_mail_send_needs_host(plan_path, tmp_path, monkeypatch):
    monkeypatch.delenv("PLANKIT_SMTP_HOST", raising=False)
    result = CliRunner().invoke(main, ["mail", "--plan", str(plan_path), "-q", "2", "--out", str(tmp_path), "--send"])
    assert result.exit_code == 2
    assert "使用 --send 时必须提供 --smtp-host" in result.output


def test_cli_mail_unknown_department(plan_path, tmp_path):
    result = CliRunner().invoke(main, ["mail", "--plan", str(plan_path), "-q", "2", "--out", str(tmp_path),
                                       "--dept", "市教育厅"])
    assert result.exit_code == 2
    assert "错误：计划中没有这些部门：市教育厅。部门名称须与计划主表“部门”表一致。" in result.output


def test_cli_mail_send_over_smtp(plan_path, tmp_path, smtp_server):
    controller, handler = smtp_server
    result = CliRunner().invoke(main, ["mail", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(tmp_path),
                                       "--dept", "市教育局", "--dept", "市公安局", "--send",
                                       "--smtp-host", "127.0.0.1", "--smtp-port", str(controller.port),
                                       "--smtp-security", "none"])
    assert result.exit_code == 0, result.output
    assert "共2封：已发送2，未发送0，失败0，跳过0。" in result.output
    assert len(handler.envelopes) == 2


def test_remind_lists_everyone_before_any_merge(plan, tmp_path):
    targets = M.remind_targets(plan, Q2, tmp_path)
    assert set(targets) == set(plan.department_names())
    assert not any(t["rejected"] for t in targets.values())
    items = M.prepare(plan, Q2, tmp_path, kind="remind", departments=["市教育局"], extra=targets)
    msg = parse(items[0][0].eml.read_bytes())
    assert msg["Subject"].startswith("【催报】2019年第二季度民生实事进展情况已过报送截止时间（2019年7月10日）")  # 2019 is past
    assert "尚未收到你单位" in msg.get_body(("plain",)).get_content()


def test_remind_template_lists_problems_of_a_rejected_return(plan, tmp_path):
    extra = {"市教育局": {"rejected": True, "problems": ["进展填报!G5：进展状态“完成了”无效。"]}}
    items = M.prepare(plan, Q2, tmp_path, kind="remind", departments=["市教育局"], extra=extra)
    body = parse(items[0][0].eml.read_bytes()).get_body(("plain",)).get_content()
    assert "未能通过审核" in body and "1. 进展填报!G5：进展状态“完成了”无效。" in body


def test_template_with_undefined_variable_is_named(tmp_path, plan):
    (tmp_path / "sheets.subject.j2").write_text("{{ no_such_thing }}", encoding="utf-8")
    (tmp_path / "sheets.body.j2").write_text("x", encoding="utf-8")
    with pytest.raises(PlankitError, match="邮件模板 sheets.subject.j2 第1行：使用了未定义的变量“no_such_thing”"):
        M.render("sheets", M.base_context(plan, Q2, "市教育局"), tmp_path)


def test_all_the_way_round_mail_out_fill_mail_back_merge(plan, tmp_path, smtp_server):
    """The coordinator mails the sheets, a clerk fills the attachment and replies, merge takes the reply."""
    from email.message import EmailMessage
    from email.utils import format_datetime
    from datetime import datetime

    from toolkit.intake.merge import merge
    from toolkit.demo.simulate import fill_return
    from toolkit.store.db import load_quarter

    controller, handler = smtp_server
    items = M.prepare(plan, Q2, tmp_path / "out", departments=["市教育局"])
    M.send(items, M.SmtpSettings("127.0.0.1", controller.port, "none"), tmp_path / "sent.jsonl")
    received = parse(handler.envelopes[0].content)
    (attachment,) = list(received.iter_attachments())
    clerk_copy = tmp_path / "clerk" / attachment.get_filename()
    clerk_copy.parent.mkdir()
    clerk_copy.write_bytes(attachment.get_content())
    fill_return(clerk_copy, fill_all=True, tasks={1: {"完成进度(%)": 55}})

    reply = EmailMessage()
    reply["From"] = received["To"]
    reply["To"] = received["From"]
    reply["Subject"] = "回复：" + received["Subject"]
    reply["Date"] = format_datetime(datetime(2019, 7, 8, 10, 0).astimezone())
    reply.set_content("已填好，请查收。")
    reply.add_attachment(clerk_copy.read_bytes(), maintype="application",
                         subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                         filename=clerk_copy.name)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "回复.eml").write_bytes(bytes(reply))

    result = merge(plan, Q2, tmp_path / "out", [inbox])
    assert [(f.path, f.department, f.outcome) for f in result.files] == [(clerk_copy.name, "市教育局", "accepted")]
    r = load_quarter(plan, Q2, tmp_path / "out").returns["市教育局"]
    assert r.on_time and "dept01@example.org.cn" in r.sender
    assert next(e.percent for e in r.tasks if e.task_no == 1) == 55
