"""`plankit plan new | import | suggest`: start next year's plan."""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import click

from toolkit import problems as P
from toolkit.errors import (
    EXIT_OK, EXIT_PROBLEMS, PLAN_INVALID, USAGE_FILE_EXISTS, PlanError, UsageError)
from toolkit.plan.workbook import read_plan, write_plan
from toolkit.plan.headers import parse_map
from toolkit.plan.published import import_plan
from toolkit.plan.blank import default_year, write_blank
from toolkit.plan.suggest import merge_suggestions, suggest_plan
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_argument_or_option, plan_option
from toolkit.cli.plan import plan

KIND_NAMES = {"docx": "Word表格", "text": "文本", "xlsx": "Excel表格", "csv": "CSV表格"}
# Problems that a rewrite of the workbook keeps exactly as they are (so `suggest --write` is safe).
KEPT_BY_REWRITE = {"plan-empty-field", "plan-empty-milestone", "plan-unknown-unit", "plan-missing-no",
                   "plan-duplicate-no", "plan-owner-not-unit", "plan-duplicate-indicator", "plan-no-tasks",
                   "plan-cumulative-wrong-way", "plan-q4-misses-target", "plan-indicator-unknown-task",
                   "plan-missing-setting"}


def _refuse_overwrite(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise UsageError(f"文件已存在：{path}。为免覆盖已填写的内容，未做任何修改。",
                         hint="\n确需覆盖请加 --force，或用 -o 换一个文件名。", code=USAGE_FILE_EXISTS)
    if path.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件应以.xlsx结尾：{path}")


def _year_option(f):
    return click.option("--year", type=click.IntRange(2000, 2100), default=None,
                        help="计划年度（四位数字）。")(f)


@plan.command("new")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False), metavar="新主表")
@_year_option
@click.option("--title", default="", help="计划名称，如“2020年连云港市50件民生实事序时进度安排方案”。")
@click.option("--force", is_flag=True, help="覆盖已存在的文件。")
@click.option("--carry-over", "carry_from", type=click.Path(path_type=Path, dir_okay=False),
              default=None, metavar="上年主表",
              help="把上年主表中年末“基本完成”“未完成”的任务结转到新主表（按 --out 中的上年数据计算剩余目标）。")
@out_option
@store_option
@json_option
@handle_errors
def new(path: Path, year: int | None, title: str, force: bool, carry_from: Path | None, out_dir: Path,
        as_json: bool) -> None:
    """新建空白计划主表（含填写说明、列标题批注、下拉选项和示例行），可结转上年未完成任务。

    \b
    示例：
      plankit plan new plans/lianyungang-2020.xlsx --year 2020 --title "2020年连云港市50件民生实事序时进度安排方案"
      plankit plan new plans/lianyungang-2020.xlsx --carry-over plans/lianyungang-2019.xlsx --out out
    不指定 --year 时：10月起按下一年，结转时为上年的下一年。结转的任务名称带“（结转）”，
    剩余目标 = 全年目标 − 年末完成值（“≤”指标保留原目标），单位和牵头、配合单位不变。
    新计划放在 plans/ 目录，与上一年的计划并存：各命令按 --quarter 的年份自动选用对应年度的计划。
    """
    out = Output(as_json)
    _refuse_overwrite(path, force)
    if carry_from is not None:
        from toolkit.evaluate.carryover import start_carried_plan
        from toolkit.plan.workbook import load_plan
        from_plan = load_plan(carry_from)
        co = start_carried_plan(from_plan, out_dir, path, year=year, title=title)
        out.say(f"已生成{co.year}年计划主表：{path}，结转{co.from_year}年任务{len(co.carried)}项"
                f"（指标{len(co.indicators)}个，涉及单位{len(co.departments)}个）。", fg="green")
        for t in co.carried:
            out.say(f"  结转 第{t.task.no}项 {t.task.name}：{t.status}"
                    + (f"（{t.percent:g}%）" if t.percent is not None else ""))
        if co.not_reported:
            out.warn(f"提示：{len(co.not_reported)}项任务四季度未报送，无法判断是否完成，未结转："
                     + "、".join(f"第{t.task.no}项" for t in co.not_reported) + "。请核实后手工补入。")
        out.say("请补充新一年的任务，核对结转任务的季度安排，然后运行 plankit plan check " + str(path))
        out.result({"output": str(path), "year": co.year, "carried": [t.task.no for t in co.carried],
                    "not_reported": [t.task.no for t in co.not_reported]})
        return
    year = year or default_year()
    write_blank(path, year=year, title=title)
    out.say(f"已生成空白计划主表：{path}（{year}年）", fg="green")
    out.say("请先阅读“填写说明”工作表；填好后运行 plankit plan check " + str(path))
    out.say(keep_advice(path, year))
    out.result({"output": str(path), "year": year, "title": title})


def keep_advice(path: Path, year: int) -> str:
    """Where next year's plan belongs, so that every command finds it without --plan."""
    inside = path.resolve().parent == (Path.cwd() / "plans").resolve()
    if inside:
        return (f"提示：新计划已在 plans/ 目录中，与其他年度的计划并存即可。以后 -q {year}Q1 等{year}年的季度"
                f"会自动选用它；不写年份（如 -q Q1）时选用年度最新的计划。")
    return (f"提示：建议把新计划保存到 plans/ 目录（例如 plans/{path.name}），与上一年的计划并存；"
            f"各命令会按 -q {year}Q1 这样的季度年份自动选用。放在其他位置时，每条命令都要加 --plan {path}。")


def _todo_lines(report: P.Report) -> list[tuple[str, str]]:
    """(severity, line) per problem code: one line with a count and the first cells for repeats."""
    groups: dict[str, list[P.Problem]] = {}
    for p in report.problems:
        groups.setdefault(p.code, []).append(p)
    lines = []
    for items in groups.values():
        first = items[0]
        if len(items) == 1:
            lines.append((first.severity, str(first)))
            continue
        cells = "、".join(p.location for p in items[:3] if p.location)
        label = "错误" if first.severity == P.ERROR else "警告"
        lines.append((first.severity, f"[{label}] 共{len(items)}处，如 {cells}{'……' if len(items) > 3 else ''}："
                                      f"{first.message}"))
    return lines


@plan.command("import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False), metavar="原文")
@click.option("-o", "--output", "output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="生成的计划主表（默认：plans/与来源同名.xlsx）。")
@_year_option
@click.option("--title", default=None, help="计划名称（默认取原文标题）。")
@click.option("--no-suggest", is_flag=True, help="不自动提取指标建议。")
@click.option("--map", "column_map", multiple=True, metavar="原列名=字段",
              help="指明某列的含义，可多次使用，如 --map 事由=目标任务 --map 截止=完成时限。"
                   "字段：序号、任务名称、目标任务、领域、牵头单位、配合单位、第一季度…第四季度、完成时限、进度安排、忽略。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件。")
@json_option
@handle_errors
def import_(source: Path, output: Path | None, year: int | None, title: str | None, no_suggest: bool,
            column_map: tuple[str, ...], force: bool, as_json: bool) -> None:
    """把方案原文（Word表格、PDF导出的文本、Excel或CSV表格）导入为计划主表并检查。

    \b
    示例：
      plankit plan import 2020年方案.docx -o plans/lianyungang-2020.xlsx
      plankit plan import 方案.txt -o plans/lianyungang-2020.xlsx --json
      plankit plan import 网页复制.txt --map 事由=目标任务
    列按含义识别（目标任务/民生实事/主要内容/项目名称……，牵头单位/责任单位……，
    第一季度/1—3月/上半年/完成时限/进度安排……），顺序不限；认不出的列用 --map 指明。
    网页上“一、”“1.”“（一）”编号的段落复制为.txt即可导入。
    自动提取的指标写入“指标”表，说明以“【建议】”开头，请逐条核对。
    生成后仍有需人工补充的错误时退出码为1；原文无法导入时为2，且不会生成文件。
    """
    out = Output(as_json)
    output = output or Path("plans") / f"{source.stem}.xlsx"
    _refuse_overwrite(output, force)
    mapping = parse_map(column_map)
    result = import_plan(source, year=year, title=title, suggest=not no_suggest, column_map=mapping)
    write_plan(result.plan, output)
    report = read_plan(output).report
    p = result.plan
    out.say(f"已导入：{p.settings.title}（{p.settings.year}年）", bold=True)
    out.say(f"来源：{source.name}（{KIND_NAMES[result.kind]}），任务 {len(p.tasks)} 项，"
            f"建议指标 {len(p.indicators)} 个（说明以“【建议】”开头，请逐条核对）")
    out.say(f"已生成：{output}", fg="green")
    todo = _todo_lines(report)
    if result.todo or todo:
        out.say("")
        out.say("还需人工处理：", bold=True)
        for line in result.todo:
            out.say(f"  · {line}")
        for severity, line in todo:
            out.say(f"  · {line}", fg="red" if severity == P.ERROR else "yellow")
    out.say("")
    out.say(f"错误 {len(report.errors)} 个，警告 {len(report.warnings)} 个。"
            f"修改后运行 plankit plan check {output} 复查。", fg="red" if report.errors else "green")
    out.result({"output": str(output), "source": str(source), "kind": result.kind, "title": p.settings.title,
                "year": p.settings.year, "tasks": len(p.tasks), "suggested_indicators": len(p.indicators),
                "todo": result.todo, "problems": report.to_list()})
    sys.exit(EXIT_PROBLEMS if report.errors else EXIT_OK)


def _describe(ind) -> str:
    quarters = "/".join("—" if v is None else f"{v:g}" for v in ind.planned)
    return f"第{ind.task_no}项  {ind.name}  {ind.direction}{ind.target:g}{ind.unit}  季度末：{quarters}"


@plan.command("suggest")
@click.argument("given", required=False, type=click.Path(path_type=Path, dir_okay=False), metavar="[计划主表]")
@plan_option
@click.option("--write", is_flag=True, help="把尚未有的建议指标写入该计划主表的“指标”表（按标准格式重写文件）。")
@json_option
@handle_errors
def suggest(given: Path | None, plan_path: Path | None, write: bool, as_json: bool) -> None:
    """从目标任务和季度安排中提取指标建议（数字、单位、方向、季度末累计数）。

    \b
    示例：
      plankit plan suggest plans/lianyungang-2020.xlsx
      plankit plan suggest plans/lianyungang-2020.xlsx --write
      plankit plan suggest --plan plans/lianyungang-2020.xlsx
    已有相同目标（任务、方向、数值和单位一致）的指标不再重复建议。
    """
    out = Output(as_json)
    plan_path = plan_argument_or_option(given, plan_path)
    read = read_plan(plan_path)
    existing = read.plan.indicators
    merged = merge_suggestions(existing, suggest_plan(read.plan))
    new = [i for i in merged if i not in existing]
    for ind in new:
        out.say(_describe(ind))
        out.say(f"      {ind.note}", dim=True)
    out.say("")
    out.say(f"建议指标 {len(new)} 个（已有指标 {len(existing)} 个，相同的不再列出）。", bold=True)
    if write and new:
        blocking = [p for p in read.report.errors if p.code not in KEPT_BY_REWRITE]
        if blocking:
            listed = "\n".join(f"  {p}" for p in blocking[:5])
            raise PlanError(f"计划主表有以下错误，重写文件会丢失这些单元格的内容，未写入：\n{listed}",
                            hint=f"\n请先修正（plankit plan check {plan_path}），再运行 --write。", code=PLAN_INVALID)
        write_plan(replace(read.plan, indicators=merged, _fingerprint=""), plan_path)
        out.say(f"已写入 {plan_path} 的“指标”表，说明以“【建议】”开头，请逐条核对。", fg="green")
    elif new:
        out.say(f"加 --write 写入计划主表：plankit plan suggest {plan_path} --write")
    out.result({"plan": str(plan_path), "existing": len(existing), "written": bool(write and new),
                "suggestions": [{"task": i.task_no, "name": i.name, "unit": i.unit, "direction": i.direction,
                                 "target": i.target, "planned": list(i.planned), "note": i.note} for i in new]})
