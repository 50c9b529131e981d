"""Which mailbox messages were taken and answered: the exactly-once ledger of `plankit fetch`.

  store/mailbox/ledger.sqlite   one row per (account, folder, UIDVALIDITY, UID); on a PostgreSQL
                                store the table mailbox_messages, shared by every PC (store.mailbox)
  store/mailbox/merge.lock      one fetch at a time (a second one waits, then finds nothing new);
                                on a server an advisory lock

A message moves merging → merged → answered (or ignored: an auto-reply). `merging` is
written before its files are merged, `merged` (with the receipt's content) right after they
are stored, so a fetch killed in between merges the message again and recovers each file's
outcome from the store (the same bytes from the same message origin: never counted twice).
A message seen again under another UID (the server renumbered: new UIDVALIDITY, or it was
moved back) is recognised by its Message-ID or the sha256 of its bytes and recorded as an
`alias`, never merged or answered again.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from toolkit.store.location import Location
from toolkit.store.mailbox import COLUMNS, KEY, open_table

MERGING, MERGED, ANSWERED, IGNORED, ALIAS = "merging", "merged", "answered", "ignored", "alias"


class Ledger:
    """The ledger of one store's mailbox (toolkit.store.mailbox says where it lives)."""

    def __init__(self, location: Location):
        table = open_table(location)
        assert table is not None
        self._table = table
        self.db, self.name, self.order = table.db, table.table, table.order

    def close(self) -> None:
        self._table.close()

    def seen(self, account: str, folder: str, uidvalidity: int) -> dict[int, Any]:
        rows = self.db.execute(f"SELECT * FROM {self.name} WHERE account=? AND folder=? AND uidvalidity=?",
                               (account, folder, uidvalidity))
        return {r["uid"]: r for r in rows}

    def same_message(self, message_id: str, raw_sha: str, sender: str, subject: str) -> Any:
        """A row for the same message under any UID: the same bytes, or (a server that rewrites
        headers when it renumbers) the same Message-ID from the same sender with the same subject.
        A Message-ID alone is not trusted: a badly made one reused by a client must not make a
        new return look as if it had been taken already."""
        return self.db.execute(
            f"SELECT * FROM {self.name} WHERE state<>? AND (raw_sha=? OR (message_id<>'' AND message_id=?"
            f" AND sender=? AND subject=?)) ORDER BY {self.order} LIMIT 1",
            (ALIAS, raw_sha, message_id, sender, subject)).fetchone()

    def answers_a_receipt(self, references: str) -> bool:
        """Whether In-Reply-To/References name one of the receipts sent from this ledger."""
        ids = re.findall(r"<[^<>\s]+>", references)
        if not ids:
            return False
        marks = ",".join("?" * len(ids))
        return self.db.execute(f"SELECT 1 FROM {self.name} WHERE receipt_id IN ({marks}) LIMIT 1",
                               ids).fetchone() is not None

    def pending(self, state: str) -> list:
        return self.db.execute(f"SELECT * FROM {self.name} WHERE state=? ORDER BY {self.order}", (state,)).fetchall()

    def put(self, key: tuple, *, message_id: str, raw_sha: str, state: str, quarter: str, sender: str,
            subject: str, receipt: dict | None = None) -> None:
        values = (*key, message_id, raw_sha, state, quarter, sender, subject,
                  json.dumps(receipt or {}, ensure_ascii=False), "", _now())
        updates = ", ".join(f"{c}=excluded.{c}" for c in COLUMNS[4:])
        self.db.execute(f"INSERT INTO {self.name}({', '.join(COLUMNS)}) VALUES({', '.join('?' * len(COLUMNS))})"
                        f" ON CONFLICT({KEY}) DO UPDATE SET {updates}", values)

    def set(self, key: tuple, state: str, *, receipt: dict | None = None, receipt_id: str | None = None) -> None:
        sets, args = ["state=?", "updated_at=?"], [state, _now()]
        if receipt is not None:
            sets.append("receipt=?")
            args.append(json.dumps(receipt, ensure_ascii=False))
        if receipt_id is not None:
            sets.append("receipt_id=?")
            args.append(receipt_id)
        self.db.execute(f"UPDATE {self.name} SET {', '.join(sets)} WHERE account=? AND folder=? AND"
                        " uidvalidity=? AND uid=?", (*args, *key))


def key_of(row) -> tuple:
    return (row["account"], row["folder"], row["uidvalidity"], row["uid"])


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
