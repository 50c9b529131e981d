"""Why the store cannot be used, in the coordinator's words: the store's error, SQLite's reasons,
a read-only folder or a full disk, and a database emptied while the archive holds files."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from toolkit.errors import STORE_UNAVAILABLE, PlankitError
from toolkit.store.archive import ARCHIVED_NAME, JOURNAL, read_jsonl

ARCHIVE = "archive"


class StoreError(PlankitError):
    """The store cannot be used (network drive, damaged database)."""
    code = STORE_UNAVAILABLE


_DB_REASONS = (("not a database", "文件不是数据库或已损坏"), ("malformed", "文件已损坏"),
               ("locked", "正被另一个程序使用，请稍后再试"), ("readonly", "文件只读，无法写入"),
               ("disk is full", "磁盘已满"), ("unable to open", "无法打开文件（检查文件夹是否存在、是否有权限）"),
               ("disk i/o", "读写磁盘出错"))


def db_reason(exc: Exception) -> str:
    """SQLite's English message as the coordinator reads it."""
    text = str(exc).lower()
    return next((zh for en, zh in _DB_REASONS if en in text), "数据库出错")


def read_only_folder(folder: Path) -> bool:
    """Whether files cannot be created in `folder` (a read-only disk, share or permissions)."""
    try:
        if os.statvfs(folder).f_flag & getattr(os, "ST_RDONLY", 1):
            return True
    except (OSError, AttributeError):
        pass
    return not os.access(folder, os.W_OK)


def check_not_emptied(db: Path, conn: sqlite3.Connection | None) -> None:
    """Raise when the database is missing or holds no submission at all while the archive holds
    returned files: a report would otherwise show every department as 未报送."""
    if conn is not None and conn.execute("SELECT 1 FROM submissions LIMIT 1").fetchone() is not None:
        return
    archive = db.parent / ARCHIVE
    if not archive.is_dir():
        return
    withdrawn = _withdrawn(archive)
    held = sum(1 for p in archive.iterdir()
               if ARCHIVED_NAME.match(p.name) and p.suffix.lower() in (".xlsx", ".xlsm", ".xls", ".ods")
               and p.name.split(".", 1)[0] not in withdrawn)
    if held:
        state = "不存在（可能被删除或移走）" if conn is None else "是空的"
        raise StoreError(f"数据库 {db} {state}，但归档中有 {held} 个已收到的文件。为免把各单位都显示为未报送，未生成任何内容。",
                         hint="请运行 plankit merge --rebuild 从归档重建数据库后再运行。")


def _withdrawn(archive: Path) -> set[str]:
    """Archived files every merge of which was undone (`merge --undo`): an empty database
    beside them is what the coordinator asked for, not a lost one."""
    events = read_jsonl(archive / JOURNAL)
    undone = {ev.get("merged_at") for ev in events if ev.get("event") == "undo"}
    if not undone:
        return set()
    runs: dict[str, set] = {}
    for ev in events:
        if ev.get("event") == "received":
            runs.setdefault(ev.get("sha256", ""), set()).add(ev.get("merged_at"))
    return {sha for sha, merged in runs.items() if merged <= undone}


LOW_SPACE = 1024 * 1024  # reading a WAL database still writes its -shm index


def _unreadable(db: Path, exc: sqlite3.Error, what: str) -> StoreError:
    """Why the database cannot be read: a full disk and a read-only folder are not damage, and
    rebuilding would not help them."""
    import shutil
    try:
        free = shutil.disk_usage(db.parent).free
    except OSError:
        free = None
    if free is not None and free < LOW_SPACE:
        return StoreError(f"磁盘空间不足，无法读取数据库 {db}（读取时也需要少量空间）。数据库本身完好。",
                          hint="请清理磁盘后重新运行同一命令。")
    if read_only_folder(db.parent):
        return StoreError(f"数据库 {db} 所在的文件夹是只读的，无法读取（{db_reason(exc)}）。数据库本身没有损坏，不需要重建。",
                          hint="请把数据目录复制到可写的磁盘，或改正文件夹权限后，用 --out 指向它重新运行。")
    return StoreError(f"数据库 {db} {what}（{db_reason(exc)}）。", hint="可运行 plankit merge --rebuild 从归档重建。")
