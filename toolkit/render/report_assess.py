"""The assessment sheets of the Q4 report: 年度考核 (score per unit and rule, total, rank) and
考核明细 (one printed page per unit listing every point, so a department can check it)."""
from __future__ import annotations

from typing import Any

from toolkit.evaluate.assessment import CO, LEAD, ON_TIME, QUALITY, RULES, Assessment
from toolkit.evaluate.figures import num
from toolkit.plan.format import ASSESSMENT_KEYS
from toolkit.render.report_book import BODY_FONT, HEADER_FILL, HEADER_FONT, TITLE_FONT, Book

SCORES, DETAIL = "年度考核", "考核明细"
RULE_NOTES = {ON_TIME: "每季度按时/逾期报送得分", LEAD: "牵头任务年末完成情况",
              CO: "配合任务每季度填报情况", QUALITY: "满分减退回、更正、报告与数据不符、未填报扣分"}


def rules_text(a: Assessment) -> str:
    return "；".join(f"{k.removeprefix('考核：')}{num(v)}" for k, v in a.points.items())


# Up to this many units the score table is printed on one page (about 80% scale at most);
# a landscape page holds 25 at full size.
ONE_PAGE_UNITS = 30


def scores_sheet(book: Book, a: Assessment) -> None:
    headers = [("排名", 5), ("单位", 16)]
    headers += [(f"{rule}\n（满分{num(a.full[rule])}）", 11) for rule in RULES]
    headers += [(f"总分\n（满分{num(a.full_total)}）", 10), ("失分事项（明细见“考核明细”）", 40)]
    unmerged = [f"{q + 1}季度" for q, m in enumerate(a.merged) if not m]
    note = (f"{a.year}年度各责任单位考核得分，由四个季度的报送记录和年末完成情况计算（可由数据库重算）。"
            f"规则及分值（设置“考核：…”）：{rules_text(a)}。"
            + (f"尚未汇总的季度按未报送计：{'、'.join(unmerged)}。" if unmerged else "")
            + "每个单位的逐项得分见“考核明细”工作表。")
    ws, row = book.sheet(SCORES, f"{a.year}年度各单位考核得分", note, headers)
    for d in a.departments:
        book.number(ws, row, 0, d.rank, num_format="0", align="center")
        book.text(ws, row, 1, d.unit, 16)
        for col, rule in enumerate(RULES, start=2):
            short = d.scores[rule] < a.full[rule] - 1e-9
            book.number(ws, row, col, d.scores[rule], num_format="0.0#", align="center",
                        **({"font_color": "#9C0006"} if short else {}))
        book.number(ws, row, 6, d.total, num_format="0.0", align="center", bold=True)
        book.text(ws, row, 7, d.lost_summary(), 40)
        row += 1
    book.finish(ws, row - 1, len(headers) - 1)
    if len(a.departments) <= ONE_PAGE_UNITS:
        ws.fit_to_pages(1, 1)  # the demo's 26 units printed 25 on page 1 and the last alone on page 2


def detail_sheet(book: Book, a: Assessment) -> None:
    """One block per unit, each starting on a new printed page (portrait A4)."""
    ws = book.wb.add_worksheet(DETAIL)
    widths = (15, 9, 59, 9)  # 15: "牵头任务完成小计" on one line (12 cut it to 牵头任务完成小)
    for col, w in enumerate(widths):
        ws.set_column(col, col, w)
    head: dict[str, Any] = dict(font_name=HEADER_FONT, bg_color=HEADER_FILL, align="center", valign="vcenter")
    breaks, row = [], 0
    for d in a.departments:
        if row:
            breaks.append(row)
        book._check(ws.merge_range(row, 0, row, 3, f"{a.year}年度考核明细：{d.unit}", book.fmt(
            font_name=TITLE_FONT, font_size=14, align="center", valign="vcenter", border=0,
            text_wrap=False)), ws, row, 0)
        ws.set_row(row, 26)
        row += 1
        book.merged(ws, row, 0, 3, f"总分{num(d.total)}分（满分{num(a.full_total)}分），"
                    f"在{len(a.departments)}个单位中排名第{d.rank}。"
                    + "　".join(f"{r}{num(d.scores[r])}/{num(a.full[r])}" for r in RULES), sum(widths),
                    border=0, font_size=10)
        row += 1
        for col, h in enumerate(("考核项目", "季度", "内容", "得分")):
            book.text(ws, row, col, h, **head)
        row += 1
        for rule in RULES:
            items = [i for i in d.items if i.rule == rule]
            for i in items:
                book.text(ws, row, 0, rule, widths[0])
                book.text(ws, row, 1, i.quarter, align="center")
                book.text(ws, row, 2, i.what, widths[2])
                book.number(ws, row, 3, i.points, num_format="+0.0#;-0.0#;0", align="center")
                row += 1
            book.text(ws, row, 0, f"{rule}小计", bold=True, bg_color="#F2F2F2")
            book.text(ws, row, 1, "", bg_color="#F2F2F2")
            book.text(ws, row, 2, RULE_NOTES[rule] + f"（满分{num(a.full[rule])}）", widths[2],
                      bg_color="#F2F2F2")
            book.number(ws, row, 3, d.scores[rule], num_format="0.0#", align="center", bold=True,
                        bg_color="#F2F2F2")
            row += 1
        book.merged(ws, row, 0, 3, "单位核对意见：　　　　　　　　　　　　核对人：　　　　　　日期：",
                    sum(widths), border=0, font_size=10)
        ws.set_row(row, 30)
        row += 2
    ws.set_h_pagebreaks(breaks)
    ws.fit_to_pages(1, 0)  # one page wide; the manual breaks start each unit on a new page
    ws.set_paper(9)
    ws.set_portrait()
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.7)
    ws.center_horizontally()
    ws.print_area(0, 0, max(row - 1, 0), 3)
    title = book.title.replace("&", "&&")
    ws.set_footer(f'&L&"{BODY_FONT}"&8&A　{title}&C&"{BODY_FONT}"&8第 &P 页 共 &N 页'
                  f'&R&"{BODY_FONT}"&8生成于 {book.generated_at:%Y-%m-%d %H:%M}', {"margin": 0.3})


def assessment_sheets(a: Assessment):
    """The extra_sheets callables for report.write_report."""
    return (lambda book: scores_sheet(book, a), lambda book: detail_sheet(book, a))


__all__ = ["ASSESSMENT_KEYS", "DETAIL", "SCORES", "assessment_sheets"]
