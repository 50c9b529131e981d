"""Received times the coordinator gives (`merge --received-at`): for a whole run, per file, or a CSV.

A saved attachment's file time is the day it was saved, not the day it arrived; a time given
here replaces it. Precedence: a time given for that file (or the email, zip or folder it is in)
> the email's Date > a time given for the run > the file's modification time.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, time as dtime
from pathlib import Path

from toolkit.errors import UsageError
from toolkit.intake.collect import Item
from toolkit.values import ValueIssue, to_date

HINT = "收到时间请写成 2019-07-08 或 2019-07-08 14:30；单个文件写成 文件名=2019-07-08。"
# the time of day after a date; the date itself is read by the one date parser (values.to_date)
_TIME = re.compile(r"^\s*(?P<date>.+?)(?:[\sT]+(?P<h>\d{1,2})\s*[:：时]\s*(?P<m>\d{1,2})\s*分?"
                   r"(?:\s*[:：]\s*(?P<s>\d{1,2})\s*秒?)?)?\s*$")


def parse_time(text: str) -> datetime:
    """2019-07-08, 2019/7/8 14:30, 2019年7月8日 14:30 ... (a date alone is that day's 00:00)."""
    m = _TIME.match(str(text))
    if m:
        try:
            day = to_date(m["date"])
            if day is not None:
                return datetime.combine(day, dtime(int(m["h"] or 0), int(m["m"] or 0), int(m["s"] or 0)))
        except (ValueIssue, ValueError):
            pass
    raise UsageError(f"收到时间“{text}”无法识别。", hint=HINT)


@dataclass
class ReceivedTimes:
    """What --received-at said: one time for the run and/or times for named files."""
    run: datetime | None = None
    files: dict[str, datetime] = field(default_factory=dict)

    def apply(self, items: list[Item]) -> list[str]:
        """Set each item's given time; return notes (Chinese) for names that matched nothing."""
        used: set[str] = set()
        for item in items:
            top = Path(item.origin.split(" › ")[0].split("#")[0])
            # the file's own name, the saved email or zip it came in, then the folders holding it
            name = next((n for n in (item.name, top.name, *(p.name for p in top.parents)) if n in self.files), None)
            if name is not None:
                item.given_at = self.files[name]
                used.add(name)
            elif self.run is not None and item.sent_at is None:
                item.given_at = self.run  # the email's own Date is better than a time for all
        return [f"指定了收到时间的文件“{n}”不在本次合并的文件中，该时间未使用。"
                for n in self.files if n not in used]


def received_times(values: list[str] | tuple[str, ...]) -> ReceivedTimes:
    """Parse --received-at values: `时间` (the run), `文件名=时间` (or 文件夹名=时间), or a .csv of
    文件名,时间 rows."""
    times = ReceivedTimes()
    for value in values or ():
        value = str(value).strip()
        if value.lower().endswith(".csv") and "=" not in value:
            times.files.update(_csv(Path(value)))
        elif "=" in value:
            name, _, when = value.rpartition("=")
            if not name.strip():
                raise UsageError(f"“{value}”缺少文件名。", hint=HINT)
            times.files[Path(name.strip().rstrip("/\\")).name] = parse_time(when)
        else:
            if times.run is not None:
                raise UsageError("--received-at 只能给出一个整批的收到时间。", hint=HINT)
            times.run = parse_time(value)
    return times


def _csv(path: Path) -> dict[str, datetime]:
    if not path.is_file():
        raise UsageError(f"找不到收到时间表 {path}。", hint="表中每行写：文件名,收到时间（例如 市教育局.xlsx,2019-07-08 14:30）。")
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on a Chinese PC saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    found: dict[str, datetime] = {}
    for n, row in enumerate(csv.reader(io.StringIO(text)), 1):
        cells = [c.strip() for c in row]
        if len(cells) < 2 or not cells[0] or cells[0] in ("文件名", "文件"):
            continue
        try:
            found[Path(cells[0]).name] = parse_time(cells[1])
        except UsageError as exc:
            raise UsageError(f"收到时间表 {path.name} 第{n}行：{exc.message}", hint=HINT)
    return found
