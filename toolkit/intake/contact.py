"""The contact block of a return (填报人/联系电话/填报日期/审核人 above the header row)."""
from __future__ import annotations

from toolkit.fillin import layout as L
from toolkit.intake import codes as RC
from toolkit.intake.cells import Context, short
from toolkit.intake.filldate import implausible
from toolkit.intake.grid import Table, header_text
from toolkit.values import ValueIssue, contact_text, parse_date


def read_contact(ctx: Context, table: Table, positions: dict[str, str]) -> dict[str, str]:
    """填报人/联系电话/填报日期/审核人: found by label above the header, else by the meta positions."""
    grid, found = table.grid, {}
    labels = {header_text(f): f for f in L.CONTACT_FIELDS}
    for r in range(table.header_row):
        row = grid.rows[r]
        for c, v in enumerate(row):
            name = labels.get(header_text(v).rstrip(":："))
            if not name or name in found:
                continue
            for c2 in range(c + 1, min(c + 6, len(row))):
                nxt = grid.value(r, c2)
                if nxt is not None and header_text(nxt).rstrip(":：") in labels:
                    break
                if nxt is not None:
                    found[name] = (r, c2)
                    break
            found.setdefault(name, (r, c + 1))
    for name, where in positions.items():
        if name in labels.values() and name not in found and "!" in where:
            sheet, ref = where.split("!", 1)
            if sheet == grid.name:
                found[name] = _parse_ref(ref)
    contact, missing = {}, []
    for name in L.CONTACT_FIELDS:
        r, c = found.get(name, (-1, -1))
        value = grid.value(r, c) if r >= 0 else None
        text = contact_text(value)
        if name == "填报日期" and value is not None:
            try:
                text = parse_date(value, date1904=ctx.date1904)
            except ValueIssue:
                ctx.add(RC.BAD_DATE, table, grid.ref(r, c), short(value))
            if text and (why := implausible(text, ctx.quarter)):
                ctx.add(RC.ODD_DATE, table, grid.ref(r, c), text, reason=why)
        contact[name] = text
        if not text:
            missing.append(name)
    if missing:
        ctx.add(RC.MISSING_CONTACT, table, value="、".join(missing))
    return contact


def _parse_ref(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha()).upper()
    digits = "".join(ch for ch in ref if ch.isdigit())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return (int(digits) - 1 if digits else -1), col - 1
