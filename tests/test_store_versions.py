"""Schema versions (issue 21 item 5): a store made by plankit before version 2 is upgraded in one
transaction and reads exactly as before; a newer store is refused; --store URLs are checked."""
from __future__ import annotations

import json
import shutil
import sqlite3

import pytest
from click.testing import CliRunner

from toolkit.cli import main
from toolkit.intake.receipt import quarter_status
from toolkit.paths import store_dir
from toolkit.store.db import Store, StoreError
from toolkit.store.location import parse, resolve
from toolkit.store.schema import SCHEMA_VERSION

from .conftest import FIXTURES

V1 = FIXTURES / "store-v1"  # made by `plankit demo` to Q2 with the code of before version 2


@pytest.fixture
def v1_out(tmp_path, plan):
    out = tmp_path / "out"
    store_dir(plan, out).mkdir(parents=True)
    shutil.copy(V1 / "plankit.sqlite", store_dir(plan, out) / "plankit.sqlite")
    return out


def _meta(db) -> dict:
    with sqlite3.connect(db) as conn:
        return dict(conn.execute("SELECT key, value FROM meta").fetchall())


def test_a_version_1_store_is_upgraded_and_reads_as_before(v1_out, plan):
    db = store_dir(plan, v1_out) / "plankit.sqlite"
    assert _meta(db)["schema"] == "1"
    expected = json.loads((V1 / "status.json").read_text(encoding="utf-8"))
    for code in ("2019Q1", "2019Q2"):
        got = json.loads(json.dumps(quarter_status(plan, code, v1_out), ensure_ascii=False, default=str))
        assert got == expected[code]
    meta = _meta(db)
    assert meta["schema"] == SCHEMA_VERSION == "2" and meta["plan"] == plan.plan_id
    with sqlite3.connect(db) as conn:
        runs = [r[0] for r in conn.execute("SELECT merged_at FROM runs ORDER BY merged_at")]
        assert runs == sorted({r[0] for r in conn.execute("SELECT merged_at FROM submissions")}) and len(runs) == 2
        assert conn.execute("SELECT COUNT(*) FROM task_values WHERE seq = 0").fetchone()[0] == 0  # from rowid


def test_a_new_run_after_the_upgrade_gets_a_later_id(v1_out, plan):
    store = Store.for_plan(plan, v1_out)
    try:
        latest = max(r[0] for r in store.db.execute("SELECT merged_at FROM runs"))
        from datetime import datetime
        when = store.new_run(datetime(2000, 1, 1))  # a clock set back: still after every run
        assert when.isoformat(sep=" ") > latest
        assert store.new_run(datetime(2000, 1, 1)) > when  # and never the same id twice
    finally:
        store.close()


def test_a_newer_store_is_refused_with_a_clear_message(v1_out, plan, plan_path):
    db = store_dir(plan, v1_out) / "plankit.sqlite"
    quarter_status(plan, "2019Q2", v1_out)  # upgraded to today's version
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value='3' WHERE key='schema'")
    with pytest.raises(StoreError) as exc:
        Store.for_plan(plan, v1_out)
    assert exc.value.code == "store-newer-version"
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(v1_out), "-q", "Q2"])
    assert r.exit_code == 2
    assert f"数据存储 {db} 的结构版本是 3，由更新版本的 plankit 建立；本版本只认识到版本 2" in r.output
    assert "Traceback" not in r.output
    assert _meta(db)["schema"] == "3"  # untouched


def test_a_store_of_another_plan_is_refused(tmp_path, plan):
    db = tmp_path / "shared.sqlite"
    Store(location=parse(f"sqlite:///{db}", "other-plan")).close()
    with pytest.raises(StoreError, match="属于计划“other-plan”") as exc:
        Store(location=resolve(plan, tmp_path, f"sqlite:///{db}"))
    assert exc.value.code == "store-other-plan"


@pytest.mark.parametrize("url, message", [
    ("postgresql://clerk:secret@db.example.cn:5432/plankit", "数据存储地址中含有密码，已拒绝"),
    ("postgresql://clerk@db.example.cn/plankit?password=secret", "数据存储地址中含有密码，已拒绝"),
    ("mysql://clerk@db/plankit", "无法识别数据存储地址“mysql://…”"),
    ("postgresql://clerk@db.example.cn:5432/", "数据存储地址中没有库名"),
    ("sqlite:///", "没有给出数据库文件"),
])
def test_bad_store_urls_are_exit_2_and_never_echo_a_password(tmp_path, plan_path, url, message):
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "Q2",
                                  "--store", url])
    assert r.exit_code == 2 and message in r.output and "secret" not in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(tmp_path), "-q", "Q2"],
                           env={"PLANKIT_STORE": url})
    assert r.exit_code == 2 and message in r.output and "secret" not in r.output


def test_a_sqlite_url_puts_the_store_where_it_says(tmp_path, plan, plan_path):
    from tests.merge_helpers import ON_TIME, fake_return, use_fake_reader, write  # noqa: F401
    db = tmp_path / "elsewhere" / "plans.sqlite"
    db.parent.mkdir()
    inbox = tmp_path / "inbox"
    write(inbox / "jy.xlsx", b"not a workbook", ON_TIME)
    r = CliRunner().invoke(main, ["merge", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "Q2",
                                  str(inbox), "--store", f"sqlite:///{db}"])
    assert r.exit_code in (0, 1), r.output
    assert db.exists() and (db.parent / "archive").is_dir()
    assert not (store_dir(plan, tmp_path / "out") / "plankit.sqlite").exists()
    r = CliRunner().invoke(main, ["status", "--plan", str(plan_path), "--out", str(tmp_path / "out"), "-q", "Q2",
                                  "--json"], env={"PLANKIT_STORE": f"sqlite:///{db}"})
    assert r.exit_code == 0 and json.loads(r.stdout)["rejections"][0]["filename"] == "jy.xlsx"
