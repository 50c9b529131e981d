"""The `plankit` group itself; each command module adds its commands to it."""
from __future__ import annotations

import click

from toolkit.version import __version__
from toolkit.cli.zh import ChineseGroup


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="plankit")
def main() -> None:
    """plankit：按季度跟踪年度计划（民生实事）的Excel工具。

    \b
    一个季度的工作流程：
      plankit plan check          检查计划主表
      plankit sheets -q 2019Q2    生成各部门填报表
      plankit merge -q 2019Q2 收件箱/   汇总各部门报回的文件
      plankit report -q 2019Q2    生成进展汇总表
      plankit brief -q 2019Q2     生成简报
    """

