"""`plankit brief`: the printable quarterly briefing (.docx, optional PDF and 督办 notices)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from toolkit.render.brief import DEFAULT_DEADLINE_DAYS, write_brief
from toolkit.errors import OFFICE_MISSING, USAGE_DATE, UsageError
from toolkit.values import ValueIssue, to_date
from toolkit.fileio.office import INSTALL_HINT, soffice
from toolkit.plan.workbook import load_plan
from toolkit.quarter import parse_quarter
from toolkit.cli.app import main
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_option, quarter_option


def _parse_date(text: str | None) -> date | None:
    """--date as the cells' dates are read (toolkit.values.to_date): 2019-07-15, 2019/7/15,
    2019.7.15, 2019年7月15日, 20190715, full-width digits."""
    try:
        return to_date(text)
    except ValueIssue:
        raise UsageError(f"无法识别日期“{text}”。", hint="请写成 2019-07-15 或 2019年7月15日 这样的格式。",
                         code=USAGE_DATE)


@main.command("brief")
@plan_option
@quarter_option
@out_option
@store_option
@click.option("--template", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="简报模板（默认：当前文件夹的 templates/briefing.docx，没有时用随附的）。")
@click.option("--notice-template", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="督办通知模板（默认：当前文件夹的 templates/dept_notice.docx，没有时用随附的）。")
@click.option("--issue-no", type=click.IntRange(min=1), default=None,
              help="简报期号（默认：季度序号，如二季度为第2期）。")
@click.option("--date", "date_text", default=None, help="印发日期，如 2019-07-15（默认：今天）。")
@click.option("--deadline-days", type=click.IntRange(min=1, max=365), default=DEFAULT_DEADLINE_DAYS,
              show_default=True, help="督办事项限期赶上序时进度的天数（从印发日期起算）。")
@click.option("--pdf", "make_pdf", is_flag=True, help="同时用LibreOffice生成PDF。")
@click.option("--per-dept", is_flag=True, help="为每个有滞后任务的牵头单位生成一份督办通知。")
@click.option("--fonts", type=click.Choice(["gb2312", "plain"]), default=None,
              help="字体名：gb2312 = 仿宋_GB2312/楷体_GB2312；plain = 仿宋/楷体（默认：按模板）。")
@click.option("--no-chart", is_flag=True, help="不插入图表。")
@json_option
@handle_errors
def brief(plan_path, quarter, out_dir, template, notice_template, issue_no, date_text,
          deadline_days, make_pdf, per_dept, fonts, no_chart, as_json) -> None:
    """生成季度简报（Word文档，可选PDF和督办通知）。

    \b
    示例：
      plankit brief -q 2019Q2
      plankit brief -q 2019Q2 --issue-no 5 --date 2019-07-15 --pdf --per-dept
      plankit brief -q 2019Q2 --template 我的模板.docx --json
    文件写到 out/<计划编号>/<季度>/brief/。措辞和版式在模板中修改，见使用说明“模板维护人员”一节。
    """
    out = Output(as_json)
    from toolkit.cli.common import resolve_plan
    plan = load_plan(resolve_plan(plan_path, quarter))
    q = parse_quarter(quarter, plan.settings.year)
    on = _parse_date(date_text)
    if make_pdf and not soffice():
        raise UsageError("未找到LibreOffice（soffice），无法生成PDF。", hint=INSTALL_HINT, code=OFFICE_MISSING)
    result = write_brief(plan, q, out_dir, template=template, notice_template=notice_template,
                         issue_no=issue_no, on=on, deadline_days=deadline_days, pdf=make_pdf,
                         per_dept=per_dept, fonts=fonts, chart=not no_chart)
    ev, target_dir = result.evaluation, result.path.parent
    assert ev is not None  # write_brief evaluates before it renders
    if result.merging:
        out.warn(f"注意：生成时另一个合并正在进行（{result.merging}），本简报可能还不包含正在合并的文件。"
                 f"合并结束后请重新运行 plankit brief -q {q.code}。")
    label = f"{q.year}年全年" if ev.year_end else q.label
    out.say(f"{label}：" + "，".join(f"{k}{v}项" for k, v in ev.counts.items())
            + f"；报送率{ev.reporting_rate:.1f}%。")
    if ev.returned == 0:
        out.warn("提示：本季度还没有汇总任何报送文件（请先运行 plankit merge），简报中全部任务为“未报送”。")
    for w in result.warnings:
        out.warn(f"提示：{w}")
    out.say(f"简报：{result.path}", fg="green")
    if result.pdf:
        out.say(f"PDF：{result.pdf}", fg="green")
    if per_dept:
        out.say(f"督办通知：{len(result.notices)}份" + (f"，在 {target_dir}" if result.notices else "（没有滞后任务）"))
    out.result({"quarter": q.code, **result.to_dict()})
