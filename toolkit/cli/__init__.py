"""The `plankit` command line: a thin click layer over the library.

Each command parses options, calls one library function and prints a summary.
"""
from __future__ import annotations

import click

from .. import __version__
from .zh import ChineseGroup


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


from . import plan as _plan  # noqa: E402,F401  (registers commands)
from . import sheets as _sheets  # noqa: E402,F401
from . import merge as _merge  # noqa: E402,F401
from . import report as _report  # noqa: E402,F401
from . import brief as _brief  # noqa: E402,F401
from . import mail as _mail  # noqa: E402,F401
from . import demo as _demo  # noqa: E402,F401
