"""What a test reads back from a plan's store, the same way on SQLite and PostgreSQL: through
the store's own reading API (toolkit.store.db.reading, Store's archive), never the SQLite file
or the archive folder, so a test parametrised over `each_store` asserts the same thing on both.
The store is the one PLANKIT_STORE names (the each_store fixture), else the one under `out`."""
from __future__ import annotations

import contextlib
from pathlib import Path

from toolkit.store.db import Store, reading
from toolkit.store.location import SQLITE, resolve


def on_sqlite(plan, out: Path) -> bool:
    return resolve(plan, out).kind == SQLITE


@contextlib.contextmanager
def opened(plan, out: Path):
    store = Store.open(resolve(plan, out))
    try:
        yield store
    finally:
        store.close()


def dump(out: Path, plan) -> dict:
    """Every row of every table (ids replaced by the file's sha256), to compare whole stores."""
    with reading(resolve(plan, out)) as db:
        if db is None:
            return {"submissions": [], "task_values": [], "indicator_values": [], "current": []}
        subs = {r[0]: r[1] for r in db.execute("SELECT id, sha256 FROM submissions")}
        return {
            "submissions": sorted(tuple(r) for r in db.execute(
                "SELECT quarter, sha256, filename, origin, sender, sent_at, mtime, received_at, merged_at,"
                " department, accepted, content_hash, problems FROM submissions")),
            "task_values": sorted((subs[r[0]], *tuple(r)[1:]) for r in db.execute("SELECT * FROM task_values")),
            "indicator_values": sorted((subs[r[0]], *tuple(r)[1:])
                                       for r in db.execute("SELECT * FROM indicator_values")),
            "current": sorted((r[0], r[1], subs[r[2]], r[3]) for r in db.execute("SELECT * FROM current")),
        }


def archived(out: Path, plan) -> dict[str, bytes]:
    """Every archived file, `<sha256>.<ext>` → its bytes."""
    with opened(plan, out) as store:
        return {f"{sha}.{ext}": data for sha, ext in store.files.names()
                for e, data in store.archived_bytes(sha) if e == ext}


def received(out: Path, plan) -> list[dict]:
    """The archive index: each file's first reception, in archiving order."""
    with opened(plan, out) as store:
        return store.received()


def events(out: Path, plan) -> list[dict]:
    """The journal, in order."""
    with opened(plan, out) as store:
        return store.events()


def lose_journal(out: Path, plan) -> None:
    """The journal is lost (a rebuild then goes by the archive index): the journal file of a SQLite
    store, every row of a server store's journal table."""
    location = resolve(plan, out)
    if location.kind == SQLITE:
        from toolkit.store.archive import JOURNAL
        (location.root / "archive" / JOURNAL).unlink()
        return
    with opened(plan, out) as store:
        store.db.execute("DELETE FROM journal")


# -- damage, as it happens to each kind of store (the tests then assert the same on both) ----------

def cut_journal(out: Path, plan, keep: int) -> None:
    """The journal cut short after `keep` events: the file also torn mid-line (a crash while
    appending), the server's table missing its later rows."""
    location = resolve(plan, out)
    if location.kind == SQLITE:
        from toolkit.store.archive import JOURNAL
        journal = location.root / "archive" / JOURNAL
        lines = journal.read_text(encoding="utf-8").splitlines()[:keep]
        journal.write_text("".join(line + "\n" for line in lines) + '{"event": "rece', encoding="utf-8")
        return
    with opened(plan, out) as store:
        store.db.execute("DELETE FROM journal WHERE id NOT IN (SELECT id FROM journal ORDER BY id LIMIT ?)", (keep,))


def lose_index(out: Path, plan) -> None:
    """The archive index is lost: its file, or every row of the server's archive_index."""
    location = resolve(plan, out)
    if location.kind == SQLITE:
        from toolkit.store.archive import INDEX
        (location.root / "archive" / INDEX).unlink()
        return
    with opened(plan, out) as store:
        store.db.execute("DELETE FROM archive_index")


def _name(name: str) -> tuple[str, str]:
    sha, _, ext = name.partition(".")
    return sha, ext


def lose_archived(out: Path, plan, name: str) -> None:
    """One archived file (`<sha256>.<ext>`) gone."""
    location = resolve(plan, out)
    if location.kind == SQLITE:
        (location.root / "archive" / name).unlink()
        return
    with opened(plan, out) as store:
        store.db.execute("DELETE FROM archive_files WHERE sha256=? AND ext=?", _name(name))


def overwrite_archived(out: Path, plan, name: str, data: bytes) -> None:
    """An archived file's bytes changed after it was archived (edited, truncated); or, for a name
    not archived yet, a file put into the archive by hand (in no log)."""
    location = resolve(plan, out)
    if location.kind == SQLITE:
        (location.root / "archive" / name).write_bytes(data)
        return
    with opened(plan, out) as store:
        store.db.execute("INSERT INTO archive_files(sha256, ext, data) VALUES(?,?,?) ON CONFLICT(sha256, ext)"
                         " DO UPDATE SET data=excluded.data", (*_name(name), data))


def read_archived(out: Path, plan, name: str) -> bytes:
    return archived(out, plan)[name]
