"""`plankit fetch`: take new messages from the coordinator's mailbox, merge them, answer each once.

One round: lock (one fetch at a time) → list the folder's UIDs → fetch each message not in the
ledger (toolkit.mail.ledger) → automatic replies set aside unanswered → the rest merged in one
`merge` exactly as saved .eml files (provenance: sender and Date from the message, Message-ID,
mailbox and UID in its origin) → each message's receipt stored in the ledger → moved with
--move-to → with --reply, each receipt written to the outbox, sent, and marked answered only
once the SMTP server accepted it (the send log is checked first, so a receipt sent just before
a crash is not sent again).
"""
from __future__ import annotations

import email
import hashlib
import imaplib
import json
import os
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.utils import parseaddr
from pathlib import Path

from toolkit import paths
from toolkit.errors import PlankitError
from toolkit.fileio.safeio import atomic_path
from toolkit.fillin.files import safe_file_name
from toolkit.intake.correction import correction_about, write_corrections
from toolkit.intake.merge import MergeResult, merge
from toolkit.intake.outcomes import ACCEPTED, DUPLICATE, REJECTED, SUPERSEDED
from toolkit.mail import ledger as LG
from toolkit.mail.imap import ImapSettings, Mailbox
from toolkit.mail.outgoing import Outgoing, SmtpSettings, _default_sender, send, sent_log
from toolkit.mail.receipts import NOT_A_RETURN, automatic, build_receipt, header_text, receipt_message
from toolkit.model import Plan
from toolkit.problems import Problem
from toolkit.quarter import Quarter, as_quarter
from toolkit.store.db import archive_of, reading
from toolkit.store.location import resolve, use_store
from toolkit.store.lock import StoreBusyError
from toolkit.store.mailbox import one_fetch


@dataclass
class Seen:
    """One message this round: what became of it."""
    uid: int
    sender: str
    subject: str
    what: str  # merged / ignored / again (already taken under another UID)
    reason: str = ""
    files: list[dict] = field(default_factory=list)


@dataclass
class FetchResult:
    quarter: str
    messages: list[Seen] = field(default_factory=list)
    merge: MergeResult | None = None
    answered: int = 0
    failed: list[str] = field(default_factory=list)  # receipts not sent (Chinese reasons)
    mismatches: list[dict] = field(default_factory=list)  # sender not the department's registered 邮箱
    moved: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, what: str) -> int:
        return sum(m.what == what for m in self.messages)

    def to_dict(self) -> dict:
        return {"quarter": self.quarter, "messages": [m.__dict__ for m in self.messages],
                "merge": self.merge.to_dict() if self.merge else None, "answered": self.answered,
                "failed": self.failed, "mismatches": self.mismatches, "moved": self.moved, "notes": self.notes}


def fetch(plan: Plan, quarter: Quarter | str, out_dir: Path | str, imap: ImapSettings, *,
          smtp: SmtpSettings | None = None, sender: str = "", since: date | None = None,
          lock_timeout: float = 60.0, store: str | None = None) -> FetchResult:
    """One round: merge every message not taken before; with `smtp`, answer each with its receipt.

    :param since: only messages that arrived on or after this day; default the quarter's first day,
        so a first run on a mailbox full of older mail does not answer years of unrelated messages.
    :param store: the store (a URL, as `merge` takes it); on a PostgreSQL store the mailbox ledger
        is there too, shared by every PC that fetches with it.
    """
    quarter, out_dir = as_quarter(quarter, plan.settings.year), Path(out_dir)
    since = since or date(quarter.year, 3 * quarter.q - 2, 1)
    with use_store(store):  # the merge and the receipts' lookups read the same store
        return _fetch(plan, quarter, out_dir, imap, smtp, sender, since, lock_timeout)


def _fetch(plan, quarter, out_dir, imap, smtp, sender, since, lock_timeout) -> FetchResult:
    location = resolve(plan, out_dir)
    try:
        with one_fetch(location, lock_timeout):
            ledger = LG.Ledger(location)
            try:
                return _round(plan, quarter, out_dir, imap, smtp, sender, since, ledger)
            finally:
                ledger.close()
    except StoreBusyError:
        raise PlankitError("另一个 plankit fetch 正在处理这个邮箱，本次未做任何改动。",
                           hint="同一时间只需运行一个 fetch（--watch 会一直收取）。")


def _round(plan, quarter, out_dir, imap, smtp, sender, since, ledger) -> FetchResult:
    result = FetchResult(quarter.code)
    box = Mailbox(imap)
    try:
        todo = _take(box, ledger, imap, quarter, since, result)

        if todo:
            _merge(plan, quarter, out_dir, todo, ledger, result)
            if imap.move_to:
                for key, *_ in todo:
                    try:
                        box.move(key[3], imap.move_to)
                        result.moved += 1
                    except PlankitError as exc:
                        result.notes.append(str(exc))
                        break
                    except NETWORK as exc:
                        result.notes.append(_dropped(exc))
                        break
    finally:
        box.close()
    if smtp is not None:
        _answer(plan, quarter, out_dir, ledger, smtp, sender, result)
    return result


def _take(box: Mailbox, ledger: LG.Ledger, imap: ImapSettings, quarter: Quarter, since: date,
          result: FetchResult) -> list:
    """The messages to merge now: new ones, and ones a killed fetch left half-merged."""
    seen = ledger.seen(imap.account, imap.folder, box.uidvalidity)
    todo: list = []
    try:
        uids = box.uids(since)
    except NETWORK as exc:
        result.notes.append(_dropped(exc))
        return todo
    for uid in uids:
        row = seen.get(uid)
        if row is not None and row["state"] != LG.MERGING:
            continue
        try:
            raw = box.fetch(uid)
        except NETWORK as exc:  # dropped mid-round: the messages fetched so far are merged now
            result.notes.append(_dropped(exc))
            break
        if raw is None:
            continue
        msg = email.message_from_bytes(raw, policy=policy.default)
        mid = _text(msg, "Message-ID")
        sha = hashlib.sha256(raw).hexdigest()
        key = (imap.account, imap.folder, box.uidvalidity, uid)
        info: dict = {"message_id": mid, "raw_sha": sha, "quarter": quarter.code, "sender": _text(msg, "From"),
                "subject": _text(msg, "Subject")}
        origin = _origin(imap, imap.folder, uid, box.uidvalidity, mid)
        if row is None:
            same = ledger.same_message(mid, sha, info["sender"], info["subject"])
            if same is not None and same["state"] == LG.MERGING:
                # half-merged under its old number when the server renumbered: finish it under the
                # new one, with the old origin so the files already stored are recognised as its own
                ledger.set(LG.key_of(same), LG.ALIAS)
                ledger.put(key, state=LG.MERGING, **info)
                todo.append((key, _origin(imap, same["folder"], same["uid"], same["uidvalidity"], mid), raw, msg))
                continue
            if same is not None:  # renumbered by the server, or moved back: taken already
                ledger.put(key, state=LG.ALIAS, **info)
                result.messages.append(Seen(uid, info["sender"], info["subject"], "again"))
                continue
            why = automatic(msg)
            if why:
                ledger.put(key, state=LG.IGNORED, **info, receipt={"reason": why})
                result.messages.append(Seen(uid, info["sender"], info["subject"], "ignored", why))
                continue
            ledger.put(key, state=LG.MERGING, **info)
        todo.append((key, origin, raw, msg))
    return todo


NETWORK = (imaplib.IMAP4.error, OSError)


def _dropped(exc: BaseException) -> str:
    return f"与收件服务器的连接中断（{exc or type(exc).__name__}），其余邮件下一轮再收。"


def _origin(imap: ImapSettings, folder: str, uid: int, uidvalidity: int, message_id: str) -> str:
    """Provenance of a message's files: mailbox, folder, UID (with its UIDVALIDITY) and Message-ID."""
    return f"邮箱 {imap.user}@{imap.host}/{folder} UID {uid}（UIDVALIDITY {uidvalidity}，{message_id}）"


def _merge(plan, quarter, out_dir, todo, ledger, result) -> None:
    merged = merge(plan, quarter, out_dir, [], messages=[(origin, raw) for _, origin, raw, _ in todo])
    result.merge = merged
    location = resolve(plan, out_dir)
    _recover(location, quarter.code, {origin for _, origin, _, _ in todo}, merged)
    folder = paths.quarter_dir(plan, quarter, out_dir, "merge") / "退回修改表"
    with archive_of(location) as archive:
        corrections = {**merged.corrections, **write_corrections(archive, folder, merged.files, warned=True,
                                                                    about=correction_about(plan, quarter))}
    for key, origin, _raw, msg in todo:
        files = [f for f in merged.files if f.origin == origin or f.origin.startswith(origin + " ›")]
        receipt = build_receipt(plan, quarter, msg, files, corrections)
        if not any(f["label"] != NOT_A_RETURN for f in receipt["files"]) and ledger.answers_a_receipt(
                f"{_text(msg, 'In-Reply-To')} {_text(msg, 'References')}"):
            # "收到，谢谢" to one of our receipts: nothing to merge, and answering it would only chatter
            ledger.set(key, LG.IGNORED, receipt={"reason": "对回执的回复，没有填报表"})
            result.messages.append(Seen(key[3], _text(msg, "From"), _text(msg, "Subject"), "ignored",
                                        "对回执的回复，没有填报表"))
            continue
        ledger.set(key, LG.MERGED, receipt=receipt)
        result.mismatches.extend(receipt["mismatches"])
        result.messages.append(Seen(key[3], _text(msg, "From"), _text(msg, "Subject"), "merged",
                                    files=receipt["files"]))


def _recover(location, code: str, origins: set[str], merged: MergeResult) -> None:
    """Files a killed fetch had already stored from these very messages come back from the store as
    duplicates: give them the outcome they were stored with."""
    with reading(location) as conn:
        if conn is None:
            return
        current = {r[0] for r in conn.execute("SELECT s.sha256 FROM current c JOIN submissions s"
                                              " ON s.id=c.submission_id WHERE c.quarter=?", (code,))}
        for f in merged.files:
            if f.outcome not in (DUPLICATE, REJECTED) or not f.sha256:
                continue
            row = conn.execute("SELECT * FROM submissions WHERE quarter=? AND sha256=?", (code, f.sha256)).fetchone()
            if row is None or row["origin"] != f.origin or f.origin.split(" › ")[0] not in origins:
                continue
            if row["accepted"]:
                f.outcome = ACCEPTED if f.sha256 in current else SUPERSEDED
            else:
                f.outcome = REJECTED
            f.problems = [Problem(**p) for p in json.loads(row["problems"])]


def _answer(plan, quarter, out_dir, ledger, smtp, sender, result) -> None:
    log = sent_log(plan, quarter, out_dir)
    already = _sent_ids(log)
    outbox = paths.quarter_dir(plan, quarter, out_dir, "mail") / "outbox-receipts"
    attempts = outbox / ATTEMPTS
    attempted = _sent_ids(attempts)
    sender = sender or _default_sender(plan)
    batch = []
    for row in ledger.pending(LG.MERGED):
        if row["quarter"] != quarter.code:
            continue
        key = LG.key_of(row)
        if row["receipt_id"] and row["receipt_id"] in already:  # sent just before a crash
            ledger.set(key, LG.ANSWERED)
            continue
        receipt = json.loads(row["receipt"])
        if not receipt.get("to"):
            ledger.set(key, LG.IGNORED)
            result.failed.append(f"UID {key[3]}（{row['subject']}）：找不到发件人地址，未发回执。")
            continue
        eml = outbox / safe_file_name(f"{key[2]}-{key[3]}-{row['raw_sha'][:12]}.eml")
        if eml.is_file():  # written by an earlier run, not sent: send those very bytes
            msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
            if str(msg["Message-ID"]) in attempted:
                result.notes.append(f"发往 {parseaddr(receipt['to'])[1]} 的回执上次正在发送时程序中断，无法确定是否已发出，"
                                    "本次重发同一封（Message-ID 相同，多数邮箱只显示一封）。")
        else:
            msg = receipt_message(receipt, sender)
            if row["receipt_id"]:
                # prepared by a fetch on another PC sharing this store, which stopped before the
                # server took it: if that fetch did send it, the same Message-ID makes this one its copy
                msg.replace_header("Message-ID", row["receipt_id"])
                result.notes.append(f"发往 {parseaddr(receipt['to'])[1]} 的回执曾由另一台电脑准备发送，未确认是否已发出，"
                                    "本次发送同一封（Message-ID 相同，多数邮箱只显示一封）。")
            with atomic_path(eml) as tmp:
                tmp.write_bytes(bytes(msg))
        ledger.set(key, LG.MERGED, receipt_id=str(msg["Message-ID"]))
        item = Outgoing("", receipt["to"], str(msg["Subject"]), None, eml=eml, message_id=str(msg["Message-ID"]))
        batch.append((key, item, msg))
    if not batch:
        return
    def attempt(item: Outgoing) -> None:  # at-least-once: see ATTEMPTS
        with attempts.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"message_id": item.message_id}) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
    try:
        send([(item, msg) for _, item, msg in batch], smtp, log, before_each=attempt)
    except PlankitError as exc:  # the files are stored; the receipts wait for the next run
        result.failed.append(f"{exc}（回执留待下次运行时发送）")
        return
    for key, item, _ in batch:
        if item.status == "sent":
            ledger.set(key, LG.ANSWERED)
            result.answered += 1
        else:
            result.failed.append(f"回执发往 {item.to} 失败：{item.error}（下一轮重试）")


# Receipts are sent at least once. A crash after the SMTP server accepted a receipt and before
# the send log says so sends it again on the next run: the very same bytes (kept in the outbox),
# so the same Message-ID, which most mail systems show once. At-most-once would instead lose the
# receipt of a rejected return whenever the crash came before the hand-over, and a clerk who hears
# nothing believes the return went through. This file lists each hand-over begun, so the rerun
# says which receipt may be a duplicate.
ATTEMPTS = "sending.jsonl"


def _sent_ids(log: Path) -> set[str]:
    if not log.is_file():
        return set()
    ids = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            ids.add(json.loads(line).get("message_id", ""))
        except ValueError:  # a line cut short by a crash
            continue
    return ids


def _text(msg, header: str) -> str:
    return header_text(msg, header)


def watch(run, every: float, on_round) -> None:
    """Call run() every `every` seconds until interrupted; on_round(n, result or error) after each."""
    n = 0
    while True:
        n += 1
        try:
            on_round(n, run(), datetime.now())
        except PlankitError as exc:  # the server was down for a round: say so, try again next round
            on_round(n, exc, datetime.now())
        time.sleep(every)
