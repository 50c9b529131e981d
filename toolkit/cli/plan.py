"""`plankit plan ...`: check (and later create and import) master workbooks."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS
from toolkit.plan.workbook import check_plan
from toolkit.plan.check import summary
from toolkit.cli.app import main
from toolkit.cli.common import Output, handle_errors, json_option, plan_argument_or_option, plan_option


@main.group()
def plan() -> None:
    """计划主表：检查、新建、导入。"""


@plan.command("check")
@click.argument("given", required=False, type=click.Path(path_type=Path, dir_okay=False), metavar="[计划主表]")
@plan_option
@json_option
@handle_errors
def check(given: Path | None, plan_path: Path | None, as_json: bool) -> None:
    """检查计划主表并汇总（任务、部门、指标数，各部门任务数）。

    \b
    示例：
      plankit plan check plans/lianyungang-2019.xlsx
      plankit plan check --plan plans/lianyungang-2019.xlsx
      plankit plan check --json
    有错误时退出码为1；只有警告时为0；文件无法读取时为2。
    """
    out = Output(as_json)
    path = plan_argument_or_option(given, plan_path)
    result = check_plan(path)
    info = summary(result.plan)
    report = result.report
    out.say(f"计划：{info['title']}（{info['year']}年，编号 {info['plan_id']}）", bold=True)
    out.say(f"任务 {info['tasks']} 项，部门 {info['departments']} 个，"
            f"指标 {info['indicators']} 个（涉及 {info['tasks_with_indicators']} 项任务）")
    if info["per_department"]:
        out.say("")
        width = max(len(n) for n in info["per_department"]) + 2
        out.say(f"{'部门'.ljust(width, '　')}牵头  配合  指标")
        for name, c in info["per_department"].items():
            out.say(f"{name.ljust(width, '　')}{c['lead']:>4}  {c['co']:>4}  {c['indicators']:>4}")
    if report.problems:
        out.say("")
        for p in report.problems:
            out.say(str(p), fg="red" if p.severity == "error" else "yellow")
    out.say("")
    out.say(f"错误 {len(report.errors)} 个，警告 {len(report.warnings)} 个。",
            fg="red" if report.errors else "green")
    out.result({**info, "problems": report.to_list()})
    sys.exit(EXIT_PROBLEMS if report.errors else EXIT_OK)

