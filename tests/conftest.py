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


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL on 127.0.0.1 for the whole session (tests/pg_helpers.py)."""
    from .pg_helpers import PgServer, bindir
    found = bindir()
    if found is None:
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed here; CI installs it via .ci/run")
    server = PgServer(found).start()
    yield server
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """A fresh database on the session's server."""
    return pg_server.create_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request) -> str | None:
    """Run a test against both stores: None (today's SQLite store under --out) and a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("pg_url")


@pytest.fixture
def each_store(store_url):
    """The whole test on both stores (ids [sqlite] / [postgresql]): PLANKIT_STORE names the fresh
    PostgreSQL database, so every command, library call and subprocess of the test uses it
    without a --store or store= of its own; unset on SQLite (the store under --out). Read what
    was stored through tests/store_helpers.py, never the SQLite file or archive folder."""
    from toolkit.store.location import ENV
    with pytest.MonkeyPatch.context() as env:  # its own: a test's monkeypatch.undo() keeps the store
        if store_url is None:
            env.delenv(ENV, raising=False)
        else:
            env.setenv(ENV, store_url)
        yield store_url


@pytest.fixture
def second_store(each_store, request) -> str:
    """Another empty store of the same kind, as a PLANKIT_STORE value: "" on SQLite (then a second
    --out holds it), a second fresh database on PostgreSQL."""
    return "" if each_store is None else request.getfixturevalue("pg_server").create_database()
