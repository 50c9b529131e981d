"""`plankit fetch`: take returns from the mailbox over IMAP, merge them, answer with receipts."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from toolkit.mail.fetch import FetchResult, fetch, watch
from toolkit.mail.imap import CONFIG_NAME, ImapSettings, read_config
from toolkit.mail.outgoing import SmtpSettings
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.cli.app import main
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option, resolve_plan
from toolkit.cli.merge import _print_receipt

SECURITY = click.Choice(["ssl", "starttls", "none"])


@main.command("fetch")
@plan_option
@quarter_option
@out_option
@store_option
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help=f"邮箱配置文件（默认：当前文件夹的 {CONFIG_NAME}，有则读取）。")
@click.option("--imap-host", envvar="PLANKIT_IMAP_HOST", default=None,
              help="收件服务器（IMAP；环境变量 PLANKIT_IMAP_HOST）。")
@click.option("--imap-port", envvar="PLANKIT_IMAP_PORT", type=int, default=None,
              help="端口（默认：ssl 993，其他 143）。")
@click.option("--imap-security", type=SECURITY, default=None, help="加密方式（默认 ssl）。")
@click.option("--imap-user", envvar="PLANKIT_IMAP_USER", default=None,
              help="邮箱用户名（环境变量 PLANKIT_IMAP_USER）。"
                   "密码只从环境变量 PLANKIT_IMAP_PASSWORD 读取或在提示时输入。")
@click.option("--folder", default=None, help="收取哪个文件夹（默认 INBOX，可用中文名）。")
@click.option("--move-to", default=None, metavar="文件夹", help="文件存好后把邮件移到这个文件夹（从不删除邮件）。")
@click.option("--reply", is_flag=True, help="给每封来信发回执（SMTP 设置同 plankit mail）。")
@click.option("--from", "sender", envvar="PLANKIT_MAIL_FROM", default=None, help="回执的发件人。")
@click.option("--smtp-host", envvar="PLANKIT_SMTP_HOST", default=None, help="发件服务器（SMTP）。")
@click.option("--smtp-port", envvar="PLANKIT_SMTP_PORT", type=int, default=None,
              help="端口（默认：ssl 465，其他 587）。")
@click.option("--smtp-security", type=SECURITY, default=None, help="加密方式（默认 starttls）。")
@click.option("--smtp-user", envvar="PLANKIT_SMTP_USER", default=None,
              help="发件登录用户名。密码只从环境变量 PLANKIT_SMTP_PASSWORD 读取或在提示时输入。")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="日期",
              help="只收取这一天及以后到达的邮件（默认：本季度第一天），如 2019-06-25。")
@click.option("--watch", "every", type=click.IntRange(min=10), default=None, metavar="秒",
              help="每隔这么多秒收取一次，直到按 Ctrl+C。")
@json_option
@handle_errors
def fetch_cmd(plan_path, quarter, out_dir, config_path, imap_host, imap_port, imap_security, imap_user, folder,
              move_to, reply, sender, smtp_host, smtp_port, smtp_security, smtp_user, since, every,
              as_json) -> None:
    """从邮箱收取各部门报回的填报表，合并，并（可选）给每封来信发回执。

    \b
    只处理没收过的邮件，从不删除邮件；每封邮件只合并、只回执一次。
    被退回或有提醒的填报表，回执附带“退回修改表”（原表标出问题单元格）。
    自动回复、外出回复和退信不会回复。
    \b
    示例：
      PLANKIT_IMAP_PASSWORD=... plankit fetch -q 2019Q2 --imap-host imap.example.cn --imap-user ms@example.cn
      plankit fetch -q 2019Q2 --reply --watch 300          设置写在 plankit-mail.ini 中
      plankit fetch -q 2019Q2 --folder 报送 --move-to 已处理
    有文件被退回或回执发送失败时退出码为1；用法或连接错误为2。
    """
    out = Output(as_json)
    conf = read_config(config_path)
    im, sm = conf.get("imap", {}), conf.get("smtp", {})
    host = imap_host or im.get("host", "")
    if not host:
        raise UsageError("请用 --imap-host 指定收件服务器（或写在邮箱配置文件中）。",
                         hint=f"例如：plankit fetch -q 2019Q2 --imap-host imap.example.cn --imap-user ms@example.cn；"
                              f"配置文件 {CONFIG_NAME} 的写法见用户手册。")
    security = imap_security or im.get("security", "ssl")
    user = imap_user or im.get("user", "")
    password = os.environ.get("PLANKIT_IMAP_PASSWORD", "")
    if user and not password:
        password = click.prompt(f"收件邮箱密码（{user}）", hide_input=True, err=True)
    port = imap_port or _port(im.get("port"), 993 if security == "ssl" else 143)
    imap = ImapSettings(host, port, security, user, password, folder or im.get("folder", "INBOX"),
                        move_to if move_to is not None else im.get("move_to", ""))
    smtp = None
    if reply:
        s_host = smtp_host or sm.get("host", "")
        if not s_host:
            raise UsageError("使用 --reply 时必须提供 --smtp-host（或写在邮箱配置文件的 [smtp] 中）。")
        s_security = smtp_security or sm.get("security", "starttls")
        s_user = smtp_user or sm.get("user", "")
        s_password = os.environ.get("PLANKIT_SMTP_PASSWORD", "")
        if s_user and not s_password:
            s_password = click.prompt(f"SMTP密码（{s_user}）", hide_input=True, err=True)
        s_port = smtp_port or _port(sm.get("port"), 465 if s_security == "ssl" else 587)
        smtp = SmtpSettings(s_host, s_port, s_security, s_user, s_password)
        sender = sender or sm.get("from", "")
    plan = load_plan(resolve_plan(plan_path))
    q = parse_quarter(quarter, plan.settings.year)

    def run() -> FetchResult:
        return fetch(plan, q, out_dir, imap, smtp=smtp, sender=sender or "", since=since.date() if since else None)

    if every is None:
        result = run()
        _print(out, result, q)
        out.result(result.to_dict())
        bad = result.failed or (result.merge is not None and not result.merge.ok)
        sys.exit(EXIT_PROBLEMS if bad else EXIT_OK)

    def on_round(n, result, at) -> None:
        if isinstance(result, Exception):
            click.echo(f"{at:%H:%M:%S} 第{n}轮：{result}（{every}秒后重试）", err=True)
            return
        files = len(result.merge.files) if result.merge else 0
        line = (f"{at:%H:%M:%S} 第{n}轮：新邮件{result.count('merged')}封，文件{files}个，"
                f"回执{result.answered}封，自动回复{result.count('ignored')}封未理会")
        if result.failed:
            line += f"，{len(result.failed)}封回执未发出（下一轮重试）"
        click.echo(line, err=as_json)
        for m in result.mismatches:
            click.echo(f"  发件人 {m['sender']} 不是{m['department']}登记的邮箱（{m['registered']}）", err=as_json)

    out.say(f"开始收取 {imap.account} 的“{imap.folder}”，每{every}秒一次，按 Ctrl+C 结束。")
    try:
        watch(run, every, on_round)
    except KeyboardInterrupt:
        out.say("已停止收取。")
    sys.exit(EXIT_OK)


def _port(value, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        raise UsageError(f"邮箱配置文件中的端口“{value}”不是数字。")


def _print(out: Output, result: FetchResult, q) -> None:
    for m in result.messages:
        if m.what == "ignored":
            out.say(f"未理会 UID {m.uid}  {m.sender}  {m.subject}：{m.reason}", fg="yellow")
        elif m.what == "again":
            out.say(f"已收过 UID {m.uid}  {m.subject}（服务器重新编号，不再处理）")
    if result.merge is not None:
        _print_receipt(out, result.merge, q)
    else:
        out.say("没有新邮件。")
    for mm in result.mismatches:
        out.say(f"注意：{mm['department']}的文件由 {mm['sender']} 发来，不是该单位登记的邮箱（{mm['registered']}）。",
                fg="yellow")
    if result.moved:
        out.say(f"已把 {result.moved} 封邮件移到 --move-to 指定的文件夹。")
    if result.answered:
        out.say(f"已发回执 {result.answered} 封。", fg="green")
    for text in result.failed + result.notes:
        out.say(text, fg="red")
