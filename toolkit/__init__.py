"""plankit: track a yearly plan quarter by quarter in Excel.

The public Python API (documented in docs/python-api.md). One quarter, in workflow order:

    plan = toolkit.load_plan("plans/lianyungang-2019.xlsx")    # check_plan(path) reports instead of raising
    toolkit.generate_sheets(plan, "Q2", "out")                  # fill-in workbooks, one per department
    toolkit.merge(plan, "Q2", "out", ["收件箱/"])                 # returned files into the store
    toolkit.quarter_status(plan, "Q2", "out")                   # who returned, who is missing or late
    toolkit.evaluate_quarter(plan, "Q2", "out")                 # every task judged
    toolkit.build_report(plan, "Q2", "out")                     # the progress workbook
    toolkit.write_brief(plan, "Q2", "out")                      # the Word briefing
    toolkit.quarter_frame(plan, "Q2", "out")                    # every stored value as a DataFrame

Every function taking them takes `plan, quarter, out_dir` in that order; a quarter may be a
Quarter or text such as "2019Q2", "Q2" or "二季度"; paths may be str or Path. User mistakes raise
PlankitError (with a Chinese message) and nothing else.

Names are imported on first use (PEP 562), so `import toolkit` loads none of the workflow steps.
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from toolkit.version import __version__

# public name -> the module that owns it
_EXPORTS = {
    "load_plan": "toolkit.plan.workbook",
    "check_plan": "toolkit.plan.workbook",
    "import_plan": "toolkit.plan.published",
    "generate_sheets": "toolkit.fillin.generate",
    "merge": "toolkit.intake.merge",
    "quarter_status": "toolkit.intake.receipt",
    "evaluate_quarter": "toolkit.evaluate.judge",
    "build_report": "toolkit.render.report",
    "write_brief": "toolkit.render.brief",
    "quarter_frame": "toolkit.store.frame",
    "run_demo": "toolkit.demo.run",
    "bundled_plan": "toolkit.resources",
    "Plan": "toolkit.model",
    "Quarter": "toolkit.quarter",
    "parse_quarter": "toolkit.quarter",
    "QuarterEvaluation": "toolkit.evaluate.judge",
    "Report": "toolkit.problems",
    "Problem": "toolkit.problems",
    "PlankitError": "toolkit.errors",
}

# spelled out (not built from _EXPORTS) so type checkers and linters read it; a test keeps them equal
__all__ = [
    "__version__",
    "load_plan", "check_plan", "import_plan", "generate_sheets", "merge", "quarter_status",
    "evaluate_quarter", "build_report", "write_brief", "quarter_frame", "run_demo", "bundled_plan",
    "Plan", "Quarter", "parse_quarter", "QuarterEvaluation", "Report", "Problem", "PlankitError",
]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports on first use
    from toolkit.demo.run import run_demo
    from toolkit.errors import PlankitError
    from toolkit.evaluate.judge import QuarterEvaluation, evaluate_quarter
    from toolkit.fillin.generate import generate_sheets
    from toolkit.intake.merge import merge
    from toolkit.intake.receipt import quarter_status
    from toolkit.model import Plan
    from toolkit.plan.published import import_plan
    from toolkit.plan.workbook import check_plan, load_plan
    from toolkit.problems import Problem, Report
    from toolkit.quarter import Quarter, parse_quarter
    from toolkit.render.brief import write_brief
    from toolkit.render.report import build_report
    from toolkit.resources import bundled_plan
    from toolkit.store.frame import quarter_frame


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:  # not ours: lets `from toolkit import paths` fall through to the submodule
        raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once resolved, a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
