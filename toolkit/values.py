"""The one normaliser for what people type into cells: text, numbers, percents, statuses, dates.

Text keeps its Chinese punctuation (NFC, not NFKC: NFKC would turn `，` into `,` in
prose that ends up in the briefing); numbers, units and comparisons use NFKC so that
full-width digits and signs read as typed. Every parser returns a clean value or raises
ValueIssue with a stable reason; callers turn reasons into Problems with a location.
"""
from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from toolkit.model import STATUSES

MAX_TEXT = 32767  # Excel's limit for one cell: longer text was not typed in Excel
EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!",
                "#SPILL!", "#CALC!", "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#UNKNOWN!")
MULTIPLIERS = {"": 1.0, "万": 1e4, "亿": 1e8}
STATUS_ALIASES = {"按序时": "序时推进", "按序时推进": "序时推进", "按序时进度": "序时推进"}

_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")  # Cc and Cs, except \t \n
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")
_THOUSANDS = re.compile(r"^[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_AMOUNT = re.compile(r"^(?P<num>[+-]?[0-9.,]*[0-9])(?P<mult>[万亿]?)(?P<rest>.*)$")


class ValueIssue(ValueError):
    """A cell value that cannot be used; `reason` is a short code, `detail` extra text."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def clean_text(value: object) -> str:
    """Cell text as meant: `_xHHHH_` decoded, line breaks unified, control characters dropped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if "_x" in text:
        text = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    elif text.isprintable():  # the usual cell: no \r and nothing _CONTROL matches (Cc and Cs are unprintable)
        return unicodedata.normalize("NFC", text).strip()
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return unicodedata.normalize("NFC", text).strip()


# Answers that mean "nothing to report" (a helper unit's 无 under 存在问题): treated as empty
# wherever a free-text answer is read or printed, so a briefing never says "……；无。".
EMPTY_ANSWERS = frozenset({"无", "没有", "暂无", "暂未", "/", "-", "--", "—", "——", "无问题", "没有问题", "暂无问题",
                           "无此项", "不涉及"})  # not NA/None: text that looks like a null is kept as typed
_ANSWER_PUNCT = " \t\n。.，,；;：:！!、"


# Five CJK ideographs anywhere: longer than every empty answer. Ideographs survive clean_text, NFKC
# and the strip of punctuation, so such a text is never one; the guard spares the NFKC of every
# real answer (a third of reading a return's progress rows).
_LONGEST_EMPTY = max(len(a) for a in EMPTY_ANSWERS)
_IDEOGRAPHS = re.compile(r"(?:[^\u4e00-\u9fff]*[\u4e00-\u9fff]){" + str(_LONGEST_EMPTY + 1) + "}")


def is_empty_answer(text: object) -> bool:
    """True for blank text and answers that mean nothing (无, 无。, /, 暂无, -, 没有 ...)."""
    if type(text) is str and _IDEOGRAPHS.match(text):
        return False
    plain = unicodedata.normalize("NFKC", clean_text(text)).strip(_ANSWER_PUNCT).lower()
    return not plain or plain in EMPTY_ANSWERS


def answer_text(value: object) -> str:
    """A free-text answer as meant: clean_text, and "" when it only says there is nothing."""
    text = clean_text(value)
    return "" if is_empty_answer(text) else text


def compare_key(value: object) -> str:
    """Text reduced for "is this the same plan text": NFKC, no whitespace, numbers as written."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return format_number(float(value))
    text = unicodedata.normalize("NFKC", clean_text(value))
    return re.sub(r"\s+", "", text)


def format_number(x: float) -> str:
    """`30.0` -> `30`, `0.1+0.2` -> `0.3`: for messages and hashes."""
    x = round(x, 9)
    return str(int(x)) if x.is_integer() else repr(x)


def excel_error(value: object) -> str | None:
    """The error literal if a cached value is an Excel error such as `#DIV/0!`."""
    if isinstance(value, str) and value.strip().upper() in EXCEL_ERRORS:
        return value.strip().upper()
    return None


def check_text(value: object) -> str:
    """A free-text input cell's answer (empty-meaning answers become ""); too long is an issue."""
    text = answer_text(value)
    if len(text) > MAX_TEXT:
        raise ValueIssue("text-too-long", str(len(text)))
    return text


def _plain_number(text: str) -> float:
    if (m := _THOUSANDS.match(text)) and m.end() == len(text):
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise ValueIssue("not-a-number")
    return float(text)


def _finite(x: float) -> float:
    if math.isnan(x) or math.isinf(x):
        raise ValueIssue("not-a-number")
    return x


def _typed(value: object) -> str:
    """NFKC text without spaces, for parsing what someone typed."""
    if isinstance(value, (date, datetime, bool)):
        raise ValueIssue("not-a-number")
    # zero-width characters (U+200B-U+200D, U+2060, U+FEFF) come with text pasted from web pages
    # and chat apps; invisible in a message, they made "序时推进" look rejected for nothing
    return re.sub(r"[\s\u200b-\u200d\u2060\ufeff]+", "", unicodedata.normalize("NFKC", clean_text(value)))


def split_unit(unit: str) -> tuple[str, str]:
    """`万平方米` -> (`万`, `平方米`); `万` alone or `%` stay whole."""
    unit = unicodedata.normalize("NFKC", unit or "").strip()
    if len(unit) > 1 and unit[0] in "万亿":
        return unit[0], unit[1:]
    return "", unit


def parse_amount(value: object, unit: str = "", *, percent_format: bool = False) -> tuple[float | None, bool]:
    """An indicator value >= 0 in the indicator's unit; returns (value, converted).

    Accepts `1,234`, full-width digits, a trailing unit equal to `unit`, and 万/亿 multipliers
    (`30万平方米` for 平方米). `converted` is True when the typed unit had a different
    multiplier than `unit` (`7500平方米` for 万平方米) so the caller can say so.
    """
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return None, False
    if isinstance(value, bool):
        raise ValueIssue("not-a-number")
    if isinstance(value, (int, float)):
        x = _finite(float(value))
        if percent_format and unicodedata.normalize("NFKC", unit).strip() == "%":
            x = round(x * 100, 9)
        converted = False
    else:
        x, converted = _amount_text(_typed(value), unit)
    if x < 0:
        raise ValueIssue("negative")
    return x, converted


def _amount_text(text: str, unit: str) -> tuple[float, bool]:
    if not text:
        raise ValueIssue("not-a-number")
    m = _AMOUNT.match(text)
    if not m:
        raise ValueIssue("not-a-number")
    number = _finite(_plain_number(m.group("num")))
    mult, rest = m.group("mult"), m.group("rest")
    unit_mult, base = split_unit(unit)
    whole_unit = unicodedata.normalize("NFKC", unit or "").strip()
    if mult + rest == whole_unit and whole_unit:
        return number, False  # exactly the indicator's unit, e.g. `3.5万户` for 万户
    if rest and (rest != base or re.search(r"[0-9.,+-]", rest)):
        if re.search(r"[0-9]", rest) or re.fullmatch(r"[A-Za-z]+", rest):
            raise ValueIssue("not-a-number")
        raise ValueIssue("wrong-unit", mult + rest)
    if not mult and not rest:
        return number, False
    if not mult and not unit_mult:
        return number, False
    # A multiplier or base unit differing from the indicator's: convert (30万 for 平方米).
    value = number * MULTIPLIERS[mult] / MULTIPLIERS[unit_mult]
    return round(value, 9), mult != unit_mult and bool(unit_mult)


def parse_percent(value: object, *, percent_format: bool | None = False) -> tuple[float | None, bool]:
    """完成进度 on a 0-100 scale; returns (value, ambiguous).

    `85`, `85%`, `８５％` and 0.85 in a percent-formatted cell all give 85. A number between
    0 and 1 in a General cell is kept as typed but flagged ambiguous (0.85 or 85 %?).
    """
    if value is None or (isinstance(value, str) and not clean_text(value)):
        return None, False
    if isinstance(value, bool):
        raise ValueIssue("not-a-number")
    ambiguous = False
    if isinstance(value, (int, float)):
        x = _finite(float(value))
        if percent_format:
            x = x * 100
        elif 0 < x < 1:
            ambiguous = True
    else:
        text = _typed(value)
        typed_percent = text.endswith("%")
        x = _finite(_plain_number(text[:-1] if typed_percent else text))
        ambiguous = not typed_percent and 0 < x < 1
    x = round(x, 6)
    if not 0 <= x <= 100:
        raise ValueIssue("percent-range", format_number(x))
    return x, ambiguous


def parse_status(value: object, choices: tuple[str, ...] = STATUSES) -> str:
    """One of `choices` or layout.STATUSES (aliases resolved; "" when blank).

    Raises ValueIssue("bad-status"). A quarterly word passed with year-end `choices` is returned
    as typed: the caller maps it (model.year_status_of).
    """
    if type(value) is str and (value in choices or value in STATUSES):
        return value  # picked from the drop-down: what the normalising below would also give
    text = _typed(value) if not isinstance(value, (int, float)) or isinstance(value, bool) else str(value)
    if not text:
        return ""
    if text in choices or text in STATUSES:
        return text
    if text in STATUS_ALIASES:
        return STATUS_ALIASES[text]
    raise ValueIssue("bad-status")


_DATE = re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
MAX_SERIAL = 2958465  # 9999-12-31 in Excel's 1900 date system


def to_date(value: object, *, date1904: bool = False) -> date | None:
    """The one date parser: a cell, a setting or a command-line option as a date; None if blank.

    Accepts a date or datetime cell, an Excel serial (1900 or, with `date1904`, 1904 system),
    8 digits `20190410` (typed or a number), and text `2019-04-10`, `2019/4/10`, `2019.4.10`,
    `2019年4月10日`, with full-width digits and spaces allowed. Raises ValueIssue("bad-date").
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        serial = _finite(float(value))
        if serial.is_integer() and 19000101 <= serial <= 99991231:  # far past any serial: yyyymmdd
            value = str(int(serial))
        elif not 1 <= serial <= MAX_SERIAL:
            raise ValueIssue("bad-date")
        else:
            epoch = date(1904, 1, 1) if date1904 else date(1899, 12, 30)
            return epoch + timedelta(days=int(serial))
    text = _typed(value)
    if not text:
        return None
    m = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not m:
        raise ValueIssue("bad-date")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueIssue("bad-date")


def parse_date(value: object, *, date1904: bool = False) -> str:
    """A date as ISO text (`to_date`), "" if blank."""
    found = to_date(value, date1904=date1904)
    return found.isoformat() if found else ""


def contact_text(value: object) -> str:
    """A contact cell as text: a phone typed as a number must not read `13800000000.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return clean_text(value)


def parse_number(value: object) -> float | None:
    """A plain number from a cell (number or text, full-width allowed); None if blank."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if not text:
            return None
        number = float(text)
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(value)
    return number
