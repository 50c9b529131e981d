"""Issue 22 item 12: every command line in the user guide copy-pastes cleanly.

Each ```bash / ```console / ```bat block's `plankit …` lines are parsed by the real click
group (options, arguments and required values checked, nothing run), and no command line
carries a comment (a trailing `# …` breaks in Windows cmd, and a Chinese note on the same
line is pasted along with the command).
"""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from toolkit.cli import main

MANUAL = Path(__file__).parent.parent / "docs" / "用户手册.md"
COMMAND_BLOCKS = ("bash", "console", "bat", "shell", "sh", "cmd")


def blocks() -> list[tuple[str, int, list[str]]]:
    """(language, first line number, lines) of every fenced block."""
    found, lang, start, lines = [], None, 0, []
    for n, line in enumerate(MANUAL.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```(\w*)\s*$", line)
        if fence and lang is None:
            lang, start, lines = fence.group(1), n + 1, []
        elif fence:
            found.append((lang, start, lines))
            lang = None
        elif lang is not None:
            lines.append(line)
    return found


def command_lines() -> list[tuple[int, str]]:
    """(line number, command) in command blocks; `$ ` prompts dropped, `\\` continuations joined."""
    out = []
    for lang, start, lines in blocks():
        if lang not in COMMAND_BLOCKS:
            continue
        pending, first = "", 0
        for k, raw in enumerate(lines):
            text = raw.strip()
            if not text and not pending:
                continue
            text = text[2:] if text.startswith("$ ") else text
            if not pending:
                first = start + k
            if text.endswith("\\"):
                pending += text[:-1] + " "
                continue
            out.append((first, pending + text))
            pending = ""
    return out


def _rest(ctx: click.Context) -> list[str]:
    """What a group left for its subcommand (click 8.2+ keeps it in _protected_args + args)."""
    return [*getattr(ctx, "_protected_args", []), *ctx.args]


def parse(args: list[str]) -> None:
    """Resolve and parse a command line with the real group, as click would, without running it."""
    ctx = main.make_context("plankit", list(args))
    cmd, rest = main, _rest(ctx)
    while isinstance(cmd, click.Group) and rest:
        name, cmd, rest = cmd.resolve_command(ctx, rest)
        ctx = cmd.make_context(name, list(rest), parent=ctx)
        rest = _rest(ctx) if isinstance(cmd, click.Group) else []


PLANKIT_LINES = [(n, line) for n, line in command_lines() if line.startswith("plankit")]


def test_the_manual_has_command_blocks():
    assert len(PLANKIT_LINES) >= 30
    plain = [(start, line) for lang, start, lines in blocks() if lang == "" for line in lines
             if line.strip().startswith("plankit ")]
    assert plain == [], "command lines belong in ```bash blocks (so this test reads them)"


@pytest.mark.parametrize("n,line", PLANKIT_LINES, ids=[f"line{n}" for n, _ in PLANKIT_LINES])
def test_every_plankit_line_parses(n, line, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # parsing never touches files, but keep any surprise out of the checkout
    try:
        parse(shlex.split(line)[1:])
    except click.exceptions.Exit:
        pass  # --help / --version
    except click.ClickException as exc:
        pytest.fail(f"用户手册第{n}行无法解析：{line}\n{exc.format_message()}")


@pytest.mark.parametrize("n,line", command_lines(), ids=[f"line{n}" for n, _ in command_lines()])
def test_no_command_line_carries_a_comment(n, line):
    assert not line.startswith(("#", "REM ", "::")), f"第{n}行是注释行：{line}"
    assert not re.search(r"\s#(\s|$)", line), f"第{n}行末尾带注释（在Windows命令行中会出错）：{line}"
    assert not re.search(r"\s{2,}[\u4e00-\u9fff]", line), f"第{n}行末尾带中文说明（会被一起复制）：{line}"
