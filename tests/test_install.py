"""An installable library: the wheel carries the templates and the example plan, every import is
declared, and the lookup order (explicit option > ./templates, ./plans > bundled copy) holds.

CI (.ci/run) also installs the built wheel into a fresh venv and runs `plankit demo` from an
empty folder; here the wheel is installed with --target so the test needs no network.
"""
from __future__ import annotations

import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import resources
from toolkit.cli import main
from toolkit.mail.outgoing import render

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "toolkit"
# what a build needs from the checkout; a copy keeps build/ and *.egg-info out of the source tree
BUILD_INPUTS = ("setup.py", "setup.cfg", "pyproject.toml", "MANIFEST.in", "README.md", "toolkit", "templates", "plans")
BUNDLED = {"toolkit/_bundled/templates/briefing.docx", "toolkit/_bundled/templates/dept_notice.docx",
           "toolkit/_bundled/templates/fonts.conf", "toolkit/_bundled/plans/lianyungang-2019.xlsx",
           *(f"toolkit/_bundled/templates/mail/{kind}.{part}.j2" for kind in ("sheets", "remind")
             for part in ("subject", "body"))}


def build_copy(tmp: Path) -> Path:
    src = tmp / "src"
    src.mkdir()
    for name in BUILD_INPUTS:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "_bundled"))
        else:
            shutil.copy2(ROOT / name, src / name)
    return src


def pip_wheel(what: Path, out: Path, cwd: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out), str(what)], cwd=cwd, check=True, capture_output=True, text=True)
    (wheel,) = out.glob("plankit-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("wheel", reason="building a wheel without isolation needs the `wheel` package (test extra)")
    tmp = tmp_path_factory.mktemp("wheel")
    src = build_copy(tmp)
    return pip_wheel(src, tmp / "dist", src)


def test_wheel_carries_templates_and_plan_as_package_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert BUNDLED <= names
    assert not [n for n in names if n.startswith(("tests/", "out/", "templates/", "plans/", "benchmarks/"))]
    assert not [n for n in names if n.startswith("toolkit/_bundled/") and n.endswith((".py", ".pyc"))]
    assert not [n for n in names if "__pycache__" in n or "/~$" in n or "/.~" in n]
    assert "toolkit/resources.py" in names and "toolkit/cli/templates.py" in names


def test_sdist_carries_the_sources_and_builds_the_same_wheel(tmp_path, wheel):
    src = build_copy(tmp_path)
    made = subprocess.run([sys.executable, "-c",
                           "from setuptools import build_meta as b; print(b.build_sdist('sdist'))"],
                          cwd=src, check=True, capture_output=True, text=True).stdout.split()[-1]
    sdist = src / "sdist" / made
    from_sdist = pip_wheel(sdist, tmp_path / "dist", tmp_path)
    assert set(zipfile.ZipFile(from_sdist).namelist()) == set(zipfile.ZipFile(wheel).namelist())


def test_checkout_has_no_bundled_copy_and_falls_back_to_its_own_folders():
    assert not (PACKAGE / "_bundled").exists(), "toolkit/_bundled is made by the wheel build only"
    if Path(resources.__file__).resolve().parent == PACKAGE.resolve():
        assert resources.bundled_root() == ROOT
        assert resources.bundled_plan() == ROOT / "plans" / "lianyungang-2019.xlsx"


def test_installed_wheel_runs_the_demo_brief_and_mail_from_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-compile", "--target", str(site),
                    str(wheel)], check=True, capture_output=True, text=True)
    work = tmp_path / "empty"
    work.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}

    def plankit(*args):
        return subprocess.run([sys.executable, "-m", "toolkit", *args], cwd=work, env=env,
                              capture_output=True, text=True)

    where = subprocess.run([sys.executable, "-c",
                            "import toolkit, toolkit.resources as r; print(toolkit.__file__); print(r.bundled_root())"],
                           cwd=work, env=env, capture_output=True, text=True, check=True).stdout.split("\n")
    assert where[0].startswith(str(site)) and where[1] == str(site / "toolkit" / "_bundled")
    demo = plankit("demo", "--no-pdf")
    assert demo.returncode == 0, demo.stderr
    assert (work / "out" / "demo" / "lianyungang-2019" / "2019Q2" / "report").is_dir()
    for args in (["brief", "-q", "2019Q2", "--out", "out/demo"], ["mail", "-q", "2019Q2", "--out", "out/demo"]):
        run = plankit(*args)
        assert run.returncode == 0, run.stderr
        bundled = site / "toolkit" / "_bundled" / "plans" / "lianyungang-2019.xlsx"
        assert f"未指定计划主表，且 plans/ 目录下没有 .xlsx 文件，使用随附的示例计划：{bundled}" in run.stderr
    assert len(list((work / "out" / "demo" / "lianyungang-2019" / "2019Q2" / "mail" / "outbox").glob("*.eml"))) == 26


# --- every import declared ----------------------------------------------------------------

def declared_requirements() -> set[str]:
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg", encoding="utf-8")
    lines = [line.strip() for line in cfg["options"]["install_requires"].splitlines() if line.strip()]
    return {normalize(re.match(r"[A-Za-z0-9._-]+", line).group()) for line in lines}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def third_party_imports() -> dict[str, set[str]]:
    """Top-level module → the toolkit files importing it (module level and inside functions)."""
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.partition(".")[0]
                if top not in sys.stdlib_module_names and top not in ("toolkit", "__future__"):
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_a_declared_requirement():
    declared = declared_requirements()
    providers = packages_distributions()
    undeclared = {module: sorted(files) for module, files in third_party_imports().items()
                  if not declared & {normalize(d) for d in providers.get(module, [])}}
    assert not undeclared, f"imported but not in setup.cfg install_requires: {undeclared}"


def test_the_import_scan_sees_function_level_imports():
    imports = third_party_imports()
    assert "toolkit/fileio/filekind.py" in imports["olefile"]  # imported inside a function only
    assert "olefile" in declared_requirements() and "pandas" in declared_requirements()


# --- the lookup order ----------------------------------------------------------------------

def test_template_lookup_prefers_explicit_then_working_folder_then_bundled(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert resources.template("briefing.docx") == resources.bundled("templates", "briefing.docx")
    assert resources.template("briefing.docx").is_file()
    (tmp_path / "templates").mkdir()
    shutil.copy(resources.bundled("templates", "briefing.docx"), tmp_path / "templates" / "briefing.docx")
    assert resources.template("briefing.docx") == Path("templates") / "briefing.docx"
    assert resources.template("dept_notice.docx") == resources.bundled("templates", "dept_notice.docx")
    assert resources.template("briefing.docx", tmp_path / "mine.docx") == tmp_path / "mine.docx"


def test_mail_templates_fall_back_file_by_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    context = {"plan_title": "计划", "short_title": "民生实事", "quarter_label": "第二季度", "department": "市教育局",
               "deadline": "7月5日", "overdue": False, "return_to": "市政府办", "issuer": "市政府办", "today": "7月1日",
               "lead_tasks": 3, "co_tasks": 1, "indicators": 2}
    bundled_subject, bundled_body = render("sheets", context)
    (tmp_path / "templates" / "mail").mkdir(parents=True)
    (tmp_path / "templates" / "mail" / "sheets.subject.j2").write_text("【本地】{{ department }}", encoding="utf-8")
    subject, body = render("sheets", context)
    assert subject == "【本地】市教育局" and body == bundled_body and subject != bundled_subject
    explicit = tmp_path / "explicit"
    explicit.mkdir()
    with pytest.raises(Exception, match="找不到邮件模板"):
        render("sheets", context, explicit)


def test_cli_without_plan_uses_the_only_local_plan_else_the_bundled_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["plan", "check"])
    assert result.exit_code == 0
    bundled = resources.bundled_plan()
    assert f"未指定计划主表，且 plans/ 目录下没有 .xlsx 文件，使用随附的示例计划：{bundled}" in result.output
    (tmp_path / "plans").mkdir()
    shutil.copy(resources.bundled_plan(), tmp_path / "plans" / "本市.xlsx")
    result = CliRunner().invoke(main, ["plan", "check"])
    assert result.exit_code == 0 and "随附的示例计划" not in result.output


def test_templates_copy_copies_the_bundled_templates_and_never_overwrites(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["templates", "copy"])
    assert result.exit_code == 0, result.output
    copied = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / "templates").rglob("*") if p.is_file())
    assert copied == sorted(n.removeprefix("toolkit/_bundled/") for n in BUNDLED if "/templates/" in n)
    assert "已复制 7 个文件到 templates。" in result.output
    (tmp_path / "templates" / "mail" / "sheets.subject.j2").write_text("改过的", encoding="utf-8")
    result = CliRunner().invoke(main, ["templates", "copy"])
    assert result.exit_code == 0
    assert "已复制 0 个文件到 templates，7 个已存在的文件保持不变。" in result.output
    assert (tmp_path / "templates" / "mail" / "sheets.subject.j2").read_text(encoding="utf-8") == "改过的"
