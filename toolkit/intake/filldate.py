"""Is the 填报日期 a clerk typed plausible for the quarter? (a warning, never a rejection)

A date after today is a typo or a wrong year (2091 for 2019, a wrong computer clock); a date
more than a year before the quarter begins is an old sheet's date left in place or a wrong
year. Both are stored as written; the coordinator is told which cell to check. Dates long
after the quarter are normal (a late return, or a past quarter merged now) and pass.
"""
from __future__ import annotations

import datetime as dt

from toolkit.quarter import Quarter

EARLY_DAYS = 366  # before the quarter's first day


def implausible(iso: str, quarter: Quarter, today: dt.date | None = None) -> str:
    """Why the ISO date `iso` is implausible as a 填报日期 of `quarter`; "" when it is fine."""
    try:
        day = dt.date.fromisoformat(iso)
    except ValueError:
        return ""
    today = today or dt.date.today()
    if day > today + dt.timedelta(days=1):  # a day's grace for time zones
        return f"晚于今天（{today.isoformat()}）"
    start = dt.date(quarter.year, 3 * (quarter.q - 1) + 1, 1)
    if day < start - dt.timedelta(days=EARLY_DAYS):
        return f"比{quarter.label}开始早一年以上"
    return ""
