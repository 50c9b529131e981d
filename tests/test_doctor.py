"""Issue 22 item 11: `plankit doctor`, and LibreOffice found where Windows installs it."""
from __future__ import annotations

import json
import sys

from click.testing import CliRunner

from toolkit.cli import main
from toolkit.demo import doctor as D
from toolkit.fileio import office


def test_soffice_found_where_the_windows_installer_puts_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # not on the PATH, as on Windows
    monkeypatch.delenv("PLANKIT_SOFFICE", raising=False)
    monkeypatch.setattr(office, "install_locations", lambda real=office.install_locations: [
        p for p in real() if str(p).startswith(str(tmp_path))])  # ignore this machine's own /Applications
    assert office.soffice() is None
    monkeypatch.setenv("ProgramFiles", str(tmp_path / "Program Files"))
    exe = tmp_path / "Program Files" / "LibreOffice" / "program" / "soffice.exe"
    exe.parent.mkdir(parents=True)
    exe.write_bytes(b"")
    assert office.soffice() == str(exe)


def test_windows_default_path_is_among_the_locations(monkeypatch):
    for var in ("ProgramFiles", "ProgramW6432", "ProgramFiles(x86)", "LOCALAPPDATA"):
        monkeypatch.delenv(var, raising=False)
    assert r"C:\Program Files\LibreOffice\program\soffice.exe" in [str(p) for p in office.install_locations()]


def test_plankit_soffice_names_an_unusual_install(tmp_path, monkeypatch):
    exe = tmp_path / "LibreOfficePortable" / "soffice.exe"
    exe.parent.mkdir()
    exe.write_bytes(b"")
    monkeypatch.setenv("PLANKIT_SOFFICE", str(exe))
    assert office.soffice() == str(exe)


def test_doctor_says_what_is_missing_in_chinese_and_exits_1(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(office, "soffice", lambda: None)
    monkeypatch.delenv("PLANKIT_SMTP_HOST", raising=False)
    r = CliRunner().invoke(main, ["doctor"])
    assert r.exit_code == 1
    assert "[缺少] LibreOffice：未找到。只有加 --pdf 生成PDF时需要" in r.output
    assert "怎么办：请安装LibreOffice：Windows/macOS 从 libreoffice.org 下载安装" in r.output
    assert "[提示] 邮件设置：未设置环境变量 PLANKIT_SMTP_HOST" in r.output
    assert "缺少：LibreOffice。" in r.output


def test_doctor_json_and_mail_settings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["doctor", "--json"])
    data = json.loads(r.stdout)
    assert [c["name"] for c in data["checks"]] == ["Python", "依赖库", "LibreOffice", "中文字体", "邮件模板", "邮件设置", "计划主表"]
    assert data["checks"][0]["status"] == "正常" and sys.version_info >= (3, 10)
    assert D.check_mail({"PLANKIT_SMTP_HOST": "smtp.example.cn", "PLANKIT_SMTP_USER": "hz"}).status == "提示"
    assert D.check_mail({"PLANKIT_SMTP_HOST": "smtp.example.cn", "PLANKIT_SMTP_PORT": "465"}).detail == \
        "服务器 smtp.example.cn，端口 465，不登录"


def test_the_manual_documents_both_install_paths_and_the_windows_location():
    from pathlib import Path
    manual = (Path(__file__).parent.parent / "docs" / "用户手册.md").read_text(encoding="utf-8")
    assert "py -m pipx install" in manual and "pipx install ~/下载/" in manual
    assert "externally-managed-environment" in manual and "Scripts\\activate" in manual
    documented = r"C:\Program Files\LibreOffice\program\soffice.exe"
    assert documented in manual and documented in [str(p) for p in office.install_locations()]


def test_fonts_note_names_hanazono_when_no_font_draws_rare_characters(monkeypatch):
    from toolkit.render import brief, charts
    monkeypatch.setattr(charts, "find_cjk_font", lambda: "Noto Serif CJK SC")
    monkeypatch.setattr(brief, "missing_glyphs", lambda texts: list(texts))
    check = D.check_fonts()
    assert (check.status, check.name) == (D.NOTE, "中文字体")
    assert "未找到生僻字字体（花园明朝 HanaMin）" in check.detail and "fonts-hanazono fonts-symbola" in check.fix
    monkeypatch.setattr(brief, "missing_glyphs", lambda texts: [])
    assert D.check_fonts().status == D.OK
