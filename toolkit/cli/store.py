"""`plankit store ...`: look after the store (archive and database) under --out."""
from __future__ import annotations

import sys

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS
from toolkit.plan.workbook import load_plan
from toolkit.store.db import verify_store
from toolkit.cli.app import main
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_option, resolve_plan


@main.group()
def store() -> None:
    """数据存储：检查归档文件是否完好。"""


@store.command("verify")
@plan_option
@out_option
@store_option
@json_option
@handle_errors
def verify(plan_path, out_dir, as_json) -> None:
    """逐个核对归档文件与其编号（sha256）是否相符，以及日志中记录的文件是否都在。

    \b
    示例：
      plankit store verify
      plankit store verify --out 输出 --json
    只读，不改动任何文件。发现损坏或缺失时退出码为1，全部完好为0。
    """
    out = Output(as_json)
    plan = load_plan(resolve_plan(plan_path))
    folder, checked, damage = verify_store(plan, out_dir)
    for d in damage:
        out.say(f"[错误] {d}", fg="red")
    if damage:
        out.say(f"归档 {folder}：核对 {checked} 个文件，{len(damage)} 个损坏或缺失。"
                "请从备份或报送单位的原邮件中找回原件；重建数据库前先处理这些文件。", fg="red")
    else:
        out.say(f"归档 {folder}：核对 {checked} 个文件，全部完好。", fg="green")
    out.result({"archive": str(folder), "checked": checked, "damaged": [vars(d) for d in damage]})
    sys.exit(EXIT_PROBLEMS if damage else EXIT_OK)
