"""plankit fetch with a shared PostgreSQL store: the mailbox ledger lives on the server, so two
PCs fetching the same mailbox take and answer each message once (real Dovecot, real SMTP, real
PostgreSQL, all on 127.0.0.1)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.mail.fetch import fetch
from toolkit.paths import store_dir
from toolkit.store.location import parse
from toolkit.store.mailbox import read_rows

from .imap_helpers import PASSWORD, USER, message, run_dovecot
from .test_fetch import BAD, GOOD, Q2, addr, imap_for, receipts, returns, smtp_for

ROOT = Path(__file__).parent.parent


@pytest.fixture
def dovecot():
    yield from run_dovecot()


def _states(url: str, plan) -> list[str]:
    return [row[6] for row in read_rows(parse(url, plan.plan_id))]


def _submissions(url: str, plan) -> list[tuple]:
    db = parse(url, plan.plan_id).open()
    try:
        return [tuple(r) for r in db.execute("SELECT department, accepted FROM submissions WHERE ext='xlsx' ORDER BY id")]
    finally:
        db.close()


def test_two_pcs_fetching_one_mailbox_into_one_server_answer_each_message_once(plan, plan_path, tmp_path, dovecot,
                                                                               smtp_server, pg_url):
    controller, handler = smtp_server
    good, bad = returns(tmp_path, plan)
    for n in range(3):
        dovecot.append(message(addr(plan, GOOD), f"教育局{n}", [(f"教育局{n}.xlsx", good)]))
    dovecot.append(message(addr(plan, BAD), "住建局", [("住建局.xlsx", bad)]))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PLANKIT_IMAP_PASSWORD": PASSWORD, "PLANKIT_STORE": pg_url}
    procs = [subprocess.Popen(
        [sys.executable, "-m", "toolkit", "fetch", "--plan", str(plan_path), "-q", "2019Q2",
         "--out", str(tmp_path / f"pc{k}"), "--imap-host", "127.0.0.1", "--imap-port", str(dovecot.port),
         "--imap-security", "none", "--imap-user", USER, "--reply", "--smtp-host", "127.0.0.1",
         "--smtp-port", str(controller.port), "--smtp-security", "none"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode in (0, 1) for p in procs), outputs
    assert sorted(m["Subject"] for m in receipts(handler)) == ["回执：住建局", "回执：教育局0", "回执：教育局1",
                                                              "回执：教育局2"]
    assert _states(pg_url, plan) == ["answered"] * 4
    assert _submissions(pg_url, plan) == [(GOOD, 1), (BAD, 0)]
    for k in (1, 2):  # nothing of the ledger on either PC
        assert not (store_dir(plan, tmp_path / f"pc{k}") / "mailbox" / "ledger.sqlite").exists()


def test_a_store_copied_to_the_server_carries_the_ledger_so_nothing_is_taken_or_answered_again(
        plan, tmp_path, dovecot, smtp_server, pg_url):
    controller, handler = smtp_server
    good, bad = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)]))
    dovecot.append(message(addr(plan, BAD), "住建局", [("住建局.xlsx", bad)]))
    local = tmp_path / "pc1"
    fetch(plan, Q2, local, imap_for(dovecot), smtp=smtp_for(controller))  # both answered on the first PC
    dovecot.append(message(addr(plan, GOOD), "教育局补充", [("教育局补充.xlsx", good)]))
    fetch(plan, Q2, local, imap_for(dovecot))  # taken, its receipt still to send
    assert len(handler.envelopes) == 2
    r = CliRunner().invoke(main, ["store", "copy", "--from", f"sqlite:///{local}", "--to", pg_url])
    assert r.exit_code == 0 and "3 条邮箱收取记录" in r.output, r.output
    assert _states(pg_url, plan) == ["answered", "answered", "merged"]

    result = fetch(plan, Q2, tmp_path / "pc2", imap_for(dovecot), smtp=smtp_for(controller), store=pg_url)
    assert result.messages == [] and result.answered == 1  # nothing taken again; the pending receipt sent
    assert [m["Subject"] for m in receipts(handler)] == ["回执：教育局", "回执：住建局", "回执：教育局补充"]
    assert _states(pg_url, plan) == ["answered"] * 3


def test_a_receipt_prepared_on_another_pc_is_sent_with_its_message_id(plan, tmp_path, dovecot, smtp_server, pg_url):
    controller, handler = smtp_server
    good, _ = returns(tmp_path, plan)
    dovecot.append(message(addr(plan, GOOD), "教育局", [("教育局.xlsx", good)]))
    fetch(plan, Q2, tmp_path / "pc1", imap_for(dovecot), store=pg_url)
    db = parse(pg_url, plan.plan_id).open()
    try:  # as a fetch on PC 1 leaves it when stopped between writing the receipt and the server taking it
        db.execute("UPDATE mailbox_messages SET receipt_id='<r1@pc1.example>'")
    finally:
        db.close()
    result = fetch(plan, Q2, tmp_path / "pc2", imap_for(dovecot), smtp=smtp_for(controller), store=pg_url)
    assert result.answered == 1
    assert [m["Message-ID"] for m in receipts(handler)] == ["<r1@pc1.example>"]
    assert any("另一台电脑准备发送" in n for n in result.notes), result.notes
