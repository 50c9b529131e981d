"""`plankit plan breakdown`: a published breakdown table (地区 × 指标) into the plan's 分解 sheet."""
from __future__ import annotations

from pathlib import Path

import click

from toolkit.errors import PlanError, UsageError
from toolkit.plan.breakdown_table import read_breakdown_table, with_breakdown
from toolkit.plan.workbook import read_plan, write_plan
from toolkit.cli.common import Output, handle_errors, json_option
from toolkit.cli.plan import plan


@plan.command("breakdown")
@click.argument("table", type=click.Path(path_type=Path, dir_okay=False), metavar="分解表")
@click.argument("plan_path", type=click.Path(path_type=Path, dir_okay=False), metavar="计划主表")
@click.option("--write", is_flag=True, help="把读到的分解数写入计划主表的“分解”表（按标准格式重写文件）。")
@json_option
@handle_errors
def breakdown(table: Path, plan_path: Path, write: bool, as_json: bool) -> None:
    """读取公布的分解表（每个地区一行、每个指标一列或“目标/完成/完成比例”一组列）。

    \b
    示例：
      plankit plan breakdown 2019年分解表.xlsx plans/meishan-2019.xlsx
      plankit plan breakdown 2019年分解表.xlsx plans/meishan-2019.xlsx --write
    指标按名称与计划“指标”表对应；新出现的地区同时登记到“部门”表。
    """
    out = Output(as_json)
    if not plan_path.exists():
        raise UsageError(f"找不到计划主表：{plan_path}")
    read = read_plan(plan_path)
    imported = read_breakdown_table(read.plan, table)
    per: dict[str, list] = {}
    for s in imported.shares:
        per.setdefault(f"第{s.task_no}项 {s.name}", []).append(s)
    for name, shares in per.items():
        out.say(f"{name}：{len(shares)}个单位，合计{sum(s.target for s in shares):g}")
    for line in imported.todo:
        out.say(f"  待核对：{line}", fg="yellow")
    out.say(f"读到分解指标 {len(per)} 个、地区 {len(imported.units)} 个。", bold=True)
    if write and imported.shares:
        if read.report.errors:
            listed = "\n".join(f"  {p}" for p in read.report.errors[:5])
            raise PlanError(f"计划主表有以下错误，重写文件会丢失这些单元格的内容，未写入：\n{listed}",
                            hint=f"\n请先修正（plankit plan check {plan_path}），再运行 --write。")
        write_plan(with_breakdown(read.plan, imported), plan_path)
        out.say(f"已写入 {plan_path} 的“分解”表。请运行 plankit plan check {plan_path} 检查。", fg="green")
    elif imported.shares:
        out.say(f"加 --write 写入计划主表：plankit plan breakdown {table} {plan_path} --write")
    out.result({"plan": str(plan_path), "written": bool(write and imported.shares), "units": imported.units,
                "indicators": {k: len(v) for k, v in per.items()}, "todo": imported.todo})
