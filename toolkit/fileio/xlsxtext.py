"""Row heights for wrapped Chinese text in generated workbooks.

Excel autofits row heights when a file is edited, but LibreOffice does not re-measure
rows of an imported .xlsx and printed forms need room to write in, so every writer
sets heights from this one estimate.
"""
from __future__ import annotations

import math
import unicodedata


def text_lines(text: str, width: float, char_units: float = 2.0) -> int:
    """Lines `text` wraps to in a column `width` units wide (a CJK character ≈ `char_units`)."""
    usable = max(width - 1.2, 1.0)
    lines = 0
    for para in str(text).split("\n"):
        if len(para) * char_units <= usable - 1e-6:
            lines += 1  # fits even if every character were wide: no need to measure each one
            continue
        units = sum(char_units if unicodedata.east_asian_width(ch) in "WF" else char_units * 0.55 for ch in para)
        lines += max(1, math.ceil(units / usable))
    return lines


def row_height(lines: int, font_pt: float = 10.5) -> float:
    """Points for `lines` lines of `font_pt` text, capped at Excel's 409."""
    return min(409.0, round(lines * font_pt * 1.4 + 6, 1))


def fit_row(values, widths, font_pt: float = 10.5) -> float:
    """Height of a row whose cells hold `values` in columns `widths` wide."""
    lines = max([1] + [text_lines(v, w) for v, w in zip(values, widths) if isinstance(v, str) and v])
    return row_height(lines, font_pt)
