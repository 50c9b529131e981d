"""Chinese wording for click's own texts: usage errors and the --help page's chrome.

Click prints these in English before any plankit code runs; office staff read Chinese,
so the group re-words the common usage errors (keeping click's exit code 2), and the
help page's headings, usage prefix and option notes go through click's own gettext
hook (`_` in click's modules) with the table below. Help columns are aligned by display
width, so Chinese metavars line up.
"""
from __future__ import annotations

import re
import sys
import unicodedata

import click
import click.core
import click.decorators
import click.formatting
import click._textwrap

_HELP_TEXTS = {
    "Usage:": "用法:", "Options": "选项", "Commands": "命令",
    "Show this message and exit.": "显示本帮助并退出。", "Show the version and exit.": "显示版本号并退出。",
    "default: {default}": "默认：{default}", "required": "必填", "env var: {var}": "环境变量：{var}",
}


def _gettext(message: str) -> str:
    return _HELP_TEXTS.get(message, message)


def _display_width(text: str) -> int:
    """Columns `text` takes on a terminal: colour codes none, CJK characters two (click's own
    term_len, which this replaces, strips the codes and counts characters)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in click.unstyle(text))


_CLOSING = set("，。、；：？！）」』”’》】…")  # never the first thing on a line
_OPENING = set("（「『“‘《【")  # never the last thing on a line


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in "WF"


def _chunks(text: str) -> list[str]:
    """Where a help line may break: at spaces, and between two Chinese characters; an ASCII word
    or path (`.csv`, `plans/`) is one chunk, closing punctuation stays with what it closes and
    opening punctuation with what it opens."""
    chunks: list[str] = []
    glue = False  # the last chunk ended with opening punctuation: the next character joins it
    for ch in text:
        last = chunks[-1] if chunks else ""
        if ch.isspace():
            if last.isspace():
                chunks[-1] += ch
            else:
                chunks.append(ch)
            glue = False
            continue
        joins = last and not last.isspace() and (glue or ch in _CLOSING or not (_wide(ch) or _wide(last[-1])))
        if joins:
            chunks[-1] += ch
        else:
            chunks.append(ch)
        glue = ch in _OPENING
    return chunks


class _Wrapper(click._textwrap.TextWrapper):
    """click's help wrapper, measuring display width (a Chinese character takes two columns) and
    breaking only where _chunks allows; a single chunk wider than the line is kept whole."""

    def _split(self, text: str) -> list[str]:
        return _chunks(text)

    def _wrap_chunks(self, chunks: list[str]) -> list[str]:
        lines: list[str] = []
        chunks = list(reversed(chunks))
        while chunks:
            indent = self.subsequent_indent if lines else self.initial_indent
            width = self.width - _display_width(indent)
            if self.drop_whitespace and lines and not chunks[-1].strip():
                chunks.pop()
                continue
            line: list[str] = []
            used = 0
            while chunks and used + _display_width(chunks[-1]) <= width:
                used += _display_width(chunks[-1])
                line.append(chunks.pop())
            if chunks and not line:  # a word longer than the line: whole, never cut inside
                line.append(chunks.pop())
            if self.drop_whitespace and line and not line[-1].strip():
                line.pop()
            if line:
                lines.append(indent + "".join(line))
        return lines


for _module in (click.core, click.decorators, click.formatting):
    if hasattr(_module, "_"):
        _module._ = _gettext  # type: ignore[attr-defined]  # click's private gettext alias, in some versions only
if hasattr(click.formatting, "term_len"):
    click.formatting.term_len = _display_width  # type: ignore[assignment]  # same call, parameter named text, not x
click._textwrap.TextWrapper = _Wrapper  # type: ignore[misc]  # click.formatting.wrap_text imports it at each call

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


def _metavar(param: click.Parameter) -> str | None:
    """A Chinese placeholder for an option value whose type would print TEXT, FILE, INTEGER..."""
    t = param.type
    if isinstance(t, click.Path):
        return "文件" if not t.dir_okay else "目录" if not t.file_okay else "路径"
    if isinstance(t, (click.types.IntParamType, click.IntRange)):
        return "整数"
    if isinstance(t, (click.types.FloatParamType, click.FloatRange)):
        return "数字"
    if isinstance(t, click.DateTime):
        return "日期"
    if isinstance(t, click.types.StringParamType):
        return "文字"
    return None  # a Choice lists its values


class ChineseCommand(click.Command):
    """A command whose usage line reads `用法: plankit merge [选项] ...` and whose option values
    have Chinese placeholders unless a metavar was given."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        super().__init__(*args, **kwargs)
        for param in self.params:
            if isinstance(param, click.Option) and param.metavar is None and not param.is_flag:
                param.metavar = _metavar(param)


class ChineseGroup(click.Group):
    """A click group whose usage errors are shown in Chinese (exit code 2, as click does)."""

    command_class = ChineseCommand
    group_class = type  # subgroups (plankit plan ...) are ChineseGroups too

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("options_metavar", "[选项]")
        kwargs.setdefault("subcommand_metavar", "命令 [参数]...")
        super().__init__(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # Bare `plankit` (or `plankit plan`) asks for the help page: print it and exit 0. Click 8.2+
        # raises it as a usage error (exit 2, shown after 错误：), 8.1 prints it; both now print.
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            click.echo(ctx.get_help(), color=ctx.color)
            ctx.exit(0)
        return super().parse_args(ctx, args)

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
                click.echo(exc.ctx.get_usage(), err=True)
            click.echo(f"{hint}\n错误：{translate(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"错误：{translate(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
