"""Build hook: ship the top-level templates/ and plans/ inside the wheel as toolkit/_bundled/.

The metadata lives in setup.cfg. templates/ and plans/ stay at the top of the checkout as the
files people edit; a wheel (built from the checkout or from the sdist, which MANIFEST.in makes
carry them) gets a copy under toolkit/_bundled/, found at run time by toolkit.resources.
An editable install copies nothing: toolkit.resources then reads the checkout's own folders.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("templates", "plans")
# data only: the template generator script and editor/lock debris stay in the checkout
SKIP = shutil.ignore_patterns("__pycache__", "*.py", "*.pyc", "~$*", ".~*", ".DS_Store")


class build_py_with_bundled(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "toolkit" / "_bundled"
        if target.exists():  # a stale build/ from an earlier run must not keep removed files
            shutil.rmtree(target)
        for name in BUNDLED:
            shutil.copytree(ROOT / name, target / name, ignore=SKIP)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        target = Path(self.build_lib) / "toolkit" / "_bundled"
        if target.is_dir():
            outputs += [str(p) for p in sorted(target.rglob("*")) if p.is_file()]
        return outputs


setup(cmdclass={"build_py": build_py_with_bundled})
