"""CLI conventions shared by every command: Chinese usage errors, exit codes, help with examples."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.cli.zh import translate


@pytest.mark.parametrize("args,message", [
    (["sheets"], "错误：缺少必填选项 '--quarter' / '-q'。"),
    (["sheets", "-q", "2", "--bogus"], "错误：没有选项 '--bogus'。"),
    (["nosuch"], "错误：没有命令 'nosuch'。"),
    (["sheets", "-q", "2", "--out"], "错误：选项 '--out' 后面需要一个值。"),
    (["mail", "-q", "2", "--smtp-port", "abc"], "错误：'--smtp-port' 的值 'abc' 不是整数。"),
    (["sheets", "-q", "2", "extra"], "错误：多余的参数：extra。"),
])
def test_usage_errors_are_chinese_and_exit_2(args, message):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Error:" not in result.output and "Traceback" not in result.output


def test_suggestion_is_kept():
    assert translate("No such option '--quater'. Did you mean '--quarter'?") == \
        "没有选项 '--quater'。您是不是要用 --quarter？"


def test_unknown_message_passes_through():
    assert translate("计划中没有这些部门：x。") == "计划中没有这些部门：x。"


@pytest.mark.parametrize("command", [["plan", "check"], ["plan", "new"], ["plan", "import"], ["plan", "suggest"],
                                     ["sheets"], ["mail"], ["remind"], ["merge"], ["status"], ["report"],
                                     ["brief"], ["demo"]])
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert "示例" in result.output and "plankit " in result.output
    assert not any(word in result.output for word in ("Usage:", "Options:", "Commands:", "Show this message",
                                                      "[default:", " TEXT", " FILE", " INTEGER", " DIRECTORY"))


def test_help_page_chrome_is_chinese_and_columns_line_up_by_display_width():
    import unicodedata
    output = CliRunner().invoke(main, ["merge", "--help"], prog_name="plankit").output
    assert output.startswith("用法: plankit merge [选项] [文件或文件夹]...\n")
    assert "\n选项:\n" in output and "显示本帮助并退出。" in output and "[默认：out]" in output

    def help_column(line: str) -> int:  # display columns before the help text
        head = line[:line.index("  ", 4)].rstrip() if "  " in line[4:] else line
        rest = line[len(head):]
        width = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in head)
        return width + len(rest) - len(rest.lstrip(" "))
    lines = [line for line in output.splitlines() if line.startswith(("  --plan", "  --rebuild", "  --prefer"))]
    assert len(lines) == 3 and len({help_column(line) for line in lines}) == 1, lines
    assert "\n命令:\n" in CliRunner().invoke(main, ["--help"]).output
