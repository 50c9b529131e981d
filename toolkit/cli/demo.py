"""`plankit demo`: the whole quarter on the bundled plan, in one command."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from toolkit.demo.run import run_demo
from toolkit.fileio import office
from toolkit.resources import bundled_plan
from toolkit.errors import EXIT_OK, UsageError
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.cli.app import main
from toolkit.cli.common import Output, handle_errors, json_option

MARKER = ".plankit-demo"
OUTCOMES = {"accepted": "接收", "duplicate": "重复", "superseded": "已被更正版替代",
            "rejected": "退回", "skipped": "跳过"}


def fresh_folder(path: Path) -> Path:
    """Empty `path` for the demo; refuse to wipe a folder the demo did not make."""
    if path.exists() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise UsageError(f"目录 {path} 已存在且不是演示目录，为避免误删，演示不会使用它。",
                             hint="请用 --out 指定一个新目录。")
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("plankit demo\n", encoding="utf-8")
    return path


@main.command("demo")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False), default=Path("out/demo"),
              show_default=True, help="演示目录（每次运行都会清空重建）。")
@click.option("--quarter", "-q", default="2019Q2", show_default=True,
              metavar="季度", help="演示到哪个季度（至少第二季度）。")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="计划主表（默认：随附的2019年连云港计划）。")
@click.option("--no-pdf", is_flag=True, help="不生成PDF（没有安装LibreOffice时自动跳过）。")
@json_option
@handle_errors
def demo(out_dir: Path, quarter: str, plan_path: Path | None, no_pdf: bool, as_json: bool) -> None:
    """用随附的真实计划演示一个完整季度：生成填报表→模拟各部门报回→汇总→汇总表→简报。

    \b
    示例：
      plankit demo
      plankit demo --out /tmp/演示 --quarter 2019Q3
      plankit demo -q Q4      # 年末：全年完成情况、年度考核、2020年结转计划
    模拟的报回包括：两个部门未报送、一个迟报、一个报送更正版、一个改动了计划内容被退回、
    一个经LibreOffice另存、一个以邮件（.eml）报回。
    """
    out = Output(as_json)
    plan = load_plan(plan_path or bundled_plan())
    q = parse_quarter(quarter, plan.settings.year)
    if q.q < 2:
        raise UsageError("演示至少需要到第二季度（第一季度用作“上季度”数据）。", hint="请用 --quarter 2019Q2 或更晚。")
    folder = fresh_folder(out_dir)
    out.say(f"演示计划：{plan.settings.title}，目录：{folder}", bold=True)
    result = run_demo(plan, q, folder, pdf=not no_pdf, progress=out.say)
    merged = result.merges[q.code]
    out.say("")
    out.say(f"{q.label}收件回执：", bold=True)
    for f in merged.files:
        first = _shorten(f.problems[0].message, folder, q.code, f.department) if f.problems else ""
        out.say(f"  {OUTCOMES.get(f.outcome, f.outcome):<6} {f.department or '（未识别）'}  {f.path}"
                + (f"\n           {first}" if first else ""),
                fg={"rejected": "red", "superseded": "yellow"}.get(f.outcome))
    out.say(f"未报送：{'、'.join(merged.missing) or '无'}；迟报：{'、'.join(merged.late) or '无'}")
    assert result.evaluation is not None  # run_demo evaluates the last quarter it merged
    ev = result.evaluation
    counts = ev.counts
    if ev.year_end:
        out.say(f"{q.year}年全年完成情况：" + "，".join(f"{k}{v}项" for k, v in counts.items())
                + f"（基本完成阈值{ev.plan.settings.basic_threshold:g}%）")
        if result.assessment is not None:
            ranked = result.assessment.departments
            out.say(f"年度考核：{len(ranked)}个单位，最高{ranked[0].unit}{ranked[0].total:g}分，"
                    f"最低{ranked[-1].unit}{ranked[-1].total:g}分（满分{result.assessment.full_total:g}）")
    else:
        out.say("任务状态：" + "，".join(f"{k}{v}项" for k, v in counts.items()))
    out.say("")
    out.say("生成的文件：", bold=True)
    for label, path in (("填报表", result.sheets_dir), ("邮件草稿", result.outbox),
                        ("收件箱（模拟报回）", result.inbox[q.code].parent),
                        ("收件报告", merged.report_path), ("进展汇总表", result.report), ("简报", result.brief),
                        ("简报PDF", result.pdf), ("数据库与原件存档", result.store_dir),
                        (f"{q.year + 1}年计划主表（结转{result.carried}项）", result.carried_plan)):
        if path:
            out.say(f"  {label}：{path}")
    if not result.libreoffice and office.soffice() is None:  # another plan may just lack that department
        out.say("（未安装LibreOffice：跳过了“经LibreOffice另存”的模拟报回和PDF。）", fg="yellow")
    out.result({"out": str(folder), "quarter": q.code, "files": [f.to_dict() for f in merged.files],
                "missing": merged.missing, "late": merged.late, "counts": counts,
                "report": str(result.report), "brief": str(result.brief),
                "pdf": str(result.pdf) if result.pdf else None,
                "carried_plan": str(result.carried_plan) if result.carried_plan else None})
    sys.exit(EXIT_OK)


SHOWN = 90  # characters of a problem shown on the receipt line


def _shorten(message: str, folder: Path, quarter: str, department: str | None) -> str:
    """A problem for one screen line: a longer one ends with …… and says where the full text is."""
    if len(message) <= SHOWN:
        return message
    where = f"plankit status --out {folder} -q {quarter}" + (f" -d {department}" if department else "")
    return f"{message[:SHOWN]}……（完整内容：{where}）"
