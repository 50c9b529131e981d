"""`plankit doctor`: check this PC (Python, libraries, LibreOffice, fonts, mail settings, plans)."""
from __future__ import annotations

import sys


from toolkit.demo.doctor import MISSING, NOTE, as_dicts, run_checks
from toolkit.errors import EXIT_OK, EXIT_PROBLEMS
from toolkit.cli.app import main
from toolkit.cli.common import Output, handle_errors, json_option


@main.command("doctor")
@json_option
@handle_errors
def doctor(as_json: bool) -> None:
    """检查本机是否可以使用 plankit：Python、依赖库、LibreOffice、中文字体、邮件设置和计划主表。

    \b
    示例：
      plankit doctor
    只检查，不修改任何文件，也不发送邮件。缺少某项时逐条说明怎么办；
    有“缺少”的项目时退出码为1，全部正常（或只有“提示”）时为0。
    """
    out = Output(as_json)
    checks = run_checks()
    for c in checks:
        color = {MISSING: "red", NOTE: "yellow"}.get(c.status, "green")
        out.say(f"[{c.status}] {c.name}：{c.detail}", fg=color)
        if c.fix:
            out.say(f"        怎么办：{c.fix}")
    missing = [c.name for c in checks if c.status == MISSING]
    out.say("")
    out.say(f"缺少：{'、'.join(missing)}。请按上面的说明处理。" if missing else "检查完毕，可以使用。",
            fg="red" if missing else "green")
    out.result({"checks": as_dicts(checks), "missing": missing})
    sys.exit(EXIT_PROBLEMS if missing else EXIT_OK)
