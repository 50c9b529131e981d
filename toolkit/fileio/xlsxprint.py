"""How plankit's workbooks print: A4, all columns on one page width, the table's header row on
every page, a footer saying what the page is and 第 N 页 共 M 页.

One setup for every workbook a coordinator prints or forwards (report, receipts, 退回修改表, the
plan workbook), for xlsxwriter worksheets (`setup`) and openpyxl ones (`setup_openpyxl`)."""
from __future__ import annotations

A4 = 9  # the paper size code of both libraries
FOOTER_FONT = "宋体"
MARGINS = {"left": 0.4, "right": 0.4, "top": 0.5, "bottom": 0.6}  # inches
FOOTER_MARGIN = 0.3


def escape(text: str) -> str:
    """Text shown as is in a header/footer (a lone `&` starts a code)."""
    return text.replace("&", "&&")


def _parts(left: str, right: str) -> list[tuple[str, str]]:
    # "&8" followed by a digit would read as a bigger font size ("&82019年…" = 82 pt): a space between
    parts = [("L", left), ("C", "第 &P 页 共 &N 页"), ("R", right)]
    return [(code, (" " if text[:1].isdigit() else "") + text) for code, text in parts if text]


def footer(left: str, right: str = "") -> str:
    """`left` … 第 &P 页 共 &N 页 … `right`, small 宋体; `left`/`right` may hold codes (&A: the sheet's
    name), so literal text in them must go through escape()."""
    return "".join(f'&{code}&"{FOOTER_FONT}"&8{text}' for code, text in _parts(left, right))


def setup(ws, *, left: str, right: str = "", landscape: bool = True, header_row: int | None = None,
          last: tuple[int, int] | None = None) -> None:
    """Print setup of an xlsxwriter worksheet: A4, fit to one page wide, centred, `header_row`
    (0-based) repeated on each page, the footer; `last` = (row, col) sets the print area."""
    ws.set_paper(A4)
    if landscape:
        ws.set_landscape()
    else:
        ws.set_portrait()
    ws.set_margins(**MARGINS)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    if header_row is not None:
        ws.repeat_rows(header_row)
    if last is not None:
        ws.print_area(0, 0, *last)
    ws.set_footer(footer(left, right), {"margin": FOOTER_MARGIN})


def setup_openpyxl(ws, *, left: str, right: str = "", landscape: bool = True,
                   header_row: int | None = None) -> None:
    """The same for an openpyxl worksheet (`header_row` 1-based, as openpyxl counts)."""
    from openpyxl.worksheet.page import PageMargins
    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(**MARGINS, footer=FOOTER_MARGIN)
    ws.print_options.horizontalCentered = True
    if header_row is not None:
        ws.print_title_rows = f"{header_row}:{header_row}"
    for code, text in _parts(left, right):
        part = {"L": ws.oddFooter.left, "C": ws.oddFooter.center, "R": ws.oddFooter.right}[code]
        part.text, part.font, part.size = text, FOOTER_FONT, 8
