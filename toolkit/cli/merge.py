"""`plankit merge` and `plankit status`."""
from __future__ import annotations

import sys
import unicodedata
from pathlib import Path

import click

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS, UsageError
from toolkit.intake.merge import merge as run_merge
from toolkit.intake.merge import undo as run_undo
from toolkit.intake.outcomes import OUTCOME_LABELS
from toolkit.intake.rebuild import rebuild as run_rebuild
from toolkit.intake.received import received_times
from toolkit.intake.receipt import display_text, quarter_status
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.cli.app import main
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_option, resolve_plan


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(text: str, width: int) -> str:
    """Pad (or cut) to a display width, counting a Chinese character as two columns."""
    text = str(text)
    while _width(text) > width:
        text = text[:-2] + "…"
    return text + " " * (width - _width(text))


def _name_cell(name: str, width: int) -> str:
    """A file name cut in the middle, so its end (（更正）.xlsx, the extension) stays visible."""
    if _width(name) <= width:
        return _cell(name, width)
    tail = name[-1]
    while _width(name[-len(tail) - 1:]) <= width // 3:
        tail = name[-len(tail) - 1:]
    head = _cell(name, width - _width(tail) - 1).rstrip()
    head = head[:-1] if head.endswith("…") else head
    return _cell(head + "…" + tail, width)


class _Bar:
    """A progress bar on stderr, created once the number of files is known."""

    def __init__(self):
        self.bar = None

    def __call__(self, done: int, total: int, name: str) -> None:
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="合并中", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@main.command("merge")
@plan_option
@click.option("--quarter", "-q", default=None, metavar="季度", help="季度：2019Q2、Q2、2 或 二季度。")
@click.argument("inputs", nargs=-1, type=click.Path(path_type=Path), metavar="[文件或文件夹]...")
@out_option
@store_option
@click.option("--prefer", metavar="编号或文件名",
              help="同一单位有多个版本时，指定采用哪一个（编号前6位以上或原文件名，见 plankit status）。")
@click.option("--received-at", "received_at", multiple=True, metavar="时间",
              help="收到时间（附件是另存的、文件时间不准时用）：2019-07-08 14:30 为整批；"
                   "文件名=2019-07-08 为单个文件（或文件夹名=时间，为该文件夹中的文件）；也可给一个 .csv（每行：文件名,收到时间）。可重复。"
                   "单个文件指定的时间优先，其次邮件时间，再次整批时间，最后文件时间。")
@click.option("--undo", "undo_run", metavar="合并编号",
              help="撤销某一次合并（编号见合并结果或 plankit status），该次收到的文件退出汇总，归档中仍保留。")
@click.option("--rebuild", is_flag=True, help="只用归档文件重建数据库（数据库损坏或升级后使用）。")
@click.option("--force", is_flag=True,
              help="与 --rebuild 同用：重建结果比现有数据库少时仍然替换（默认不替换并说明少了什么）。")
@json_option
@handle_errors
def merge(plan_path, quarter, inputs, out_dir, prefer, received_at, undo_run, rebuild, force, as_json) -> None:
    """汇总各部门报回的填报表（文件、文件夹、压缩包或保存的邮件）。

    \b
    文件或文件夹可以是 .xlsx .xlsm .xls .ods 文件、.zip 压缩包、保存的邮件
    (.eml .mbox .msg，自动取出附件)，或包含它们的文件夹（含子文件夹）。
    每个文件先按原样存档，再逐个合并；一个文件有问题不影响其他文件。
    同一单位再次报送时以收到时间最晚的为准，旧版本仍保留可查。
    \b
    示例：
      plankit merge -q 2019Q2 收件箱/
      plankit merge -q 2019Q2 二季度报送.zip 市教育局.eml
      plankit merge -q 2019Q2 --received-at 2019-07-08 收件箱/
      plankit merge -q 2019Q2 --received-at 市教育局.xlsx=2019-07-09 收件箱/
      plankit merge -q 2019Q2 --prefer 3fa2c1d9
      plankit merge --undo 20190712-143000
      plankit merge --rebuild
      plankit merge --rebuild --force
    其中 --prefer 指定采用某个版本，--undo 撤销一次合并，--rebuild 从归档重建数据库
    （加 --force 时，重建结果比现有数据库少也替换）。
    有文件被拒收时退出码为1（其他文件照常合并）；用法错误为2。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path, quarter))
    if rebuild:
        counts = run_rebuild(plan, out_dir, force=force)
        total = sum(counts.values())
        detail = "，".join(f"{q} {n}个" for q, n in sorted(counts.items())) or "归档中没有已合并的文件"
        out.say(f"已从归档重建数据库：共重新读取 {total} 个文件（{detail}）。", fg="green")
        if counts.added:
            out.warn(f"合并日志不完整：其中 {counts.added} 个文件日志中没有记录，已按归档索引或文件自身内容补回"
                     "（这些文件的“指定采用”选择无法恢复，按收到时间最晚的为准）。")
        for d in counts.damaged:
            out.warn(f"归档文件已损坏，未重新读取：{d}")
        for name in counts.unplaced:
            out.warn(f"无法归入任何季度，未重建：{name}")
        for text in counts.lost:
            out.warn(f"已按 --force 替换，原数据库中的这一项不再存在：{text}")
        out.result({"rebuilt": dict(counts), "added": counts.added, "unplaced": counts.unplaced,
                    "lost": counts.lost, "damaged": [vars(d) for d in counts.damaged]})
        sys.exit(EXIT_PROBLEMS if counts.unplaced or counts.lost or counts.damaged else EXIT_OK)
    if undo_run:
        done = run_undo(plan, out_dir, undo_run)
        out.say(f"已撤销合并 {done['run']}：撤回 {len(done['files'])} 个文件"
                f"（{'、'.join(done['departments']) or '无法识别单位的文件'}）。文件仍保留在归档中，可重新合并。",
                fg="green")
        for path in done["reports"]:
            out.say(f"收件报告已按撤销后的情况更新：{path}")
        for note in done["notes"]:
            out.say(note, fg="yellow")
        out.say("请用 plankit status 查看撤销后的报送情况。")
        out.result(done)
        sys.exit(EXIT_OK)
    if not quarter:
        raise UsageError("请用 --quarter 指定季度。", hint="例如：plankit merge -q 2019Q2 收件箱/")
    if not inputs and not prefer:
        raise UsageError("请指定要合并的文件或文件夹。", hint="例如：plankit merge -q 2019Q2 收件箱/")
    q = parse_quarter(quarter, plan.settings.year)
    times = received_times(received_at) if received_at else None
    bar = _Bar()
    try:
        result = run_merge(plan, q, out_dir, list(inputs), progress=bar, prefer=prefer, received_at=times)
    finally:
        bar.close()
    _print_receipt(out, result, q)
    out.result(result.to_dict())
    sys.exit(EXIT_OK if result.ok else EXIT_PROBLEMS)


def _print_receipt(out: Output, result, q) -> None:
    if result.files:
        out.say(f"{_cell('文件', 40)}  {_cell('部门', 16)}  {_cell('结果', 22)}  问题", bold=True)
    for f in result.files:
        errors, warnings = len(f.errors), len(f.problems) - len(f.errors)
        issues = "，".join(x for x in (errors and f"错误{errors}个", warnings and f"警告{warnings}个") if x) or "无"
        if f.outcome == "skipped":
            issues = f.problems[0].message if f.problems else ""
        color = {"rejected": "red", "accepted": None}.get(f.outcome, "yellow" if f.outcome == "skipped" else None)
        out.say(f"{_name_cell(display_text(f.path), 40)}  {_cell(f.department or '—', 16)}  {_cell(OUTCOME_LABELS[f.outcome], 22)}  "
                f"{issues}", fg=color)
    detailed = [(f, p) for f in result.files for p in f.problems if f.outcome != "skipped"]
    if detailed:
        out.say("")
        out.say("问题明细：", bold=True)
        for _f, p in detailed:
            out.say(f"  {display_text(str(p))}", fg="red" if p.severity == "error" else "yellow")
    changed = [f for f in result.files if f.changes]
    for f in changed:
        out.say(f"{f.department} 重新报送（{f.path}），与上一版相比有 {len(f.changes)} 处变化，"
                "详见收件报告“版本变化”。")
    out.say("")
    counts = "，".join(f"{OUTCOME_LABELS[k]} {result.count(k)}" for k in OUTCOME_LABELS if result.count(k))
    out.say(f"{q.label}：共处理 {len(result.files)} 个文件（{counts or '无'}）。",
            fg="green" if result.ok else "red")
    out.say(f"尚未报送（{len(result.missing)}个单位）：{'、'.join(result.missing) or '无'}")
    if result.late:
        out.say(f"迟报：{'、'.join(result.late)}", fg="yellow")
    if result.late_by_file_time:
        out.say(f"其中 {'、'.join(result.late_by_file_time)} 仅按文件时间判断为迟报（另存的附件，文件时间是保存的日子）。"
                "如实际按时收到，请用 --received-at 指定收到时间后重新合并这些文件。", fg="yellow")
    if result.report_path:
        out.say(f"收件报告（本季度全部文件）：{result.report_path}")
    if result.run_report_path:
        out.say(f"本次合并的回执：{result.run_report_path}")
    if result.run and result.files:
        out.say(f"本次合并编号：{result.run}（如需撤销本次合并：plankit merge --undo {result.run}）")
    for note in result.notes:
        out.say(note, fg="yellow")


@main.command("status")
@plan_option
@click.option("--quarter", "-q", required=True, metavar="季度", help="季度：2019Q2、Q2、2 或 二季度。")
@click.option("--department", "-d", metavar="单位", help="列出该单位报送的每个版本及每次改动了哪些数。")
@out_option
@store_option
@json_option
@handle_errors
def status(plan_path, quarter, department, out_dir, as_json) -> None:
    """查看某季度的报送情况：已报、未报、迟报、拒收及仍未处理的问题。

    \b
    示例：
      plankit status -q 2019Q2
      plankit status -q 2019Q2 --json
      plankit status -q 2019Q2 -d 市教育局     查看该单位各版本及改动
    只读，不改动任何文件；退出码总是0（无法读取时为2）。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path, quarter))
    q = parse_quarter(quarter, plan.settings.year)
    data = quarter_status(plan, q, out_dir, department)
    _print_status(out, data, q)
    if department is not None:
        _print_versions(out, department, data["versions"])
    out.result(data)
    sys.exit(EXIT_OK)


def _print_status(out: Output, data: dict, q) -> None:
    returns = data["returns"]
    on_time = sum(r["on_time"] for r in returns)
    out.say(f"{q.label}报送情况（截止日 {data['deadline']}）", bold=True)
    out.say(f"应报 {len(data['expected'])} 个单位：已报 {len(returns)} 个"
            f"（按时 {on_time}，迟报 {len(returns) - on_time}），"
            f"未报 {len(data['missing'])} 个，待处理的拒收文件 {len(data['rejections'])} 个。")
    if returns:
        out.say("")
        out.say("已报送：", bold=True)
    for r in returns:
        when = "按时" if r["on_time"] else "迟报"
        source = r.get("time_source") or ""
        out.say(f"  {_cell(r['department'], 16)}  {r['received_at'][:16]}（{source}）  {when}  {r['filename']}",
                fg=None if r["on_time"] else "yellow")
        if len(r["history"]) > 1:
            for v in r["history"]:
                mark = "← 采用" + ("（人工指定）" if v["chosen_by"] == "coordinator" else "") if v["current"] else ""
                out.say(f"      版本 {v['sha256'][:12]}  {v['received_at'][:16]}  {v['filename']}  {mark}")
        for w in r["warnings"]:
            out.say(f"      [警告] {w}", fg="yellow")
    if data.get("late_by_file_time"):
        out.say(f"  注意：{'、'.join(data['late_by_file_time'])} 仅按文件时间判断为迟报；如实际按时收到，"
                "请用 plankit merge --received-at 指定收到时间。", fg="yellow")
    out.say("")
    out.say(f"未报送：{'、'.join(data['missing']) or '无'}")
    if data.get("runs"):
        out.say("")
        out.say("合并记录（撤销某次合并：plankit merge --undo 编号）：", bold=True)
        for run in data["runs"]:
            out.say(f"  编号 {run['run']}  {run['merged_at'][:16]}  {run['files']} 个文件（采用 {run['accepted']} 个）"
                    f"  {'、'.join(run['departments'][:6])}{' 等' if len(run['departments']) > 6 else ''}")
    if data["rejections"]:
        out.say("")
        out.say("拒收、尚待重新报送：", bold=True)
        for r in data["rejections"]:
            out.say(f"  {r['filename']}（{r['department'] or '无法识别单位'}）：{'；'.join(r['reasons'])}", fg="red")


def _print_versions(out: Output, department: str, versions: list[dict]) -> None:
    out.say("")
    out.say(f"{department} 的报送版本（共 {len(versions)} 个）：", bold=True)
    for n, v in enumerate(versions, 1):
        mark = "  ← 采用" + ("（人工指定）" if v["chosen_by"] == "coordinator" else "") if v["current"] else ""
        out.say(f"  {n}. 编号 {v['sha256'][:12]}  {v['received_at'][:16]}  {v['filename']}{mark}")
        if n > 1:
            out.say(f"     与上一版相比：{len(v['changes'])} 处变化" if v["changes"]
                    else "     与上一版相比：数据无变化")
        for c in v["changes"]:
            out.say(f"       {c['item']} {c['field']}：{_show(c['old'])} → {_show(c['new'])}（{c['cell']}）")


def _show(value) -> str:
    if value in (None, ""):
        return "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
