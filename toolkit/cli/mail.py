"""`plankit mail` and `plankit remind`: send the fill-in workbooks and reminders."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS
from toolkit.mail.outgoing import SmtpSettings, prepare, remind_targets, send, sent_log
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.cli.app import main
from toolkit.cli.common import (Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option,
    resolve_plan)


def _mail_options(f):
    options = [
        click.option("--dept", "departments", multiple=True, help="只处理这些部门（可重复）。"),
        click.option("--outbox", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="存放 .eml 邮件的目录（默认在 out/ 下本季度的 mail 目录）。"),
        click.option("--send", "do_send", is_flag=True, help="通过SMTP实际发送（不加则只生成 .eml 文件）。"),
        click.option("--from", "sender", envvar="PLANKIT_MAIL_FROM", default="",
                     help="发件人，如 \"市民生办 <ms@example.cn>\"（环境变量 PLANKIT_MAIL_FROM）。"),
        click.option("--smtp-host", envvar="PLANKIT_SMTP_HOST", default="",
                     help="SMTP服务器（环境变量 PLANKIT_SMTP_HOST）。"),
        click.option("--smtp-port", envvar="PLANKIT_SMTP_PORT", type=int, default=None,
                     help="端口（默认：ssl 465，其他 587；环境变量 PLANKIT_SMTP_PORT）。"),
        click.option("--smtp-security", type=click.Choice(["starttls", "ssl", "none"]), default="starttls",
                     show_default=True, help="加密方式。"),
        click.option("--smtp-user", envvar="PLANKIT_SMTP_USER", default="",
                     help="登录用户名（环境变量 PLANKIT_SMTP_USER）。"
                          "密码只从环境变量 PLANKIT_SMTP_PASSWORD 读取或在提示时输入，不会写入磁盘。"),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def _run(kind, plan_path, quarter, out_dir, departments, outbox, do_send, sender, smtp_host, smtp_port,
         smtp_security, smtp_user, as_json, targets_for=None):
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path, quarter))
    q = parse_quarter(quarter, plan.settings.year)
    extra = None
    chosen = list(departments) or None
    if targets_for is not None:
        extra = targets_for(plan, q, out_dir)
        chosen = [d for d in (chosen or plan.department_names()) if d in extra]
        if not chosen:
            out.say("所有部门都已报送并通过审核，无需提醒。", fg="green")
            out.result({"messages": [], "sent": 0, "failed": 0, "skipped": 0})
            return EXIT_OK
    smtp = None
    if do_send:
        if not smtp_host:
            raise click.UsageError("使用 --send 时必须提供 --smtp-host（或环境变量 PLANKIT_SMTP_HOST）。")
        password = os.environ.get("PLANKIT_SMTP_PASSWORD", "")
        if smtp_user and not password:
            password = click.prompt(f"SMTP密码（{smtp_user}）", hide_input=True, err=True)
        port = smtp_port or (465 if smtp_security == "ssl" else 587)
        smtp = SmtpSettings(smtp_host, port, smtp_security, smtp_user, password)
    items = prepare(plan, q, out_dir, kind=kind, departments=chosen, sender=sender, outbox=outbox, extra=extra)
    if smtp:
        send(items, smtp, sent_log(plan, q, out_dir))
    labels = {"draft": "已生成", "sent": "已发送", "failed": "发送失败", "skipped": "跳过"}
    for item, _ in items:
        line = f"{labels[item.status]}  {item.department}  {item.to or '（无邮箱）'}"
        if item.error:
            line += f"  {item.error}"
        out.say(line, fg={"failed": "red", "skipped": "yellow"}.get(item.status))
    counts = {s: sum(1 for i, _ in items if i.status == s) for s in ("draft", "sent", "failed", "skipped")}
    folder = next((i.eml.parent for i, _ in items if i.eml), None)
    if folder:
        out.say(f"邮件文件（.eml）在：{folder}")
    out.say(f"共{len(items)}封：已发送{counts['sent']}，未发送{counts['draft']}，失败{counts['failed']}，跳过{counts['skipped']}。")
    out.result({"messages": [i.to_dict() for i, _ in items], "sent": counts["sent"],
                "failed": counts["failed"], "skipped": counts["skipped"]})
    return EXIT_PROBLEMS if counts["failed"] or counts["skipped"] else EXIT_OK


@main.command("mail")
@plan_option
@quarter_option
@out_option
@store_option
@_mail_options
@json_option
@handle_errors
def mail_cmd(**kwargs) -> None:
    """给每个部门生成（或发送）附带填报表的邮件。

    \b
    示例：
      plankit mail -q 2019Q2                     # 只生成 .eml 文件，可用邮件客户端打开发送
      PLANKIT_SMTP_PASSWORD=... plankit mail -q 2019Q2 --send \\
          --smtp-host smtp.example.cn --smtp-user ms@example.cn --from ms@example.cn
    填报表尚未生成时会先生成。
    """
    sys.exit(_run("sheets", **kwargs))


@main.command("remind")
@plan_option
@quarter_option
@out_option
@store_option
@_mail_options
@json_option
@handle_errors
def remind_cmd(**kwargs) -> None:
    """给尚未报送或报送被退回的部门生成（或发送）催报邮件。

    \b
    示例：
      plankit remind -q 2019Q2
      plankit remind -q 2019Q2 --send --smtp-host smtp.example.cn
    被退回的部门，邮件中会列出需要修改的问题。
    """
    sys.exit(_run("remind", targets_for=remind_targets, **kwargs))
