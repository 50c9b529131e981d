"""`plankit report`: the consolidated quarterly progress workbook."""
from __future__ import annotations

from pathlib import Path

import click

from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.render.report import build_report
from toolkit.cli.app import main
from toolkit.cli.common import (Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option,
    resolve_plan)


@main.command("report")
@plan_option
@quarter_option
@out_option
@store_option
@json_option
@handle_errors
def report(plan_path: Path | None, quarter: str, out_dir: Path, as_json: bool) -> None:
    """生成季度进展汇总表（Excel）：总览、任务进展、指标完成、滞后事项、报送情况、季度趋势。

    \b
    示例：
      plankit report -q 2019Q2
      plankit report --plan plans/lianyungang-2019.xlsx --quarter 二季度 --out out/
      plankit report -q Q2 --json
    使用已合并（plankit merge）的报送数据；尚未合并的季度也能生成，所有任务显示为“未报送”。
    文件写在 out/<计划编号>/<季度>/report/ 下，例如 2019年第二季度民生实事进展汇总.xlsx。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path, quarter))
    q = parse_quarter(quarter, plan.settings.year)
    result = build_report(plan, q, out_dir)
    ev = result.evaluation
    if result.merging:
        out.warn(f"注意：生成时另一个合并正在进行（{result.merging}），本汇总表可能还不包含正在合并的文件。"
                 f"合并结束后请重新运行 plankit report -q {q.code}。")
    out.say(f"{plan.settings.title}　" + (f"{q.year}年完成情况汇总" if ev.year_end else f"{q.label}进展汇总"),
            bold=True)
    if ev.returned == 0:
        out.warn(f"{q.label}还没有已接收的报送文件（尚未合并，或文件均被拒收），所有任务均为“未报送”。"
                 f"请先运行 plankit merge -q {q.code} 收件箱目录/")
    out.say("　".join(f"{s} {n}" for s, n in ev.counts.items()))
    if ev.year_end:
        out.say(f"报送 {ev.returned}/{ev.expected} 个单位（按时 {ev.on_time} 个），"
                f"未全部完成 {len(ev.unfinished())} 项（{'、'.join(ev.statuses[1:3])}）。")
    else:
        out.say(f"报送 {ev.returned}/{ev.expected} 个单位（按时 {ev.on_time} 个），"
                f"滞后任务 {ev.counts['滞后']} 项。")
    if as_json:
        out.result({"path": str(result.path), "quarter": q.code, "counts": ev.counts,
                    "expected": ev.expected, "returned": ev.returned, "on_time": ev.on_time,
                    "lagging": [t.task.no for t in ev.lagging()],
                    "unfinished": [t.task.no for t in ev.unfinished()]})
    else:
        click.echo(str(result.path))
