"""The archive of a PostgreSQL store, in the database itself (toolkit.store.archive's interface).

  archive_files   every received file's bytes under (sha256, ext); written once, never changed
  archive_index   each file's first reception (name, sender, Date, mtime, quarter)
  journal         submissions and coordinator choices in order: what a rebuild replays

A second coordinator's PC needs only the URL: no shared folder (whose locking over SMB is what
the server replaces), and the bytes, their index and the submission that refers to them are in
one write-ahead log, so no crash can leave a submission whose file is missing. Files are
written before they are recorded: a merge's batch of files (batch()) in one transaction, whose
futures are done once it commits; a journal line written inside record()'s transaction commits
with the submission it describes.
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import Future
from pathlib import Path

from toolkit.errors import ARCHIVE_HASH_MISMATCH
from toolkit.store.archive import Archived, Batching, Damage, _line, missing_listed
from toolkit.store.sql import Database


class DbArchive(Batching):
    def __init__(self, db: Database, *, journal: bool = True):
        self.db, self.write_journal = db, journal
        self.dir = None
        self._held: list | None = None  # put_ahead inside batch(): written when the block ends

    def path(self, sha256: str, ext: str) -> Path:
        """The file's archive name (there is no folder: a name to show, as a folder's file has)."""
        return Path(f"{sha256}.{ext or 'bin'}")

    def put(self, sha256: str, data: bytes, ext: str, provenance: dict) -> Archived:
        self._put(sha256, data, ext, provenance, None)
        return Archived(sha256, self.path(sha256, ext), len(data))

    def put_ahead(self, sha256: str, data: bytes, ext: str, provenance: dict, event: dict | None = None) -> Future:
        """Archived now, or, inside batch(), with the batch's other files when the block ends."""
        future: Future = Future()
        job = (sha256, data, ext, provenance, event, future)
        if self._held is not None:
            self._held.append(job)
        else:
            self._write([job])
        return future

    def _put(self, sha256: str, data: bytes, ext: str, provenance: dict, event: dict | None) -> None:
        self._write([(sha256, data, ext, provenance, event, None)])

    def _write(self, jobs: list) -> None:
        """The files of a batch in one transaction (one commit, as archive.Archive syncs once a batch)."""
        try:
            with self.db.transaction():
                # a handful of statements a batch (pipelined by executemany), not three a file; a file
                # another merge is storing at this moment waits for its commit, then is not stored again
                first: dict[tuple[str, str], tuple] = {}
                for sha256, data, ext, provenance, _, _ in jobs:
                    first.setdefault((sha256, ext or "bin"), (data, provenance))
                stored = set(self.db.insert_many(
                    "INSERT INTO archive_files(sha256, ext, data) VALUES(?,?,?) ON CONFLICT(sha256, ext) DO NOTHING"
                    " RETURNING sha256, ext", [(*key, data) for key, (data, _) in first.items()]))
                self.db.executemany("INSERT INTO archive_index(sha256, ext, provenance) VALUES(?,?,?)",
                                    [(*key, _line(prov)) for key, (_, prov) in first.items() if key in stored])
                if self.write_journal:
                    self.db.executemany("INSERT INTO journal(event) VALUES(?)",
                                        [(_line(job[4]),) for job in jobs if job[4] is not None])
        except BaseException as exc:
            for *_, future in jobs:
                if future is not None:
                    future.set_exception(exc)
            raise
        for sha256, data, ext, _, _, future in jobs:
            if future is not None:
                future.set_result(Archived(sha256, self.path(sha256, ext), len(data)))

    def _hand_over(self, held: list) -> None:
        self._write(held)

    def wait(self) -> None:
        pass

    def close(self) -> None:
        pass

    def journal(self, event: dict) -> None:
        if self.write_journal:
            self.db.execute("INSERT INTO journal(event) VALUES(?)", (_line(event),))

    def journal_many(self, events: list[dict]) -> None:
        if self.write_journal and events:
            self.db.executemany("INSERT INTO journal(event) VALUES(?)", [(_line(e),) for e in events])

    def events(self) -> list[dict]:
        return [json.loads(r[0]) for r in self.db.execute("SELECT event FROM journal ORDER BY id")]

    def received(self) -> list[dict]:
        return [{"sha256": r[0], "ext": r[1], **json.loads(r[2])} for r in self.db.execute(
            "SELECT sha256, ext, provenance FROM archive_index ORDER BY id")]

    def names(self) -> list[tuple[str, str]]:
        """(sha256, ext) of every archived file, in name order."""
        return [(r[0], r[1]) for r in self.db.execute("SELECT sha256, ext FROM archive_files ORDER BY sha256, ext")]

    def read(self, sha256: str, ext: str) -> bytes | None:
        row = self.db.execute("SELECT data FROM archive_files WHERE sha256=? AND ext=?", (sha256, ext or "bin")).fetchone()
        return bytes(row[0]) if row is not None else None

    def copies(self, sha256: str) -> list[tuple[str, bytes]]:
        return [(r[0], bytes(r[1])) for r in self.db.execute(
            "SELECT ext, data FROM archive_files WHERE sha256=? ORDER BY ext", (sha256,))]

    def verify(self) -> tuple[int, list[Damage]]:
        """Each stored file's bytes against its sha256, and every file the journal or index
        lists present. Read-only; one file's bytes in memory at a time."""
        damage: list[Damage] = []
        present: set[str] = set()
        names = self.names()
        for sha, ext in names:
            data = self.read(sha, ext) or b""
            name = f"{sha}.{ext}"
            present.add(name)
            if hashlib.sha256(data).hexdigest() != sha:
                damage.append(Damage(name, ARCHIVE_HASH_MISMATCH,
                                     f"内容与编号不符（文件在存档后被改动或截断，现为 {len(data)} 字节），不能再作为原件使用"))
        listed = [e for e in self.events() if e.get("event") == "received"] + self.received()
        damage.extend(missing_listed(listed, present))
        return len(names), damage
