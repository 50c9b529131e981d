"""LibreOffice (soffice) in headless mode: conversions for PDFs and round trips.

Each call uses its own throw-away user profile, so conversions can run while
another LibreOffice is open (or in parallel tests) without clashing.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from toolkit.errors import OFFICE_FAILED, OFFICE_MISSING, PlankitError

INSTALL_HINT = ("请安装LibreOffice：Windows/macOS 从 libreoffice.org 下载安装（装在默认位置即可找到）；"
                "Debian/Ubuntu 上运行 sudo apt-get install libreoffice-calc-nogui libreoffice-writer-nogui fonts-noto-cjk。"
                "装在其他位置时，把 soffice 的完整路径写入环境变量 PLANKIT_SOFFICE。")


def soffice() -> str | None:
    """Path of the soffice binary, or None when LibreOffice is not installed.

    PLANKIT_SOFFICE first (a portable or unusual install), then the PATH, then where the
    installers put it: Windows does not add LibreOffice to the PATH.
    """
    given = os.environ.get("PLANKIT_SOFFICE", "").strip().strip('"')
    if given and Path(given).is_file():
        return given
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found:
        return found
    return next((str(p) for p in install_locations() if p.is_file()), None)


def install_locations() -> list[Path]:
    """Where the LibreOffice installers put soffice on Windows and macOS."""
    roots = [os.environ.get(v) for v in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)")]
    found = [Path(r) / "LibreOffice" / "program" / "soffice.exe" for r in roots if r]
    local = os.environ.get("LOCALAPPDATA")
    if local:
        found.append(Path(local) / "Programs" / "LibreOffice" / "program" / "soffice.exe")
    found += [Path(r"C:\Program Files\LibreOffice\program\soffice.exe"),
              Path(r"C:\Program Files (x86)\LibreOffice\program\soffice.exe"),
              Path("/Applications/LibreOffice.app/Contents/MacOS/soffice")]
    return found


def convert(src: Path, fmt: str, out_dir: Path, *, timeout: int = 180) -> Path:
    """Convert `src` with LibreOffice to `fmt` (e.g. "pdf", "xlsx", "xls", "ods") in `out_dir`."""
    src, out_dir = Path(src), Path(out_dir)
    with tempfile.TemporaryDirectory(prefix="plankit-lo-") as profile:
        try:
            proc = convert_files([src], fmt, out_dir, profile=Path(profile), timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PlankitError(f"LibreOffice转换超时（{timeout}秒）：{src.name}", code=OFFICE_FAILED)
    target = out_dir / f"{src.stem}.{fmt.split(':')[0]}"
    if proc.returncode != 0 or not target.exists():
        raise PlankitError(f"LibreOffice转换失败：{src.name} → {fmt}（{(proc.stderr or proc.stdout).strip()[:200]}）",
                           code=OFFICE_FAILED)
    return target


def convert_files(sources: list[Path], fmt: str, out_dir: Path, *, profile: Path,
                  timeout: int = 180) -> subprocess.CompletedProcess:
    """One headless soffice run converting `sources` into `out_dir`, with the user profile in
    `profile` (private, so a desktop LibreOffice that is open does not take the job)."""
    binary = soffice()
    if not binary:
        raise PlankitError("未找到LibreOffice（soffice），无法转换文件。", hint=INSTALL_HINT, code=OFFICE_MISSING)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    cmd = [binary, f"-env:UserInstallation={Path(profile).resolve().as_uri()}", "--headless", "--norestore",
           "--convert-to", fmt, "--outdir", str(out_dir), *map(str, sources)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
