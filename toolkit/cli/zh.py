"""Chinese wording for click's own usage errors (missing option, unknown option, bad value).

Click prints these in English before any plankit code runs; office staff read Chinese,
so the group re-words the common cases and keeps click's exit code 2.
"""
from __future__ import annotations

import re
import sys

import click

_PATTERNS = (
    (re.compile(r"^Missing option (.+)\.$"), "缺少必填选项 {0}。"),
    (re.compile(r"^Missing argument (.+)\.$"), "缺少参数 {0}。"),
    (re.compile(r"^No such option: (\S+)(?: Did you mean (\S+)\?)?$"), "没有选项 {0}。"),
    (re.compile(r"^No such option '(.+?)'\.(?: Did you mean '(.+?)'\?)?$"), "没有选项 '{0}'。"),
    (re.compile(r"^No such command '(.+)'\.$"), "没有命令 '{0}'。"),
    (re.compile(r"^Option '(.+)' requires an argument\.$"), "选项 '{0}' 后面需要一个值。"),
    (re.compile(r"^Invalid value for (.+?): '(.*)' is not a valid integer\.$"), "{0} 的值 '{1}' 不是整数。"),
    (re.compile(r"^Invalid value for (.+?): '(.*)' is not one of (.+)\.$"), "{0} 的值 '{1}' 无效，可选：{2}。"),
    (re.compile(r"^Invalid value for (.+?): (?:File|Path|Directory) '(.*)' does not exist\.$"), "{0}：找不到 '{1}'。"),
    (re.compile(r"^Invalid value for (.+?): (.*)$"), "{0} 的值无效：{1}"),
    (re.compile(r"^Got unexpected extra arguments? \((.+)\)$"), "多余的参数：{0}。"),
)


def translate(message: str) -> str:
    for pattern, template in _PATTERNS:
        m = pattern.match(message.strip())
        if m:
            text = template.format(*m.groups())
            if "Did you mean" in message and m.lastindex and m.lastindex >= 2 and m.group(2):
                text += f"您是不是要用 {m.group(2)}？"
            return text
    return message


class ChineseGroup(click.Group):
    """A click group whose usage errors are shown in Chinese (exit code 2, as click does)."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Abort:
            click.echo("已中止。", err=True)
            sys.exit(1)
        except click.UsageError as exc:
            hint = ""
            if exc.ctx is not None:
                hint = f"运行 '{exc.ctx.command_path} --help' 查看用法。\n"
                click.echo(exc.ctx.get_usage().replace("Usage:", "用法："), err=True)
            click.echo(f"{hint}\n错误：{translate(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"错误：{translate(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
