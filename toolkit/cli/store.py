"""`plankit store ...`: look after the store (archive and database) under --out."""
from __future__ import annotations

import sys

import click

from toolkit.errors import EXIT_OK, EXIT_PROBLEMS
from toolkit.plan.workbook import load_plan
from toolkit.store.db import verify_store
from toolkit.cli.app import main
from toolkit.cli.common import Output, store_option, handle_errors, json_option, out_option, plan_option, resolve_plan


@main.group()
def store() -> None:
    """数据存储：检查归档文件是否完好，在本机存储与数据库服务器之间复制。"""


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


@store.command("copy")
@click.option("--from", "source", required=True, metavar="URL", help="从哪个存储复制（sqlite:///… 或 postgresql://…）。")
@click.option("--to", "target", required=True, metavar="URL", help="复制到哪个存储（须为空）。")
@json_option
@handle_errors
def copy(source, target, as_json) -> None:
    """把数据存储（所有计划、季度、收到的文件、采用的版本、撤销记录和邮箱收取记录）复制到另一个存储，并逐项核对。

    \b
    示例：
      plankit store copy --from sqlite:///out --to postgresql://hz@db.example.cn:5432/plankit
      plankit store copy --from postgresql://hz@db.example.cn/plankit --to sqlite:///备份
    sqlite:///文件夹 指 --out 目录（其下每个计划的 store/）；sqlite:///文件.sqlite 指单个计划的数据库。
    目标中已有同一计划的数据时不复制。密码请放在 PGPASSWORD 或 ~/.pgpass 中。
    """
    from toolkit.store.copy import copy_stores
    out = Output(as_json)
    done = copy_stores(source, target, progress=lambda text: out.say(text))
    for c in done:
        out.say(f"计划 {c.plan}：{c.rows.get('submissions', 0)} 份文件记录、{c.files} 个归档文件、{c.events} 条日志、"
                f"{c.versions} 个计划版本、{c.messages} 条邮箱收取记录，已复制并核对一致（行数、内容摘要、文件编号）。", fg="green")
    out.result({"plans": [vars(c) for c in done]})
