"""Shared fixtures: the bundled real plan, loaded once per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .smtp_helpers import Collect, free_port

ROOT = Path(__file__).parent.parent
PLAN_PATH = ROOT / "plans" / "lianyungang-2019.xlsx"
SOURCE_DIR = ROOT / "plans" / "source"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def plan_path() -> Path:
    return PLAN_PATH


@pytest.fixture(scope="session")
def plan():
    from toolkit.plan.workbook import load_plan
    return load_plan(PLAN_PATH)


@pytest.fixture
def soffice_available():
    if not (shutil.which("soffice") or shutil.which("libreoffice")):
        pytest.skip("LibreOffice (soffice) is not installed here; CI installs it via .ci/run")
    return True


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, handler
    controller.stop()
