"""LibreOffice (soffice) in headless mode: conversions for PDFs and round trips.

Each call uses its own throw-away user profile, so conversions can run while
another LibreOffice is open (or in parallel tests) without clashing.
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from toolkit.errors import OFFICE_FAILED, OFFICE_MISSING, PlankitError

INSTALL_HINT = ("请安装LibreOffice：Debian/Ubuntu 上运行 "
                "sudo apt-get install libreoffice-calc-nogui libreoffice-writer-nogui fonts-noto-cjk；"
                "Windows/macOS 从 libreoffice.org 下载安装。")


def soffice() -> str | None:
    """Path of the soffice binary, or None when LibreOffice is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


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
