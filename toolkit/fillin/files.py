"""Where the generated fill-in workbooks go: safe and distinct file names, the lock check
before anything is written, the move from staging into place, and manifest.json."""
from __future__ import annotations

import hashlib
import json
import os
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from toolkit.fillin import layout as L
from toolkit.errors import OutputLockedError
from toolkit.model import Plan
from toolkit.quarter import Quarter
from toolkit.fileio.safeio import atomic_path

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class GeneratedSheet:
    """One written workbook."""
    department: str
    path: Path
    tasks: int
    indicators: int
    file_id: str
    sha256: str
    generated_at: str


_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


# Linux and macOS file systems allow 255 bytes per name, and a Chinese character is 3 bytes in
# UTF-8: a character cap alone let a 70-character unit name make a name the system refused.
# The margin leaves room for a "(2)" of a repeated name.
MAX_NAME_BYTES = 240


def safe_file_name(name: str, limit: int = 120) -> str:
    """A file name that Windows, macOS and mail clients accept: at most `limit` characters and
    MAX_NAME_BYTES bytes in UTF-8 (cut whole characters from the end of the stem)."""
    stem, dot, ext = name.rpartition(".")
    stem = _FORBIDDEN.sub("_", unicodedata.normalize("NFC", stem if dot else name)).strip(" .")[:limit]
    room = MAX_NAME_BYTES - (len(ext.encode("utf-8")) + 1 if dot else 0)
    if len(stem.encode("utf-8")) > room:
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{stem or '未命名'}.{ext}" if dot else (stem or "未命名")


def unique_file_names(departments: list[str], q: Quarter, subject: str = "民生实事") -> list[str]:
    """One safe, distinct file name per department (case-insensitively, as Windows sees them)."""
    seen: set[str] = set()
    result = []
    for dept in departments:
        base = safe_file_name(L.file_name(dept, q.label, subject))
        name, n = base, 2
        while name.lower() in seen:
            stem, ext = base.rsplit(".", 1)
            name, n = f"{stem}({n}).{ext}", n + 1
        seen.add(name.lower())
        result.append(name)
    return result


def check_not_locked(target: Path) -> None:
    """Refuse to start when a target is open in Excel/WPS/LibreOffice (nothing written yet)."""
    lock_files = [target.with_name(f"~${target.name}"), target.with_name(f".~lock.{target.name}#")]
    lock = next((p for p in lock_files if p.exists()), None)
    if lock is None and target.exists():
        try:
            with open(target, "r+b"):
                pass
        except PermissionError:
            lock = target
    if lock is not None:
        extra = f"如果该文件其实没有打开，请删除锁定文件 {lock} 后重试。" if lock != target else ""
        raise OutputLockedError(f"文件 {target} 正在被Excel、WPS或LibreOffice打开，无法覆盖。本次没有写入任何文件。",
                                hint=f"请关闭该文件后重新运行。{extra}")


def move_into_place(staged: list[tuple[Path, GeneratedSheet]]) -> tuple[list[GeneratedSheet], list[str]]:
    results, locked = [], []
    for tmp, info in staged:
        try:
            os.replace(tmp, info.path)
        except PermissionError:  # opened between the check and now: keep the new file beside it
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            sibling = info.path.with_name(f"{info.path.stem}_{stamp}{info.path.suffix}")
            os.replace(tmp, sibling)
            locked.append(f"  {info.path.name} → {sibling.name}")
            info = GeneratedSheet(**{**info.__dict__, "path": sibling})
        results.append(info)
    return results, locked


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def write_manifest(target_dir: Path, plan: Plan, q: Quarter, results: list[GeneratedSheet]) -> Path:
    """manifest.json: this run's files plus earlier entries for other departments still present."""
    path = target_dir / MANIFEST
    entries: dict[str, dict] = {}
    try:
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("fingerprint") == plan.fingerprint and old.get("quarter") == q.code:
            for e in old.get("files", []):
                if (target_dir / e.get("file", "")).exists():
                    entries[e["department"]] = e
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        pass
    for r in results:
        entries[r.department] = {"department": r.department, "file": r.path.name, "sha256": r.sha256,
                                 "file_id": r.file_id, "tasks": r.tasks, "indicators": r.indicators,
                                 "generated_at": r.generated_at}
    order = {d: i for i, d in enumerate(plan.department_names())}
    manifest = {"plan_id": plan.plan_id, "fingerprint": plan.fingerprint, "quarter": q.code,
                "format": L.FORMAT_VERSION, "generated_at": results[0].generated_at if results else "",
                "files": sorted(entries.values(), key=lambda e: order.get(e["department"], len(order)))}
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.chmod(0o644)  # mkstemp makes it private; the workbooks beside it are not
    return path
