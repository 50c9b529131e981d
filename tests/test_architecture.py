"""The package's shape: subpackages by workflow step, no import cycles, no step importing a later one.

Imports are read from the source (module level and inside functions alike), so a cycle cannot
hide behind a function-level import.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent.parent / "toolkit"

# Workflow order. A module may import from its own layer and the layers before it, never after.
CORE = {"errors", "problems", "model", "quarter", "paths", "values", "returns", "resources", "version"}
LAYERS = ["core", "fileio", "plan", "store", "fillin", "intake", "evaluate", "render", "mail", "demo", "api", "cli"]


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """toolkit modules `name` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            subs = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            found.update(subs or ([module] if module in known else []))
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name in known)
    found.discard(name)
    return found


def graph() -> dict[str, set[str]]:
    names = module_names()
    return {n: imports_of(n, p, set(names)) for n, p in names.items()}


def layer(name: str) -> str:
    parts = name.split(".")
    if name == "toolkit":
        return "api"
    if parts[1] in ("cli", "__main__"):
        return "cli"
    if len(parts) == 2 and parts[1] in CORE:
        return "core"
    return parts[1]


def test_every_module_belongs_to_a_layer():
    unknown = sorted(n for n in module_names() if layer(n) not in LAYERS)
    assert unknown == [], f"modules outside the known workflow steps: {unknown}"


def test_no_step_imports_a_later_one():
    bad = sorted(f"{a} -> {b}" for a, deps in graph().items() for b in deps
                 if LAYERS.index(layer(b)) > LAYERS.index(layer(a)))
    assert bad == []


def test_no_import_cycles():
    edges = graph()
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        for dep in sorted(edges[node]):
            if state.get(dep) == "open":
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack + [dep])
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []


def test_every_subpackage_says_what_it_owns():
    for init in PACKAGE.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init.parent.name}/__init__.py needs a docstring saying what it owns"


@pytest.mark.parametrize("later,earlier", [("toolkit.render.report", "toolkit.plan.workbook")])
def test_the_check_can_fail(later, earlier, tmp_path):
    """A lower step importing a higher one is caught (the check is not vacuous)."""
    fake = tmp_path / "m.py"
    fake.write_text(f"def f():\n    from {later} import build_report\n", encoding="utf-8")
    deps = imports_of(earlier, fake, set(module_names()))
    assert any(LAYERS.index(layer(d)) > LAYERS.index(layer(earlier)) for d in deps)
