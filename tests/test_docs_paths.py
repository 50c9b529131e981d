"""The docs name real files and modules, so they cannot rot silently.

Every `toolkit/...` path and `toolkit.x.y` name quoted (in backticks or a fenced block) in the
README, docs/ENGINEERING.md and the user guide must exist, down to the function or class it names;
so must `<step>.module.name` short forms (`intake.readers.Readers`) and, in the README and the
engineering notes, quoted `tests/`, `benchmarks/`, `templates/` and `plans/` paths. A module name
retired in the reorganisation by workflow step (issue 15) may not be quoted at all.
"""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = {"README.md": True, "docs/ENGINEERING.md": True, "docs/用户手册.md": False}  # doc -> check other paths too
STEPS = ("fileio", "plan", "store", "fillin", "intake", "evaluate", "render", "mail", "demo", "cli")
# flat modules of before issue 15 whose names no longer exist anywhere (plannew lives on as cli/plannew.py)
RETIRED = ("planbook", "plancheck", "planbuild", "planimport", "storelock", "sheetfiles", "sheetstyle",
           "mergeread", "mergereport", "returnsheet", "returncodes", "returnrows", "reportsheets", "reportco",
           "docrender")

QUOTED = re.compile(r"```.*?```|`[^`\n]+`", re.S)
TOOLKIT_PATH = re.compile(r"(?<![\w/.])toolkit/[\w./-]*")
OTHER_PATH = re.compile(r"(?<![\w/.])(?:tests|benchmarks|templates|plans)/[^\s`'\"(),;:，。）]*")
DOTTED = re.compile(r"(?<![\w./])toolkit(?:\.\w+)+")
SHORT = re.compile(r"(?<![\w./])(?:" + "|".join(STEPS) + r")(?:\.\w+)+")
RETIRED_NAME = re.compile(r"(?<![\w])(?:" + "|".join(RETIRED) + r")(?![\w])")
PLACEHOLDER = re.compile(r"[*<>{}…]")


def _module_prefix(parts: list[str]) -> int:
    """How many leading parts name a module or package under ROOT (0 if none does)."""
    for i in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:i])
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return i
    return 0


def name_exists(dotted: str) -> bool:
    """A module, or a module followed by attributes that exist (`toolkit.intake.readers.Readers`)."""
    parts = dotted.split(".")
    i = _module_prefix(parts)
    if i == 0:
        return False
    obj = importlib.import_module(".".join(parts[:i]))
    for attr in parts[i:]:
        if not hasattr(obj, attr):
            return False
        obj = getattr(obj, attr)
    return True


def path_exists(text: str) -> bool:
    """A file or folder; `benchmarks/baseline.plain_write` is a module file and a name defined in it."""
    text = text.rstrip(".")
    if (ROOT / text).exists():
        return True
    if text.startswith("toolkit/_bundled"):  # made by setup.py's build_py, only inside a wheel
        return (ROOT / "setup.py").is_file() and "_bundled" in (ROOT / "setup.py").read_text(encoding="utf-8")
    stem, _, name = text.rpartition(".")
    source = ROOT / f"{stem}.py"
    if not stem or not source.is_file():
        return False
    defined = rf"^(?:def|class)\s+{re.escape(name)}\b|^{re.escape(name)}\s*="
    return re.search(defined, source.read_text(encoding="utf-8"), re.M) is not None


def missing(text: str, *, other_paths: bool = True) -> list[str]:
    """Every quoted path or name in markdown `text` that does not exist, and every retired module name."""
    bad = []
    for span in QUOTED.findall(text):
        inline = not span.startswith("```")
        for path in TOOLKIT_PATH.findall(span):
            if not path_exists(path):
                bad.append(path)
        if other_paths and inline:
            bad += [p for p in OTHER_PATH.findall(span) if not PLACEHOLDER.search(p) and not path_exists(p)]
        bad += [d for d in DOTTED.findall(span) if not name_exists(d)]
        for short in SHORT.findall(span):
            step, module = short.split(".")[:2]
            if step == "plan" and _module_prefix(["toolkit", "plan", module]) < 3:
                continue  # `plan.tasks_for(...)`: the Plan object, not the subpackage
            if not name_exists(f"toolkit.{short}"):
                bad.append(short)
        bad += [f"retired module name: {m}" for m in RETIRED_NAME.findall(span)]
    return bad


@pytest.mark.parametrize("doc", sorted(DOCS))
def test_every_quoted_path_and_module_exists(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    assert missing(text, other_paths=DOCS[doc]) == []


def test_the_check_can_fail():
    text = ("See `toolkit/nowhere.py`, `toolkit.plan.nothing`, `toolkit.intake.readers.NoSuchReader`, "
            "`intake.merge.no_such_function`, `benchmarks/baseline.no_such_baseline` and "
            "`returnrows.plan_facts`.\n```\npython -m toolkit.plan.missing\n```\n"
            "Fine: `toolkit/fillin/`, `toolkit.plan.build`, `intake.readers.Readers`, `plan.tasks_for(dept)`, "
            "`tests/planimport_helpers.py`, `benchmarks/baseline.plain_write`, `tests/test_returnfile*.py`, "
            "and toolkit/not_quoted.py outside backticks.")
    assert missing(text) == ["toolkit/nowhere.py", "toolkit.plan.nothing", "toolkit.intake.readers.NoSuchReader",
                             "intake.merge.no_such_function", "benchmarks/baseline.no_such_baseline",
                             "retired module name: returnrows", "toolkit.plan.missing"]
