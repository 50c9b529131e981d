"""Options and output conventions shared by every command.

--plan PATH   default: the workbook in ./plans (among several, the quarter's year's, else the newest);
              none there: the bundled example plan (said on stderr)
--quarter Q   2019Q2, Q2, 2, 二季度
--out DIR     default out/; everything produced or stored lives under it
--json        one JSON object on stdout; human text goes to stderr. An error is the object
              {"error": {"code": ..., "message": ..., "exit_code": ...}} (codes: toolkit.errors.ERROR_CODES)
"""
from __future__ import annotations

import errno
import functools
import json
import os
import sqlite3
import sys
from pathlib import Path

import click

from toolkit.errors import DATABASE, DISK, EXIT_USAGE, USAGE_NO_PLAN, USAGE_PLAN_CONFLICT, PlankitError, UsageError
from toolkit.fileio.safeio import os_error_of
from toolkit.plan.choose import choose_plan
from toolkit.quarter import quarter_text_ok
from toolkit.resources import bundled_plan

PLANS_DIR = Path("plans")


def default_plan(quarter: str | None = None) -> Path:
    """The only workbook in plans/; among several, the one for the quarter's year, else the newest
    (and the user is told which, on stderr so --json output stays clean)."""
    candidates = sorted(p for p in PLANS_DIR.glob("*.xlsx") if not p.name.startswith(("~$", ".~")))
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:  # an installed plankit run from an empty folder still works, and says so
        path = bundled_plan()
        if quarter is not None and not quarter_text_ok(quarter):
            return path  # the quarter's own error follows; the plan notice would only bury it
        click.secho(f"未指定计划主表，且 plans/ 目录下没有 .xlsx 文件，使用随附的示例计划：{path}"
                    "（要用自己的计划，请用 --plan 指定或放到 plans/ 目录下）", err=True, fg="yellow")
        return path
    chosen, why = choose_plan(candidates, quarter)
    click.secho(f"提示：plans/ 下有 {len(candidates)} 个计划主表，已选用 {chosen.name}（{why}）；"
                "要用其他计划请加 --plan 指定。", err=True, fg="cyan")
    return chosen


def plan_option(f):
    return click.option("--plan", "plan_path", type=click.Path(path_type=Path, dir_okay=False),
                        default=None,
                        help="计划主表（默认：plans/ 下的 .xlsx，有多个时选年度与季度相符的，否则选最新的；"
                             "没有时用随附的示例计划）。")(f)


def quarter_option(f):
    return click.option("--quarter", "-q", required=True, metavar="季度",
                        help="季度：2019Q2、Q2、2 或 二季度。")(f)


def out_option(f):
    return click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
                        default=Path("out"), show_default=True, help="输出目录。")(f)


def store_option(f):
    """--store URL (or PLANKIT_STORE): the store every library call of the command reads and
    writes (toolkit.store.location.use_store), instead of the one under --out."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from toolkit.store.location import ENV, password_wanted, use_store
        url = kwargs.pop("store_url", None)
        if interactive():
            wanted = password_wanted(url or os.environ.get(ENV))
            if wanted:  # asked here, kept for this process only: never on the command line or in a file
                os.environ["PGPASSWORD"] = click.prompt(f"数据库服务器 {wanted} 的密码", hide_input=True)
        with use_store(url):
            return f(*args, **kwargs)
    return click.option("--store", "store_url", metavar="URL", default=None,
                        help="数据存储（默认：--out 下的本机存储；也可用环境变量 PLANKIT_STORE 设置）："
                             "sqlite:///文件路径 或 postgresql://用户名@主机:端口/库名。"
                             "密码请放在 PGPASSWORD 或 ~/.pgpass 中，不要写在地址里。")(wrapper)


def interactive() -> bool:
    """Whether someone at a terminal can answer a question (a password prompt)."""
    return sys.stdin is not None and sys.stdin.isatty()


def json_option(f):
    return click.option("--json", "as_json", is_flag=True,
                        help="在标准输出打印一个JSON对象（说明文字转到标准错误）。")(f)


class Output:
    """Human text to stdout, or to stderr when --json owns stdout."""

    def __init__(self, as_json: bool):
        self.as_json = as_json

    def say(self, text: str = "", **style) -> None:
        click.secho(text, err=self.as_json, **style)

    def warn(self, text: str) -> None:
        click.secho(text, err=True, fg="yellow")

    def result(self, data: dict) -> None:
        if self.as_json:
            click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def handle_errors(f):
    """Turn PlankitError into its Chinese message and exit code: no tracebacks for user mistakes.

    With --json the error is also one JSON object on stdout, with its stable code."""
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        as_json = bool(kwargs.get("as_json"))
        try:
            return f(*args, **kwargs)
        except PlankitError as exc:
            fail(str(exc), exc.code, exc.exit_code, as_json)
        except KeyboardInterrupt:
            click.secho("已中断。", err=True)
            sys.exit(130)
        except OSError as exc:  # the disk, not the user's input: say which file and what to check
            _quiet_leftovers()
            fail(os_error_text(exc), DISK, EXIT_USAGE, as_json)
        except sqlite3.Error as exc:  # the database met the disk's trouble (full, read-only, damaged)
            fail(sqlite_error_text(exc), DATABASE, EXIT_USAGE, as_json)
        except Exception as exc:  # a library's wrapper round the disk's error (xlsxwriter's FileCreateError)
            cause = os_error_of(exc)
            if cause is None:
                raise
            _quiet_leftovers()
            fail(os_error_text(cause), DISK, EXIT_USAGE, as_json)
    return wrapper


def fail(message: str, code: str, exit_code: int, as_json: bool = False) -> None:
    """Say an error (stderr; with --json also {"error": {...}} on stdout) and exit with `exit_code`."""
    click.secho(f"错误：{message}", err=True, fg="red")
    if as_json:
        click.echo(json.dumps({"error": {"code": code, "message": message, "exit_code": exit_code}},
                              ensure_ascii=False, indent=2))
    sys.exit(exit_code)


def _quiet_leftovers() -> None:
    """After a disk error has been explained: a half-closed file (xlsxwriter's zip, python-docx's)
    fails again when garbage-collected, and Python would print that as `Exception ignored ...`
    with a traceback. Collect them now, with such repeats of the same disk error kept quiet."""
    import gc
    previous = sys.unraisablehook

    def hook(unraisable):
        if os_error_of(unraisable.exc_value) is None:
            previous(unraisable)
    sys.unraisablehook = hook
    gc.collect()


def os_error_text(exc: OSError) -> str:
    where = f"（{exc.filename}）" if exc.filename else ""
    if exc.errno == errno.ENOSPC:
        return f"磁盘空间不足，文件未能写完{where}。已完成的部分完整保留，请清理磁盘后重新运行同一命令。"
    if exc.errno == errno.EROFS:
        return f"磁盘或文件夹是只读的，无法写入{where}。请用 --out 指定可写的目录（可先把数据目录复制过去）后重新运行。"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"没有权限读写文件{where}。请检查文件夹权限，或用 --out 指定其他目录后重新运行。"
    return f"读写文件失败{where}：{exc.strerror or exc}。请检查磁盘和文件夹后重新运行同一命令。"


_SQLITE_FULL, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_NOTADB = 13, 8, 10, 11, 26


def sqlite_error_text(exc: sqlite3.Error) -> str:
    """What a database error means for the coordinator (SQLite's primary result code decides)."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc).lower()
    if code == _SQLITE_FULL or "disk is full" in text:
        return "磁盘空间不足，数据库未能写完。已完成的部分完整保留，请清理磁盘后重新运行同一命令。"
    if code == _SQLITE_READONLY or "readonly" in text:
        return "数据库文件只读，无法写入。请检查 out 文件夹的权限，或用 --out 指定其他目录后重新运行。"
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text:
        return "数据库文件已损坏。原件都在归档中：请运行 plankit merge --rebuild 从归档重建数据库。"
    if code == _SQLITE_IOERR or "i/o error" in text:
        return "读写数据库失败（磁盘错误）。请检查磁盘后重新运行同一命令。"
    return f"数据库出错（{exc}）。请重新运行同一命令；仍有问题请运行 plankit merge --rebuild 从归档重建。"


def plan_argument_or_option(given: Path | None, plan_path: Path | None) -> Path:
    """The plan of a command that takes it as `[计划主表]` or `--plan` (both: the same file)."""
    if given and plan_path and given.resolve() != plan_path.resolve():
        raise UsageError(f"指定了两个不同的计划主表：{given} 和 --plan {plan_path}。", hint="请只指定其中一个。",
                         code=USAGE_PLAN_CONFLICT)
    return resolve_plan(given or plan_path)


def resolve_plan(plan_path: Path | None, quarter: str | None = None) -> Path:
    """--plan if given; else the plan in plans/ (see default_plan)."""
    path = plan_path or default_plan(quarter)
    if not path.exists():
        raise UsageError(f"找不到计划主表：{path}", code=USAGE_NO_PLAN)
    return path


__all__ = ["EXIT_USAGE", "Output", "handle_errors", "json_option", "out_option", "plan_argument_or_option",
           "plan_option", "quarter_option", "resolve_plan", "store_option"]
