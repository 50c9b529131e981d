"""The files plankit ships with, and where a user's own copies take their place.

The editable sources live at the top of a checkout (`templates/`, `plans/`); a built wheel
carries a copy of both as package data under `toolkit/_bundled/`. Every lookup goes

    an explicit option (--plan, --template)  >  ./plans, ./templates in the working folder  >  the bundled copy

so an office edits its own templates beside its plans, and an installed plankit still runs
the demo from an empty folder.
"""
from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

BUNDLED_PLAN_NAME = "lianyungang-2019.xlsx"
LOCAL_TEMPLATES = Path("templates")  # relative: the working folder at the time of the lookup


def bundled_root() -> Path:
    """The folder holding the bundled `templates/` and `plans/`: package data in a wheel,
    the top of the checkout in a development (editable) install."""
    package = Path(str(resources.files("toolkit")))
    shipped = package / "_bundled"
    return shipped if shipped.is_dir() else package.parent


def bundled(*parts: str) -> Path:
    """A bundled file, e.g. bundled("templates", "briefing.docx")."""
    return bundled_root().joinpath(*parts)


def bundled_plan() -> Path:
    """The example plan (2019年连云港市50件民生实事) that `plankit demo` runs."""
    return bundled("plans", BUNDLED_PLAN_NAME)


def template(name: str, given: Path | None = None) -> Path:
    """--template if given; else templates/<name> in the working folder; else the bundled one."""
    if given:
        return Path(given)
    local = LOCAL_TEMPLATES / name
    return local if local.exists() else bundled("templates", name)


def template_dirs(name: str, given: Path | None = None) -> list[Path]:
    """Folders to search, file by file, for the templates in templates/<name>/ (e.g. "mail"):
    only `given` when given; else templates/<name> in the working folder (when there) and then
    the bundled one, so an office may override one mail template and keep the others."""
    if given:
        return [Path(given)]
    local = LOCAL_TEMPLATES / name
    return ([local] if local.is_dir() else []) + [bundled("templates", name)]


def copy_templates(target: Path = LOCAL_TEMPLATES) -> tuple[list[Path], list[Path]]:
    """Copy the bundled templates into `target` (default ./templates) to edit them there; a file
    already in `target` is kept, never overwritten. Returns (files copied, files kept)."""
    source = bundled("templates")
    copied, kept = [], []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if not path.is_file() or path.suffix in (".py", ".pyc") or "__pycache__" in rel.parts:
            continue
        dest = Path(target) / rel
        if dest.exists():
            kept.append(dest)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied.append(dest)
    return copied, kept
