"""Which mailbox messages were taken and answered: the exactly-once ledger of `plankit fetch`.

  store/mailbox/ledger.sqlite   one row per (account, folder, UIDVALIDITY, UID)
  store/mailbox/merge.lock      one fetch at a time (a second one waits, then finds nothing new)

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
import sqlite3
from datetime import datetime
from pathlib import Path

from toolkit.store.db import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages(
  account TEXT NOT NULL, folder TEXT NOT NULL, uidvalidity INTEGER NOT NULL, uid INTEGER NOT NULL,
  message_id TEXT NOT NULL, raw_sha TEXT NOT NULL, state TEXT NOT NULL, quarter TEXT NOT NULL,
  sender TEXT NOT NULL, subject TEXT NOT NULL, receipt TEXT NOT NULL, receipt_id TEXT NOT NULL,
  updated_at TEXT NOT NULL, PRIMARY KEY(account, folder, uidvalidity, uid));
CREATE INDEX IF NOT EXISTS messages_mid ON messages(message_id);
CREATE INDEX IF NOT EXISTS messages_sha ON messages(raw_sha);
"""
MERGING, MERGED, ANSWERED, IGNORED, ALIAS = "merging", "merged", "answered", "ignored", "alias"


class Ledger:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.conn = connect(folder / "ledger.sqlite")
        self.conn.executescript(f"BEGIN;\n{SCHEMA}\nCOMMIT;")

    def close(self) -> None:
        self.conn.close()

    def seen(self, account: str, folder: str, uidvalidity: int) -> dict[int, sqlite3.Row]:
        rows = self.conn.execute("SELECT * FROM messages WHERE account=? AND folder=? AND uidvalidity=?",
                                 (account, folder, uidvalidity))
        return {r["uid"]: r for r in rows}

    def same_message(self, message_id: str, raw_sha: str, sender: str, subject: str) -> sqlite3.Row | None:
        """A row for the same message under any UID: the same bytes, or (a server that rewrites
        headers when it renumbers) the same Message-ID from the same sender with the same subject.
        A Message-ID alone is not trusted: a badly made one reused by a client must not make a
        new return look as if it had been taken already."""
        return self.conn.execute(
            "SELECT * FROM messages WHERE state<>? AND (raw_sha=? OR (message_id<>'' AND message_id=?"
            " AND sender=? AND subject=?)) ORDER BY rowid LIMIT 1",
            (ALIAS, raw_sha, message_id, sender, subject)).fetchone()

    def answers_a_receipt(self, references: str) -> bool:
        """Whether In-Reply-To/References name one of the receipts sent from this ledger."""
        ids = re.findall(r"<[^<>\s]+>", references)
        if not ids:
            return False
        marks = ",".join("?" * len(ids))
        return self.conn.execute(f"SELECT 1 FROM messages WHERE receipt_id IN ({marks}) LIMIT 1",
                                 ids).fetchone() is not None

    def pending(self, state: str) -> list[sqlite3.Row]:
        return self.conn.execute("SELECT * FROM messages WHERE state=? ORDER BY rowid", (state,)).fetchall()

    def put(self, key: tuple, *, message_id: str, raw_sha: str, state: str, quarter: str, sender: str,
            subject: str, receipt: dict | None = None) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO messages VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (*key, message_id, raw_sha, state, quarter, sender, subject,
             json.dumps(receipt or {}, ensure_ascii=False), "", _now()))

    def set(self, key: tuple, state: str, *, receipt: dict | None = None, receipt_id: str | None = None) -> None:
        sets, args = ["state=?", "updated_at=?"], [state, _now()]
        if receipt is not None:
            sets.append("receipt=?")
            args.append(json.dumps(receipt, ensure_ascii=False))
        if receipt_id is not None:
            sets.append("receipt_id=?")
            args.append(receipt_id)
        self.conn.execute(f"UPDATE messages SET {', '.join(sets)} WHERE account=? AND folder=? AND"
                          " uidvalidity=? AND uid=?", (*args, *key))


def key_of(row: sqlite3.Row) -> tuple:
    return (row["account"], row["folder"], row["uidvalidity"], row["uid"])


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")
