"""`plankit export`: every stored value of a quarter as a .csv or .xlsx table."""
from __future__ import annotations

from pathlib import Path

import click

from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.store.export import FORMATS, export_quarter
from toolkit.cli.app import main
from toolkit.cli.common import (Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option,
    resolve_plan)


@main.command("export")
@plan_option
@quarter_option
@out_option
@store_option
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv 或 xlsx（默认：按 -o 的扩展名，否则 csv）。")
@click.option("-o", "--output", "target", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="输出文件（默认：out/<计划编号>/<季度>/export/ 下，如 2019年第二季度民生实事填报数据.csv）。")
@json_option
@handle_errors
def export(plan_path: Path | None, quarter: str, out_dir: Path, fmt: str | None, target: Path | None,
           as_json: bool) -> None:
    """导出一个季度已汇总的全部填报数据（含各版本与来源），供Excel或其他软件分析。

    \b
    示例：
      plankit export -q 2019Q2
      plankit export -q Q2 --format xlsx -o 二季度填报数据.xlsx
    每个部门每项任务、每个指标一行：进展状态、完成百分比、进展、问题、下一步、指标累计值，
    以及来源（文件名、SHA256、工作表、单元格、发件人、收到时间、是否当前版本）。
    csv 为带BOM的UTF-8，可直接用Excel/WPS打开。该季度没有任何已接收数据时退出码为1。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path))
    q = parse_quarter(quarter, plan.settings.year)
    result = export_quarter(plan, q, out_dir, target, fmt=fmt)
    out.say(f"{q.label}：导出 {result.rows} 行（{result.departments} 个单位），格式 {result.format}。")
    out.say(str(result.path), fg="green")
    out.result({"quarter": q.code, "path": str(result.path), "format": result.format, "rows": result.rows,
                "departments": result.departments})
