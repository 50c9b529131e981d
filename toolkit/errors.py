"""Exceptions that reach the user. Each carries a Chinese message and an exit code.

The CLI turns any PlankitError into its message on stderr and its exit code;
anything else is a bug and may show a traceback.
"""
from __future__ import annotations

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2


class PlankitError(Exception):
    """A user mistake or bad input: shown as a message, never a traceback."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}{self.hint}" if self.hint else self.message


class UsageError(PlankitError):
    """A wrong option or argument (exit 2)."""


class PlanError(PlankitError):
    """The plan cannot be read or has errors that stop the command (exit 2)."""


class InputFileError(PlankitError):
    """A file cannot be opened as the kind of file it should be."""


class OutputLockedError(PlankitError):
    """An output file is open in another program and cannot be replaced."""
