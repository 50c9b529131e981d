"""The quarterly briefing: context, strict rendering, layout, notices, CLI and one PDF."""
from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from docx import Document
from docx.oxml.ns import qn

from toolkit.render import brief as B
from toolkit.render import template as docrender
from toolkit.cli import main
from toolkit.render.template import TemplateProblem, clean_text

from tests.test_values import DATE_FORMS
from .brief_helpers import HOSTILE_PROGRESS, docx_text, quarter_evaluation

ROOT = Path(__file__).parent.parent
TEMPLATES = ROOT / "templates"
ON = date(2019, 7, 15)


@pytest.fixture(scope="module")
def ev(plan):
    return quarter_evaluation(plan)


@pytest.fixture(scope="module")
def made(ev, tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    result = B.render_brief(ev, out, on=ON, per_dept=True)
    return result, docx_text(result.path)


def make_template(path: Path, *paragraphs: str) -> Path:
    doc = Document()
    for text in paragraphs:
        doc.add_paragraph(text)
    doc.save(path)
    return path


# ------------------------------------------------------------------ content

def test_fixture_quarter_has_every_status(ev):
    assert ev.counts == {"已完成": 7, "超序时": 8, "序时推进": 20, "滞后": 14, "未报送": 1}


def test_brief_reopens_and_has_the_right_counts(ev, made):
    result, text = made
    assert result.path.name == "2019年第二季度民生实事进展情况简报.docx"
    assert "已完成7项，占14%；超序时8项，占16%；序时推进20项，占40%；滞后14项，占28%；未报送1项，占2%" in text
    assert "应报送单位26个，实际报送25个，报送率96.2%，其中按时报送24个" in text
    assert "尚未报送的单位：市政务办。" in text
    for heading in ("一、总体情况", "二、分领域进展", "三、进度滞后的事项", "四、存在问题", "五、下一步工作安排"):
        assert heading in text.splitlines()


def test_every_lagging_task_with_lead_gap_and_reason(ev, made):
    _, text = made
    lagging = ev.lagging()
    assert len(lagging) == 14
    for i, r in enumerate(lagging, 1):
        line = next(x for x in text.splitlines() if x.startswith(f"{i}．{r.task.name}（牵头单位："))
        assert "、".join(r.task.leads) in line
        assert f"低于序时进度{B.pct(-r.gap)}个百分点" in line
        assert "滞后原因：" in line


def test_one_paragraph_per_domain_with_figures(ev, made):
    _, text = made
    lines = text.splitlines()
    domains = list(dict.fromkeys(t.domain for t in ev.plan.tasks))
    for i, name in enumerate(domains, 1):
        line = next(x for x in lines if x.startswith(f"{B.cn_seq(i)}{name}。共"))
        assert f"共{sum(1 for t in ev.plan.tasks if t.domain == name)}项" in line
    assert "（十一）生态环境。" in text


def test_annex_table_has_every_task_and_repeating_header(ev, made):
    result, _ = made
    doc = Document(str(result.path))
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["序号", "任务名称", "牵头单位", "状态", "完成情况"]
    assert len(table.rows) == 1 + len(ev.tasks)
    header = table.rows[0]._tr.trPr.find(qn("w:tblHeader"))
    assert header is not None and header.get(qn("w:val")) == "true"
    row34 = [c.text for c in table.rows[34].cells]
    assert row34[:4] == ["34", "建设智慧政务", "市政务办", "未报送"]
    for r, row in zip(ev.tasks, table.rows[1:]):
        run = row.cells[3].paragraphs[0].runs[0]
        assert (run.style.name == "滞后标记") == (r.status == "滞后"), r.task.name


def test_hostile_text_renders_exactly_and_never_as_template(made):
    _, text = made
    assert "规划&建设局牵头，完成率<50%，\n已协调“{{ 7*7 }}”</w:t>" in text  # \x0b → line break, \x07 gone
    assert "49" not in text.split("规划&建设局")[1][:40]
    assert "资金&土地<未落实>（涉及：加强生活垃圾管理）。" in text
    assert "\x00" not in text and "\x07" not in text
    assert HOSTILE_PROGRESS.replace("\x0b", "\n").replace("\x07", "") in text


@pytest.mark.parametrize("raw, clean", [
    ("规划&建设局", "规划&建设局"), ("<50%", "<50%"), ("a\r\nb\rc", "a\nb\nc"),
    ("a\x0bb", "a\nb"), ("a\tb", "a b"), ("a\x00\x07\x0c\x1fb", "ab"), ("\ufffe完成", "完成"),
])
def test_clean_text(raw, clean):
    assert clean_text(raw) == clean


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (34, "三十四")])
def test_cn_number(n, text):
    assert B.cn_number(n) == text


LONG_PROGRESS = ("本季度已完成康复医院内外装施工，安装施工，整体护理系统招标，完成景观绿化招标，放射科屏蔽防辐射升级招标，"
                 "ALC板墙施工完成，市妇幼保健中心新院区进行设备调试和内装施工。")


@pytest.mark.parametrize("text, shown", [
    ("完成招标。下一步开工。", "完成招标"),
    # a long first sentence ends after its last clause, not mid-word (it was "…设备调试和内……")
    (LONG_PROGRESS, "本季度已完成康复医院内外装施工，安装施工，整体护理系统招标，完成景观绿化招标，放射科屏蔽防辐射升级招标，"
                    "ALC板墙施工完成……"),
    ("甲" * 79 + "ALC板墙", "甲" * 79 + "……"),  # no clause to cut at: never inside ALC or 1.5
    ("甲" * 90, "甲" * 80 + "……"),
])
def test_first_sentence_is_cut_between_clauses(text, shown):
    assert B.first_sentence(text) == shown


# ------------------------------------------------------------------ layout

def test_masthead_page_and_fonts(made):
    result, _ = made
    doc = Document(str(result.path))
    s = doc.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [37, 35, 28, 26]
    p0, p1, p2 = doc.paragraphs[:3]
    assert p0.text == "民生实事工作简报" and p0.style.name == "报头"
    assert str(p0.style.font.color.rgb) == "FF0000"
    assert p1.text == "第2期"
    assert p2.text == "连云港市民生实事工作领导小组办公室\t2019年7月15日"
    rule = p2._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "FF0000"
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    assert {fonts.get(qn(f"w:{k}")) for k in ("ascii", "hAnsi", "eastAsia", "cs")} == {"仿宋"}
    assert doc.styles["公文标题"].font.size.pt == 22
    styles_xml = doc.styles.element.xml
    assert "Theme=" not in styles_xml and 'w:eastAsia="zh-CN"' in styles_xml


def test_page_numbers_odd_right_even_left(made):
    result, _ = made
    doc = Document(str(result.path))
    s = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, align in ((s.footer, "right"), (s.even_page_footer, "left")):
        p = footer.paragraphs[0]
        assert p.text == "— 1 —"
        assert "PAGE" in p._p.xml and p.alignment.name.lower() == align


def test_chart_is_a_picture_or_skipped_with_a_warning(ev, tmp_path, monkeypatch, made):
    result, _ = made
    assert result.chart and len(Document(str(result.path)).inline_shapes) == 1
    monkeypatch.setattr(B.charts, "find_cjk_font", lambda: None)
    bare = B.render_brief(ev, tmp_path, on=ON)
    assert not bare.chart and len(Document(str(bare.path)).inline_shapes) == 0
    assert bare.warnings == ["未找到可显示中文的字体，简报中省略了图表（请安装 fonts-noto-cjk 或任一中文字体）。"]


def test_chart_font_draws_chinese():
    from toolkit.render import charts
    path = charts.find_cjk_font()
    if path is None:
        pytest.skip("no CJK font on this machine (install fonts-noto-cjk)")
    assert charts._covers(path, "滞后序时推进已完成")


def test_chart_colours_say_what_the_workbook_says():
    # 滞后 was red and 序时推进 blue in the briefing's chart, amber and green in the report's
    from toolkit.render import charts
    from toolkit.render.report_book import STATUS_CHART_COLORS

    def family(hex_colour: str) -> str:
        r, g, b = (int(hex_colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
        if max(r, g, b) - min(r, g, b) < 30:
            return "grey"
        return "amber" if r > 200 and g > 150 and b < 100 else "green" if g > r and g > b else "red"
    assert {s: family(c) for s, c in charts.STATUS_COLORS.items()} == {
        s: family(c) for s, c in STATUS_CHART_COLORS.items()} == {
        "已完成": "green", "超序时": "green", "序时推进": "green", "滞后": "amber", "未报送": "grey"}
    assert charts.STATUS_COLORS["滞后"] == charts.YEAR_COLORS[1]  # the year's 基本完成 amber, not its red


def test_gb2312_font_names(ev, tmp_path):
    result = B.render_brief(ev, tmp_path, on=ON, fonts="gb2312", chart=False)
    doc = Document(str(result.path))
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert doc.styles["二级标题"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "楷体_GB2312"


@pytest.mark.parametrize("name, one_line", [
    ("briefing.docx", {"序号": "序号", "牵头单位": "市交通运输局", "状态": "序时推进"}),
    ("year_briefing.docx", {"序号": "序号", "牵头单位": "市交通运输局", "状态": "基本完成", "完成率": "100%"}),
])
def test_annex_columns_hold_their_longest_short_text_on_one_line(name, one_line):
    # 序号 printed as 序/号 and 市交通运输局 as 市交通运输/局 with Table Grid's 1.9 mm cell margins
    doc = Document(str(TEMPLATES / name))
    table = doc.tables[-1]
    widths = [int(c.get(qn("w:w"))) for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    margins = table._tbl.tblPr.find(qn("w:tblCellMar"))
    pad = sum(int(margins.find(qn(f"w:{side}")).get(qn("w:w"))) for side in ("left", "right"))
    size = doc.styles["表格文字"].font.size.pt * 20  # twips per full-width character
    heads = [c.text for c in table.rows[0].cells]
    for head, text in one_line.items():
        chars = sum(1 if ord(ch) > 0x2E80 else 0.5 for ch in text)
        assert widths[heads.index(head)] - pad >= chars * size, (name, head)


def test_committed_templates_match_the_build_script(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location("build_templates", TEMPLATES / "build_templates.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--out", str(tmp_path)])
    for name in ("briefing.docx", "dept_notice.docx", "year_briefing.docx"):
        with zipfile.ZipFile(tmp_path / name) as a, zipfile.ZipFile(TEMPLATES / name) as b:
            for part in ("word/document.xml", "word/styles.xml", "word/footer1.xml"):
                assert a.read(part) == b.read(part), f"{name}:{part} differs: rerun build_templates.py"
    assert (tmp_path / "fonts.conf").read_text("utf-8") == (TEMPLATES / "fonts.conf").read_text("utf-8")


# ------------------------------------------------------------------ options and notices

def test_issue_number_and_date(ev, tmp_path):
    result = B.render_brief(ev, tmp_path, issue_no=5, on=date(2019, 8, 1), chart=False)
    text = docx_text(result.path)
    assert "第5期" in text.splitlines() and "2019年8月1日" in text


def test_per_dept_notice_per_lead_unit_with_lagging_tasks(ev, made):
    result, _ = made
    units = {u for r in ev.lagging() for u in r.task.leads}
    names = {p.name for p in result.notices}
    assert names == {f"2019年第二季度民生实事督办通知（{u}）.docx" for u in units}
    r = ev.lagging()[0]
    notice = docx_text(next(p for p in result.notices if p.name.endswith(f"（{r.task.lead}）.docx")))
    assert notice.splitlines()[2] == f"{r.task.lead}："
    assert f"{r.task.name}。{B.figures_of(r)}。你单位反映的原因：" in notice
    assert "于2019年8月14日前赶上序时进度" in notice  # 30 days after 2019-07-15


def test_no_lagging_tasks_says_so(plan, tmp_path):
    from toolkit.evaluate.judge import evaluate
    from toolkit.quarter import Quarter
    ev_empty = evaluate(plan, Quarter(2019, 2), None)
    result = B.render_brief(ev_empty, tmp_path, on=ON, per_dept=True, chart=False)
    text = docx_text(result.path)
    assert "本季度没有进度滞后的事项。" in text and result.notices == []
    assert "未报送50项，占100%" in text


# ------------------------------------------------------------------ strict rendering

def test_undeclared_variables_are_reported_before_rendering(tmp_path):
    tpl = make_template(tmp_path / "t.docx", "{{ title }}", "{{ nosuch }}{{ other.x }}")
    target = tmp_path / "out.docx"
    with pytest.raises(TemplateProblem) as exc:
        docrender.render(tpl, {"title": "x"}, target)
    assert exc.value.message == "模板 t.docx 使用了未定义的变量：nosuch、other。"
    assert not target.exists()


def test_syntax_error_names_template_and_text_around(tmp_path):
    tpl = make_template(tmp_path / "坏模板.docx", "第一段", "截至{{ quarter_end }，共", "第三段")
    with pytest.raises(TemplateProblem) as exc:
        docrender.render(tpl, {"quarter_end": "6月底"}, tmp_path / "out.docx")
    assert exc.value.message.startswith("模板 坏模板.docx 有错误：")
    assert "截至{{ quarter_end }，共" in exc.value.message


def test_sandbox_blocks_python_internals(tmp_path):
    tpl = make_template(tmp_path / "t.docx", "{{ title.__class__.__mro__[1].__subclasses__() }}")
    with pytest.raises(TemplateProblem) as exc:
        docrender.render(tpl, {"title": "x"}, tmp_path / "out.docx")
    assert "模板不能访问程序内部的属性（__class__），已拒绝" in exc.value.message


def test_failed_render_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.docx"
    target.write_bytes(b"previous")
    tpl = make_template(tmp_path / "t.docx", "{{ 1 / 0 }}")
    with pytest.raises(ZeroDivisionError):
        docrender.render(tpl, {}, target)
    assert target.read_bytes() == b"previous"


@pytest.mark.parametrize("content, message", [
    (None, "找不到模板文件："),
    (b"not a zip", "模板 t.docx 不是Word文档（.docx），或文件已损坏。"),
    ("xlsx", "模板 t.docx 不是Word文档（.docx）。"),
])
def test_bad_template_files(tmp_path, content, message):
    tpl = tmp_path / "t.docx"
    if content == "xlsx":
        with zipfile.ZipFile(tpl, "w") as zf:
            zf.writestr("xl/workbook.xml", "<workbook/>")
    elif content is not None:
        tpl.write_bytes(content)
    with pytest.raises(TemplateProblem) as exc:
        docrender.render(tpl, {}, tmp_path / "out.docx")
    assert exc.value.message.startswith(message)


# ------------------------------------------------------------------ CLI

def test_cli_json_matches_library(ev, plan_path, tmp_path, monkeypatch):
    monkeypatch.setattr("toolkit.render.brief.evaluate_quarter", lambda plan, q, out: ev)
    res = CliRunner().invoke(main, ["brief", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(tmp_path),
                                    "--date", "2019-07-15", "--issue-no", "3", "--per-dept", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    path = Path(data["path"])
    assert path == tmp_path / "lianyungang-2019" / "2019Q2" / "brief" / "2019年第二季度民生实事进展情况简报.docx"
    assert path.is_file() and "pdf" not in data
    assert data["counts"] == ev.counts and data["lagging"] == 14
    assert len(data["notices"]) == len({u for r in ev.lagging() for u in r.task.leads})
    assert "第3期" in docx_text(path)


def test_cli_without_merged_data_warns(plan_path, tmp_path):
    res = CliRunner().invoke(main, ["brief", "--plan", str(plan_path), "-q", "Q2", "--out", str(tmp_path),
                                    "--no-chart"])
    assert res.exit_code == 0, res.output
    assert "提示：本季度还没有汇总任何报送文件（请先运行 plankit merge），简报中全部任务为“未报送”。" in res.output


@pytest.mark.parametrize("args, message", [
    (["-q", "2019Q5"], "错误：季度“2019Q5”超出范围：季度只能是1到4。\n"),
    (["-q", "2", "--date", "7月15日"],
     "错误：无法识别日期“7月15日”。请写成 2019-07-15 或 2019年7月15日 这样的格式。\n"),
    (["-q", "2", "--template", "nosuch.docx"], "错误：找不到模板文件：nosuch.docx"
     "请检查 --template 指定的文件，或运行 plankit templates copy 取回随附的模板。\n"),
])
def test_cli_usage_errors(plan_path, tmp_path, args, message):
    res = CliRunner().invoke(main, ["brief", "--plan", str(plan_path), "--out", str(tmp_path), *args])
    assert res.exit_code == 2
    assert res.stderr == message


def test_cli_pdf_without_libreoffice_says_how_to_install(plan_path, tmp_path, monkeypatch):
    monkeypatch.setattr("toolkit.cli.brief.soffice", lambda: None)
    res = CliRunner().invoke(main, ["brief", "--plan", str(plan_path), "-q", "2", "--out", str(tmp_path), "--pdf"])
    assert res.exit_code == 2
    assert res.stderr.startswith("错误：未找到LibreOffice（soffice），无法生成PDF。请安装LibreOffice：")


# ------------------------------------------------------------------ LibreOffice (one conversion)

def test_pdf_has_title_task_names_and_chinese_fonts(ev, tmp_path, soffice_available):
    result = B.render_brief(ev, tmp_path, on=ON, pdf=True)
    assert result.pdf == result.path.with_suffix(".pdf") and result.pdf.is_file()
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    # reading order, not -layout: -layout interleaves the lines of neighbouring annex cells
    text = subprocess.run(["pdftotext", str(result.pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    squeezed = "".join(text.split())
    assert "民生实事工作简报" in squeezed and "2019年第二季度民生实事进展情况" in squeezed
    for r in ev.lagging():
        assert r.task.name in squeezed
    assert "—1—" in squeezed and "规划&建设局" in squeezed
    fonts = subprocess.run(["pdffonts", str(result.pdf)], capture_output=True, text=True).stdout
    # templates/fonts.conf maps 仿宋 to a serif face (FandolFang or Noto Serif CJK), not a sans fallback
    assert "Serif" in fonts or "FandolFang" in fonts


def test_undefined_attribute_names_the_paragraph(tmp_path):
    tpl = make_template(tmp_path / "t.docx", "{%p for d in domains %}", "（一）{{ d.nme }}", "{%p endfor %}")
    with pytest.raises(TemplateProblem) as exc:
        docrender.render(tpl, {"domains": [{"name": "教育"}]}, tmp_path / "out.docx")
    assert exc.value.message == ("模板 t.docx 有错误：使用了不存在的属性“nme”（请检查拼写和大小写），"
                                 "出错位置附近的文字：“（一）{{ d.nme }}”。")


def test_red_tasks_get_listed_for_supervision(plan, tmp_path):
    from dataclasses import replace

    from toolkit.model import Plan
    strict = Plan(replace(plan.settings, red=20.0), plan.tasks, plan.indicators, plan.departments)
    ev_red = quarter_evaluation(strict)
    red = [r for r in ev_red.lagging() if r.light == "red"]
    assert red and all(-r.gap > 20 for r in red)
    text = docx_text(B.render_brief(ev_red, tmp_path, on=ON, chart=False).path)
    line = next(x for x in text.splitlines() if x.startswith("（二）实行挂牌督办。"))
    assert f"对低于序时进度20个百分点以上的“{red[0].task.name}”" in line
    assert f"{len(red)}项任务，由市民生实事工作领导小组办公室挂牌督办，限期30天内赶上序时进度。" in line
    assert "（三）落实各单位下一步计划。" in text


def test_without_red_tasks_no_supervision_paragraph(made):
    _, text = made
    assert "挂牌督办" not in text and "（二）落实各单位下一步计划。" in text


def test_shared_problem_lists_at_most_eight_tasks(made):
    _, text = made
    line = next(x for x in text.splitlines() if x.startswith("（一）项目前期手续办理时间较长（涉及："))
    assert line.endswith("等22项任务）。") and line.count("、") == 7


def test_every_template_variable_is_documented(ev):
    doc = (ROOT / "docs" / "用户手册.md").read_text("utf-8")
    ctx = B.briefing_context(ev, on=ON)
    notice = next(iter(B.notice_contexts(ev, ctx).values()))
    for key in [*ctx, *notice, "chart"]:
        assert f"`{key}`" in doc, f"template variable {key} is missing from docs/用户手册.md"
    for key in [*ctx["lagging"][0], *ctx["tasks"][0], *ctx["domains"][0]]:
        assert f"`{key}`" in doc or f"`{key}.*`" in doc or f"`counts.{key}`" in doc, key


@pytest.mark.parametrize("text, expected", [
    ("2019-07-15", date(2019, 7, 15)), ("2019/7/5", date(2019, 7, 5)), ("2019.12.1", date(2019, 12, 1)),
    ("2019年7月15日", date(2019, 7, 15)), (None, None),
])
def test_cli_date_formats(text, expected):
    from toolkit.cli.brief import _parse_date
    assert _parse_date(text) == expected


@pytest.mark.parametrize("text, expected", [(t, d) for t, d in DATE_FORMS if isinstance(t, str)])
def test_cli_date_reads_every_text_form_of_the_one_parser(text, expected):
    """--date uses toolkit.values.to_date, as the plan's deadlines and the returns' dates do."""
    from toolkit.cli.brief import _parse_date
    assert _parse_date(text) == expected


@pytest.mark.parametrize("text", ["2019-02-30", "7月15日", "明天"])
def test_cli_bad_dates(text):
    from toolkit.cli.brief import _parse_date
    from toolkit.errors import UsageError
    with pytest.raises(UsageError) as exc:
        _parse_date(text)
    assert exc.value.message == f"无法识别日期“{text}”。"


def test_notice_filename_is_safe(ev):
    assert B.notice_filename(ev, "市住建局/规划:处") == "2019年第二季度民生实事督办通知（市住建局_规划_处）.docx"


def test_a_briefing_made_while_a_merge_runs_says_it_may_be_incomplete(tmp_path, plan, plan_path):
    """As `report` does: a briefing made while a merge holds the store may miss the files being merged."""
    from toolkit.paths import store_dir
    from toolkit.store.lock import run_lock
    args = ["brief", "--plan", str(plan_path), "-q", "2019Q2", "--out", str(tmp_path), "--no-chart", "--json"]
    quiet = CliRunner().invoke(main, args)
    assert quiet.exit_code == 0 and "另一个合并正在进行" not in quiet.output
    assert "merging" not in json.loads(quiet.stdout)
    with run_lock(store_dir(plan, tmp_path)):  # as a merge holds it
        busy = CliRunner().invoke(main, args)
    assert busy.exit_code == 0, busy.output
    assert "注意：生成时另一个合并正在进行（进程 " in busy.stderr
    assert "本简报可能还不包含正在合并的文件。合并结束后请重新运行 plankit brief -q 2019Q2。" in busy.stderr
    assert json.loads(busy.stdout)["merging"].startswith("进程 ")
