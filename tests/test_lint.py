"""The linters as tests, so that the one test command is also the lint gate: ruff and mypy,
configured in pyproject.toml, must report nothing. Skipped only where a linter is not installed
(`pip install -e '.[test]'` installs both)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def run(tool: str, *args: str) -> subprocess.CompletedProcess:
    if importlib.util.find_spec(tool) is None:
        pytest.skip(f"{tool} is not installed")
    return subprocess.run([sys.executable, "-m", tool, *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing():
    # files, flags and the Python version come from [tool.mypy]; the cache (.mypy_cache) makes
    # a rerun take about a second, a cold run about 6 s of CPU
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
