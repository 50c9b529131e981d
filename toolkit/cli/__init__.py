"""The `plankit` command line: a thin click layer over the library.

Each command parses options, calls one library function and prints a summary. `app` holds the
group; importing a command module registers its commands (the order below is the help order).
"""
from __future__ import annotations

from toolkit.cli import (brief, demo, doctor, export, fetch, mail, merge, plan, plannew,  # noqa: F401  (registers commands)
                         planbreakdown, report, sheets, store, templates)
from toolkit.cli.app import main

__all__ = ["main"]
