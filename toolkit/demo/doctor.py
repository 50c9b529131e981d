"""`plankit doctor`: is this PC ready? Python, the libraries, LibreOffice, Chinese fonts, the
mail settings and the plan — each said in Chinese with what to do when it is missing.

Nothing is changed and nothing is sent: the mail check only looks at the settings.
"""
from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from toolkit import resources

OK, MISSING, NOTE = "正常", "缺少", "提示"
MIN_PYTHON = (3, 10)
# import name -> what it is for, for the libraries plankit cannot run without
LIBRARIES = {"click": "命令行", "openpyxl": "读写Excel", "xlsxwriter": "写Excel", "python_calamine": "读取各种表格",
             "jinja2": "邮件和简报模板", "docxtpl": "Word简报", "docx": "Word简报", "extract_msg": "Outlook邮件",
             "matplotlib": "简报图表", "defusedxml": "安全读取XML", "msoffcrypto": "识别加密文件"}


@dataclass
class Check:
    name: str  # 检查项
    status: str  # 正常 / 缺少 / 提示
    detail: str  # what was found
    fix: str = ""  # what to do (Chinese), when not 正常


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Check("Python", OK, f"版本 {version}（{sys.executable}）")
    return Check("Python", MISSING, f"版本 {version} 太旧，需要 3.10 或更新",
                 "请从 python.org 安装新版 Python（Windows 安装时勾选“Add python.exe to PATH”），再重新安装 plankit。")


def check_libraries() -> Check:
    missing = []
    for module, purpose in LIBRARIES.items():
        try:
            importlib.import_module(module)
        except Exception:  # not installed, or broken: either way it cannot be used
            missing.append(f"{module}（{purpose}）")
    if not missing:
        return Check("依赖库", OK, f"{len(LIBRARIES)} 个依赖库都已安装")
    return Check("依赖库", MISSING, "未安装：" + "、".join(missing),
                 "请重新安装 plankit（见使用说明“安装”一节），它会自动安装这些库。")


def check_libreoffice() -> Check:
    from toolkit.fileio.office import INSTALL_HINT, soffice
    found = soffice()
    if found:
        return Check("LibreOffice", OK, f"已找到：{found}（生成PDF时使用）")
    return Check("LibreOffice", MISSING, "未找到。只有加 --pdf 生成PDF时需要，其他功能不受影响", INSTALL_HINT)


def check_fonts() -> Check:
    from toolkit.render.charts import find_cjk_font
    from toolkit.render.brief import missing_glyphs
    found = find_cjk_font()
    if found and missing_glyphs(["𠀀"]):  # asked of fontconfig; [] on Windows, whose SimSun-ExtB draws it
        return Check("中文字体", NOTE, f"已找到：{found}（简报图表和PDF使用）；未找到生僻字字体（花园明朝 HanaMin），"
                     "填报内容中的生僻字（如𠀀、𪚥）和表情符号在PDF中会显示为方框",
                     "Debian/Ubuntu 上运行 sudo apt-get install fonts-hanazono fonts-symbola；Word简报不受影响。")
    if found:
        return Check("中文字体", OK, f"已找到：{found}（简报图表和PDF使用）")
    return Check("中文字体", MISSING, "未找到可显示中文的字体：简报中的图表会被省略，PDF中的中文可能显示为方框",
                 "Windows 自带中文字体，一般不会出现此项；Debian/Ubuntu 上运行 sudo apt-get install fonts-noto-cjk。")


def check_mail(env: Mapping[str, str] | None = None) -> Check:
    env = os.environ if env is None else env
    host, user = env.get("PLANKIT_SMTP_HOST", ""), env.get("PLANKIT_SMTP_USER", "")
    if not host:
        return Check("邮件设置", NOTE, "未设置环境变量 PLANKIT_SMTP_HOST：邮件只生成 .eml 文件，不直接发送",
                     "需要直接发送邮件时，设置 PLANKIT_SMTP_HOST（邮件服务器地址）、PLANKIT_SMTP_USER（登录名）和"
                     " PLANKIT_SMTP_PASSWORD（密码），见使用说明“发送邮件”和“术语表·环境变量”。")
    port = env.get("PLANKIT_SMTP_PORT", "") or "默认"
    if user and not env.get("PLANKIT_SMTP_PASSWORD"):
        return Check("邮件设置", NOTE, f"服务器 {host}，端口 {port}，用户 {user}；未设置密码",
                     "发送时会提示输入密码；也可设置环境变量 PLANKIT_SMTP_PASSWORD。")
    return Check("邮件设置", OK, f"服务器 {host}，端口 {port}" + (f"，用户 {user}" if user else "，不登录"))


def check_templates() -> Check:
    from toolkit.render.jinja_zh import decode_template
    folder = resources.template("mail")
    bad = []
    for path in sorted(Path(folder).glob("*.j2")):
        try:
            decode_template(path.read_bytes(), path.name)
        except Exception:
            bad.append(path.name)
    if bad:
        return Check("邮件模板", MISSING, f"{folder} 中无法读取：{'、'.join(bad)}",
                     "请用记事本打开这些文件，“另存为”时编码选 UTF-8。")
    return Check("邮件模板", OK, f"{folder}")


def check_plans() -> Check:
    plans = sorted(p for p in Path("plans").glob("*.xlsx") if not p.name.startswith(("~$", ".~")))
    if plans:
        return Check("计划主表", OK, "plans/ 下：" + "、".join(p.name for p in plans))
    return Check("计划主表", NOTE, f"当前文件夹（{Path.cwd()}）下没有 plans/ 文件夹或其中没有 .xlsx",
                 "请先进入存放计划的工作文件夹（cd 文件夹路径）再运行命令，或用 --plan 指定计划主表；"
                 "只想试用可运行 plankit demo。")


def run_checks() -> list[Check]:
    return [check_python(), check_libraries(), check_libreoffice(), check_fonts(), check_templates(),
            check_mail(), check_plans()]


def as_dicts(checks: list[Check]) -> list[dict]:
    return [asdict(c) for c in checks]
