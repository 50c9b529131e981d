"""`plankit sheets`: one fill-in workbook per department for a quarter."""
from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import click

from toolkit.errors import PlankitError
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.fillin.files import MANIFEST
from toolkit.fillin.generate import generate_sheets, select_departments
from toolkit.cli.app import main
from toolkit.cli.common import (Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option,
    resolve_plan)


def load_previous(plan, quarter, out_dir: Path, out: Output):
    """Last quarter's merged returns when the store module exists and has them, else None.

    A store that cannot be read only costs the 上季度 columns, so it is a warning here.
    """
    if quarter.previous is None:
        return None
    try:
        from toolkit.store import db as store  # written by the merge step; optional here
        data = store.load_quarter(plan, quarter.previous, out_dir)
    except (ImportError, AttributeError):
        return None
    except PlankitError as exc:
        out.warn(f"警告：无法读取{quarter.previous.label}的汇总数据，填报表将不含上季度列。（{exc}）")
        return None
    return data if data and getattr(data, "returns", None) else None


@main.command("sheets")
@plan_option
@quarter_option
@click.option("--dept", "departments", multiple=True, metavar="部门",
              help="只生成这些部门（可重复，或用逗号、顿号分隔）。默认：所有有任务的部门。")
@click.option("--password", default=None, help="工作表保护密码（默认不设密码，只锁定）。")
@click.option("--allow-suggested", is_flag=True, help="计划中仍有未核对的【建议】指标时也照样生成（默认拒绝）。")
@out_option
@store_option
@json_option
@handle_errors
def sheets(plan_path: Path | None, quarter: str, departments: tuple[str, ...], password: str | None,
           allow_suggested: bool, out_dir: Path, as_json: bool) -> None:
    """生成各部门的季度进展填报表（每个部门一个 .xlsx，可直接发邮件）。

    \b
    示例：
      plankit sheets -q 2019Q2
      plankit sheets --plan plans/lianyungang-2019.xlsx --quarter 二季度 --dept 市教育局 --dept 市卫健委
      plankit sheets -q Q3 --out out/ --json
    文件写在 out/<计划编号>/<季度>/sheets/ 下，同时生成 manifest.json 清单。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path, quarter))
    q = parse_quarter(quarter, plan.settings.year)
    previous = load_previous(plan, q, out_dir, out)
    names = select_departments(plan, list(departments) or None)  # unknown names fail before any output
    with contextlib.ExitStack() as stack:
        bars: list = []  # opened on the first finished file, so early errors print alone

        done_count = [0, 0]  # (done, total), for the line that ends a bar cut short by an error

        def progress(done: int, total: int, dept: str) -> None:
            if not bars:
                bars.append(stack.enter_context(click.progressbar(
                    length=total, label="生成填报表", show_pos=True, file=sys.stderr)))
            bars[0].update(1)
            done_count[:] = [done, total]

        try:
            files = generate_sheets(plan, q, out_dir, names, password=password, previous=previous,
                                    progress=progress, allow_suggested=allow_suggested)
        except BaseException:
            if bars:  # the bar's label would otherwise stand above the error as if all went well
                stack.close()
                click.echo(f"生成填报表：写完 {done_count[0]} 个（共 {done_count[1]} 个）后中断，本次的填报表都未放入"
                           "sheets 文件夹（原有的不变）。", err=True)
            raise
    folder = files[0].path.parent if files else out_dir
    out.say(f"{plan.settings.title}　{q.label}填报表", bold=True)
    if previous is not None and q.previous is not None:
        out.say(f"已带入{q.previous.label}的汇总数据（上季度报送进展、上季度末累计）。")
    width = max([len(f.department) for f in files] + [4]) + 2
    out.say(f"{'部门'.ljust(width, '　')}任务  指标  文件")
    for f in files:
        out.say(f"{f.department.ljust(width, '　')}{f.tasks:>4}  {f.indicators:>4}  {f.path.name}")
    out.say("")
    out.say(f"共生成 {len(files)} 个填报表，保存在 {folder}（清单：{MANIFEST}）。", fg="green")
    out.result({"quarter": q.code, "folder": str(folder), "manifest": str(folder / MANIFEST),
                "files": [{"department": f.department, "path": str(f.path), "tasks": f.tasks,
                           "indicators": f.indicators} for f in files]})
