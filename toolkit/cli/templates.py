"""`plankit templates copy`: the bundled templates, copied out to be edited."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from toolkit import resources
from toolkit.errors import EXIT_OK
from toolkit.cli.app import main
from toolkit.cli.common import Output, handle_errors, json_option


@main.group()
def templates() -> None:
    """模板：把随附的简报、督办通知和邮件模板复制出来修改。"""


@templates.command("copy")
@click.argument("target", required=False, default=Path("templates"), metavar="[目录]",
                type=click.Path(path_type=Path, file_okay=False))
@json_option
@handle_errors
def copy(target: Path, as_json: bool) -> None:
    """把随附的模板复制到目录（默认：当前文件夹下的 templates/），已有的文件不会被覆盖。

    \b
    示例：
      plankit templates copy
      plankit templates copy 我的模板/
    plankit 先找当前文件夹 templates/ 下的模板，没有时才用随附的模板（邮件模板逐个文件查找）。
    复制到其他目录时，简报和督办通知模板要用 plankit brief --template、--notice-template 指定。
    """
    out = Output(as_json)
    copied, kept = resources.copy_templates(target)
    out.say(f"随附的模板在：{resources.bundled('templates')}")
    for path in copied:
        out.say(f"  已复制：{path}")
    for path in kept:
        out.say(f"  已存在，未覆盖：{path}", fg="yellow")
    out.say(f"已复制 {len(copied)} 个文件到 {target}" + (f"，{len(kept)} 个已存在的文件保持不变。" if kept else "。"),
            fg="green")
    out.result({"target": str(target), "bundled": str(resources.bundled("templates")),
                "copied": [str(p) for p in copied], "kept": [str(p) for p in kept]})
    sys.exit(EXIT_OK)
