"""Golden files: two workbooks of the demo quarter, dumped by meaning and pinned as JSON.

`tests/test_golden.py` runs `plankit demo` once, dumps

  * one fill-in workbook of the demo quarter (FILL_IN_DEPARTMENT's, 2019Q2, under .../sheets/) and
  * the consolidated progress report of that quarter (under .../report/)

with `dump_workbook` and compares each dump with the JSON stored in tests/golden/. The
dump is what a reader of the workbook sees or relies on, not its bytes: sheet names,
order and state; every non-empty cell value; merged ranges; each cell's meaningful style
(fill, font, number format, protection, alignment, border); sheet protection; data
validations; conditional formatting (including the Excel 2010 data-bar extension that
openpyxl drops, read from the raw XML); print setup; freeze panes; column widths and
row heights; defined names; document and custom properties; charts and their anchors.

Regenerate the stored files after an intended change of the outputs (then review the
git diff of tests/golden/ before committing it):

    python -m tests.golden_helpers --update

Without --update the same command compares and prints the differences (exit 1 if any).

Stored form (`compact`): each distinct cell style once in a top-level "styles" table and
every cell naming its style by number (the report's dump with styles inline is 2.6 MB);
the comparison expands it first (`expand`), so a difference names the cell and attribute,
e.g. `sheets/进展填报/cells/G5/style/fill/fg: expected "FFFFF2CC", got "FFFF0000"`.

This module imports nothing from toolkit but `toolkit.cli.main`: it drives the demo
through click's CliRunner, so it keeps working while modules move inside the package.

Things that change from run to run are normalised, never compared (see `normalise`):
  * the fill-in workbook's file id (uuid4 per workbook) and generation timestamp: they
    appear in the guide sheet's 文件信息 text, the very-hidden identity sheet, the
    plankit_identity defined name and the custom document properties; each occurrence
    is replaced by <file_id> / <generated_at>, so where they appear is still pinned;
  * the report's generation time (总览 note "生成时间：…" and every footer "生成于 …");
  * the core document properties created / modified (set by xlsxwriter to "now").
Everything else, including the plan fingerprint and the received times of returns
(the demo stamps them), was identical across two runs a minute apart in different time
zones (UTC, America/New_York) and is compared as is. LibreOffice is hidden from the demo
(`without_libreoffice`): with it, one simulated return is re-saved through LibreOffice and
the report's 报送情况 sheet names that file differently, so the files would depend on the
machine.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import posixpath
import re
import shutil
import sys
import tempfile
import warnings
import zipfile
from datetime import date, datetime, time
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
from openpyxl.utils import get_column_letter

GOLDEN_DIR = Path(__file__).parent / "golden"
QUARTER = "2019Q2"
FILL_IN_DEPARTMENT = "市教育局"
GOLDEN_FILES = {"fill_in": GOLDEN_DIR / f"fill_in_{QUARTER}.json",
                "report": GOLDEN_DIR / f"report_{QUARTER}.json"}
MAX_DIFFS = 20

# ---------------------------------------------------------------------------- producing the workbooks


@contextlib.contextmanager
def without_libreoffice():
    """Hide soffice/libreoffice from `shutil.which` while the demo runs.

    With LibreOffice installed the demo re-saves one department's return through it
    (the README's "one re-saved by LibreOffice"); that return's file name and bytes then
    differ from a machine without LibreOffice. Hiding it makes the golden files the same
    on every machine (CI installs LibreOffice, many laptops do not) and saves ~1 s.
    """
    real = shutil.which

    def which(cmd, *args, **kwargs):
        if Path(str(cmd)).name in ("soffice", "libreoffice"):
            return None
        return real(cmd, *args, **kwargs)

    shutil.which = which
    try:
        yield
    finally:
        shutil.which = real


def run_demo(out_dir: Path) -> dict[str, Path]:
    """`plankit demo --out out_dir --quarter QUARTER --no-pdf`; returns {"fill_in": path, "report": path}."""
    from click.testing import CliRunner

    from toolkit.cli import main

    with without_libreoffice():
        result = CliRunner().invoke(main, ["demo", "--out", str(out_dir), "--quarter", QUARTER,
                                           "--no-pdf", "--json"])
    if result.exit_code != 0:
        raise RuntimeError(f"plankit demo failed (exit {result.exit_code}):\n{result.output}\n{result.exception!r}")
    data = json.loads(result.stdout)
    fill_ins = sorted(Path(out_dir).glob(f"*/{QUARTER}/sheets/{FILL_IN_DEPARTMENT}_*.xlsx"))
    if len(fill_ins) != 1:
        raise RuntimeError(f"expected one fill-in workbook of {FILL_IN_DEPARTMENT}, found {fill_ins}")
    return {"fill_in": fill_ins[0], "report": Path(data["report"])}


# ---------------------------------------------------------------------------- dumping one workbook


def _value(v):
    """A cell value as JSON: dates and times become tagged ISO strings, so they never equal plain text."""
    if isinstance(v, datetime):
        return {"datetime": v.isoformat()}
    if isinstance(v, date):
        return {"date": v.isoformat()}
    if isinstance(v, time):
        return {"time": v.isoformat()}
    if isinstance(v, float) and v.is_integer() and abs(v) < 2 ** 53:
        return int(v)  # 5.0 and 5 are the same number in a cell
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    return str(v)


def _color(c) -> str | None:
    if c is None:
        return None
    if c.type == "rgb":
        return c.rgb if isinstance(c.rgb, str) else None
    if c.type == "theme":
        return f"theme:{c.theme}" + (f"{c.tint:+g}" if c.tint else "")
    if c.type == "indexed":
        return f"indexed:{c.indexed}"
    if c.type == "auto":
        return "auto"
    return None


def _prune(d: dict) -> dict:
    """Drop entries that are None/False/empty: the style of a plain cell is {}."""
    return {k: v for k, v in d.items() if not (v is None or v is False or v in ("", {}, []))}


def _side(s) -> str | None:
    if s is None or s.style is None:
        return None
    return f"{s.style} {_color(s.color) or ''}".strip()


def cell_style(cell) -> dict:
    """The parts of a cell's format that a reader sees or that protect the form."""
    font, fill, al, prot, b = cell.font, cell.fill, cell.alignment, cell.protection, cell.border
    fill_d = None
    if fill is not None and getattr(fill, "fill_type", None):
        fill_d = _prune({"type": fill.fill_type, "fg": _color(fill.fgColor),
                         "bg": _color(fill.bgColor) if fill.fill_type != "solid" else None})
    font_d = _prune({"name": font.name, "size": font.sz, "bold": bool(font.b), "italic": bool(font.i),
                     "underline": font.u, "strike": bool(font.strike), "color": _color(font.color),
                     "charset": font.charset, "vertAlign": font.vertAlign})
    align_d = _prune({"horizontal": al.horizontal, "vertical": al.vertical, "wrap": bool(al.wrap_text),
                      "shrink": bool(al.shrink_to_fit), "indent": al.indent or None,
                      "rotation": al.text_rotation or None})
    border_d = _prune({side: _side(getattr(b, side)) for side in ("left", "right", "top", "bottom")})
    return _prune({
        "number_format": cell.number_format if cell.number_format != "General" else None,
        "font": font_d, "fill": fill_d, "alignment": align_d, "border": border_d,
        "hidden_formula": bool(prot.hidden), "quote_prefix": bool(cell.quotePrefix),
    }) | {"locked": prot.locked is not False}  # always spelled out: it is what protects the form


def _protection(p) -> dict:
    d = {k: getattr(p, k) for k in ("sheet", "objects", "scenarios", "formatCells", "formatColumns",
                                     "formatRows", "insertColumns", "insertRows", "insertHyperlinks",
                                     "deleteColumns", "deleteRows", "selectLockedCells",
                                     "selectUnlockedCells", "sort", "autoFilter", "pivotTables")}
    # A modern (salted) password hash differs on every save: keep only that a password is set.
    # The legacy 16-bit hash (`password`) has no salt, is deterministic and is compared.
    d["algorithmName"] = p.algorithmName
    d["has_modern_password"] = bool(p.hashValue)
    d["legacy_password_hash"] = p.password
    return d


def _header_footer(hf) -> dict:
    parts = {}
    for which in ("oddHeader", "oddFooter", "evenHeader", "evenFooter", "firstHeader", "firstFooter"):
        item = getattr(hf, which)
        for pos in ("left", "center", "right"):
            part = getattr(item, pos)
            if part.text:
                parts[f"{which}.{pos}"] = _prune({"text": part.text, "font": part.font, "size": part.size,
                                                  "color": part.color})
    parts["differentFirst"] = bool(hf.differentFirst)
    parts["differentOddEven"] = bool(hf.differentOddEven)
    return parts


def _data_validations(ws) -> list[dict]:
    out = []
    for dv in ws.data_validations.dataValidation:
        out.append({"sqref": str(dv.sqref), "type": dv.type, "operator": dv.operator,
                    "formula1": dv.formula1, "formula2": dv.formula2, "allow_blank": bool(dv.allow_blank),
                    "show_dropdown_hidden": bool(dv.showDropDown), "error_style": dv.errorStyle,
                    "show_error": bool(dv.showErrorMessage), "error_title": dv.errorTitle, "error": dv.error,
                    "show_input": bool(dv.showInputMessage), "prompt_title": dv.promptTitle,
                    "prompt": dv.prompt})
    return sorted(out, key=lambda d: (d["sqref"], d["type"] or ""))


def _dxf(dxf) -> dict | None:
    if dxf is None:
        return None
    fill = dxf.fill
    return _prune({"font_color": _color(dxf.font.color) if dxf.font else None,
                   "bold": bool(dxf.font.b) if dxf.font else None,
                   "fill": _prune({"fg": _color(fill.fgColor), "bg": _color(fill.bgColor)}) if fill else None,
                   "number_format": dxf.numFmt.formatCode if dxf.numFmt else None})


def _conditional_formatting(ws) -> list[dict]:
    out = []
    for cf in ws.conditional_formatting:
        rules = []
        for r in cf.rules:
            rule = {"type": r.type, "operator": r.operator, "formula": list(r.formula or []),
                    "priority": r.priority, "stopIfTrue": bool(r.stopIfTrue), "text": r.text,
                    "dxf": _dxf(r.dxf)}
            if r.dataBar is not None:
                rule["dataBar"] = {"cfvo": [(v.type, v.val) for v in r.dataBar.cfvo],
                                   "color": _color(r.dataBar.color), "showValue": r.dataBar.showValue,
                                   "minLength": r.dataBar.minLength, "maxLength": r.dataBar.maxLength}
            if r.colorScale is not None:
                rule["colorScale"] = {"cfvo": [(v.type, v.val) for v in r.colorScale.cfvo],
                                      "colors": [_color(c) for c in r.colorScale.color]}
            if r.iconSet is not None:
                rule["iconSet"] = {"iconSet": r.iconSet.iconSet,
                                   "cfvo": [(v.type, v.val) for v in r.iconSet.cfvo]}
            rules.append(_prune(rule) | {"type": r.type})
        out.append({"range": str(cf.sqref), "rules": rules})
    return sorted(out, key=lambda d: d["range"])


def _print_setup(ws) -> dict:
    ps, m, po = ws.page_setup, ws.page_margins, ws.print_options
    pr = ws.sheet_properties.pageSetUpPr
    return {
        "orientation": ps.orientation, "paper_size": ps.paperSize, "scale": ps.scale,
        "fit_to_page": bool(pr.fitToPage) if pr is not None else False,
        "fit_to_width": ps.fitToWidth, "fit_to_height": ps.fitToHeight,
        "first_page_number": ps.firstPageNumber, "page_order": ps.pageOrder,
        "print_title_rows": ws.print_title_rows, "print_title_cols": ws.print_title_cols,
        "print_area": ws.print_area,
        "margins": {k: getattr(m, k) for k in ("left", "right", "top", "bottom", "header", "footer")},
        "centered": {"horizontally": bool(po.horizontalCentered), "vertically": bool(po.verticalCentered)},
        "grid_lines": bool(po.gridLines), "headings": bool(po.headings),
        "header_footer": _header_footer(ws.HeaderFooter),
        "row_breaks": [b.id for b in ws.row_breaks.brk], "col_breaks": [b.id for b in ws.col_breaks.brk],
    }


def _dimensions(ws) -> tuple[dict, dict]:
    cols = {}
    for _key, d in sorted(ws.column_dimensions.items(), key=lambda kv: kv[1].min or 0):
        if d.customWidth or d.hidden or d.outlineLevel:
            span = get_column_letter(d.min) + ("" if d.max == d.min else f":{get_column_letter(d.max)}")
            cols[span] = _prune({"width": d.width if d.customWidth else None, "hidden": bool(d.hidden),
                                 "outline": d.outlineLevel or None})
    rows = {}
    for idx, d in sorted(ws.row_dimensions.items()):
        if d.customHeight or d.hidden or d.outlineLevel:
            rows[str(idx)] = _prune({"height": d.ht if d.customHeight else None, "hidden": bool(d.hidden),
                                     "outline": d.outlineLevel or None})
    return cols, rows


def dump_sheet(ws) -> dict:
    cells = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is None and not cell.has_style:
                continue
            entry = {"style": cell_style(cell)}
            if cell.value is not None:
                entry["value"] = _value(cell.value)
            if cell.hyperlink is not None:
                entry["hyperlink"] = cell.hyperlink.target or cell.hyperlink.location
            if cell.comment is not None:
                entry["comment"] = cell.comment.text
            cells[cell.coordinate] = entry
    cols, rows = _dimensions(ws)
    view = ws.sheet_view
    return {
        "state": ws.sheet_state,
        "tab_color": _color(ws.sheet_properties.tabColor),
        "cells": cells,
        "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        "protection": _protection(ws.protection),
        "data_validations": _data_validations(ws),
        "conditional_formatting": _conditional_formatting(ws),
        "print": _print_setup(ws),
        "freeze_panes": ws.freeze_panes,
        "view": {"show_grid_lines": view.showGridLines, "zoom": view.zoomScale,
                 "right_to_left": bool(view.rightToLeft)},
        "autofilter": ws.auto_filter.ref,
        "columns": cols,
        "rows": rows,
        "default_row_height": ws.sheet_format.defaultRowHeight,
    }


# --- raw XML parts openpyxl does not keep (Excel 2010 extensions, charts) or names in full

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def xml_tree(el) -> list:
    """An XML element as [tag, {attrs}, children or text]: no namespace prefixes, no whitespace."""
    attrs = {_local(k): v for k, v in sorted(el.attrib.items())}
    children = [xml_tree(c) for c in el]
    node = [_local(el.tag), attrs]
    if children:
        node.append(children)
    elif el.text and el.text.strip():
        node.append(el.text)
    return node


def _rels(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    if rels_path not in z.namelist():
        return {}
    out = {}
    for rel in ET.fromstring(z.read(rels_path)):
        target = rel.get("Target", "")
        out[rel.get("Id")] = (target.lstrip("/") if target.startswith("/")
                              else posixpath.normpath(posixpath.join(folder, target)))
    return out


def raw_parts(path: Path) -> dict:
    """Defined names (all, as written), Excel 2010 sheet extensions and charts, per sheet."""
    R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rels = _rels(z, "xl/workbook.xml")
        sheets = [(s.get("name"), rels[s.get(R)]) for s in book.iter() if _local(s.tag) == "sheet"]
        names = []
        for dn in book.iter():
            if _local(dn.tag) == "definedName":
                local = dn.get("localSheetId")
                names.append(_prune({"name": dn.get("name"), "value": dn.text,
                                     "sheet": sheets[int(local)][0] if local is not None else None,
                                     "hidden": dn.get("hidden") in ("1", "true")}))
        per_sheet = {}
        for name, part in sheets:
            root = ET.fromstring(z.read(part))
            ext = [xml_tree(e) for e in root if _local(e.tag) == "extLst"]
            charts = []
            sheet_rels = _rels(z, part)
            for d in root:
                if _local(d.tag) != "drawing":
                    continue
                drawing = sheet_rels[d.get(R)]
                drawing_rels = _rels(z, drawing)
                for anchor in ET.fromstring(z.read(drawing)):
                    where = {_local(e.tag): {_local(x.tag): x.text for x in e}
                             for e in anchor if _local(e.tag) in ("from", "to")}
                    for c in anchor.iter():
                        if _local(c.tag) == "chart" and c.get(R):
                            chart_part = drawing_rels[c.get(R)]
                            charts.append({"anchor": where,
                                           "chart": xml_tree(ET.fromstring(z.read(chart_part)))})
                        elif _local(c.tag) == "pic":
                            charts.append({"anchor": where, "picture": True})
            per_sheet[name] = _prune({"extensions": ext, "drawings": charts})
    return {"defined_names": sorted(names, key=lambda d: (d["name"], d.get("sheet", ""))), "sheets": per_sheet}


def dump_workbook(path: Path) -> dict:
    """Everything meaningful in the workbook at `path`, as JSON-ready data (not yet normalised)."""
    path = Path(path)
    with warnings.catch_warnings():
        # openpyxl warns that it drops the data-bar extension; raw_parts reads it instead.
        warnings.simplefilter("ignore", UserWarning)
        wb = openpyxl.load_workbook(path)
    props = wb.properties
    raw = raw_parts(path)
    sheets = {}
    for ws in wb.worksheets:
        sheets[ws.title] = dump_sheet(ws) | raw["sheets"].get(ws.title, {})
    return {
        "file": path.name,
        "sheet_order": wb.sheetnames,
        "active_sheet": wb.active.title if wb.active is not None else None,
        # created / modified are "now" at every run: not dumped.
        "properties": _prune({k: getattr(props, k) for k in ("title", "subject", "creator", "description",
                                                             "keywords", "category", "lastModifiedBy")}),
        "custom_properties": {p.name: _value(p.value) for p in wb.custom_doc_props.props},
        "defined_names": raw["defined_names"],
        "sheets": sheets,
    }


# ---------------------------------------------------------------------------- normalising run-dependent values

GENERATED_AT_RE = re.compile(r"(生成于 |生成时间：)\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _volatile(dump: dict) -> dict[str, str]:
    """{run-dependent value: placeholder} for a fill-in workbook: its identity's file id and time.

    They are read from the custom properties `plankit.file_id` / `plankit.generated_at`
    (one of the identity's three copies), so only these exact strings are replaced: the
    fingerprint, also 16 hex digits, is deterministic and stays compared.
    """
    found = {}
    for name, value in dump.get("custom_properties", {}).items():
        if not isinstance(value, str) or not value:
            continue
        if name.endswith(".file_id"):
            found[value] = "<file_id>"
        elif name.endswith(".generated_at"):
            found[value] = "<generated_at>"
            found[value.replace("T", " ")] = "<generated_at>"  # as the guide sheet prints it
    return found


def normalise(dump: dict) -> dict:
    """Replace what differs between two runs of the same demo with placeholders (see module doc)."""
    volatile = sorted(_volatile(dump).items(), key=lambda kv: -len(kv[0]))

    def fix(x):
        if isinstance(x, str):
            for value, placeholder in volatile:
                x = x.replace(value, placeholder)
            return GENERATED_AT_RE.sub(r"\1<generated_at>", x)
        if isinstance(x, dict):
            return {fix(k): fix(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [fix(v) for v in x]
        return x

    return fix(dump)


def golden_dump(path: Path) -> dict:
    """The normalised, JSON round-tripped dump that is stored and compared."""
    return json.loads(json.dumps(normalise(dump_workbook(path)), ensure_ascii=False))


# ---------------------------------------------------------------------------- storing: one style table per file


def compact(dump: dict) -> dict:
    """The stored form: each distinct cell style once in a table, cells refer to it by number."""
    table: dict[str, int] = {}
    styles: list[dict] = []
    out = json.loads(json.dumps(dump))
    for sheet in out["sheets"].values():
        for cell in sheet["cells"].values():
            key = json.dumps(cell["style"], sort_keys=True, ensure_ascii=False)
            if key not in table:
                table[key] = len(styles)
                styles.append(cell["style"])
            cell["style"] = table[key]
    out["styles"] = {str(i): s for i, s in enumerate(styles)}
    return out


def expand(stored: dict) -> dict:
    """The inverse of `compact`: every cell with its style inline, so diffs name the cell."""
    out = json.loads(json.dumps(stored))
    styles = out.pop("styles", None)
    if styles is not None:
        for sheet in out["sheets"].values():
            for cell in sheet["cells"].values():
                cell["style"] = styles[str(cell["style"])]
    return out


def write_golden(path: Path, dump: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(compact(dump), ensure_ascii=False, sort_keys=True, indent=1) + "\n",
                    encoding="utf-8")


def read_golden(path: Path) -> dict:
    return expand(json.loads(Path(path).read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------- comparing


def differences(expected, actual, path: str = "") -> list[str]:
    """Every path where `actual` differs from `expected`, as readable lines, in document order."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in list(expected) + [k for k in actual if k not in expected]:
            sub = f"{path}/{key}" if path else str(key)
            if key not in actual:
                out.append(f"{sub}: missing (expected {_short(expected[key])})")
            elif key not in expected:
                out.append(f"{sub}: unexpected {_short(actual[key])}")
            else:
                out.extend(differences(expected[key], actual[key], sub))
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        scalars = all(not isinstance(x, (dict, list)) for x in expected + actual)
        if scalars and expected != actual:
            # Merged ranges, sheet order, breaks: one line naming what is missing, extra or reordered.
            missing = [x for x in expected if x not in actual]
            extra = [x for x in actual if x not in expected]
            if missing or extra:
                return [f"{path}: missing {_short(missing)}, unexpected {_short(extra)}"]
            return [f"{path}: order differs: expected {_short(expected)}, got {_short(actual)}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual)):
            out.extend(differences(e, a, f"{path}[{i}]"))
        if len(expected) != len(actual):
            extra = actual[len(expected):] or expected[len(actual):]
            which = "unexpected" if len(actual) > len(expected) else "missing"
            out.append(f"{path}: {len(expected)} items expected, {len(actual)} found; "
                       f"{which}: {_short(extra)}")
        return out
    if _same(expected, actual):
        return []
    return [f"{path}: expected {_short(expected)}, got {_short(actual)}"]


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or (type(a) is type(b) and a == b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    return type(a) is type(b) and a == b


def _short(x, limit: int = 160) -> str:
    text = json.dumps(x, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "…"


def report_differences(name: str, diffs: list[str], limit: int = MAX_DIFFS) -> str:
    """A readable failure message: the first `limit` differing paths and how many more."""
    lines = [f"{name}: {len(diffs)} difference(s) from the golden file"]
    lines += [f"  {d}" for d in diffs[:limit]]
    if len(diffs) > limit:
        lines.append(f"  … and {len(diffs) - limit} more")
    lines.append("If the change is intended: python -m tests.golden_helpers --update, and review the git diff.")
    return "\n".join(lines)


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.golden_helpers", description=__doc__.split("\n")[0])
    parser.add_argument("--update", action="store_true", help="rewrite the golden JSON files from a fresh demo")
    parser.add_argument("--keep", type=Path, default=None, help="run the demo in this folder and keep it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="plankit-golden-") as tmp:
        out = args.keep or Path(tmp) / "demo"
        books = run_demo(out)
        failed = False
        for name, book in books.items():
            dump = golden_dump(book)
            if args.update:
                write_golden(GOLDEN_FILES[name], dump)
                print(f"wrote {GOLDEN_FILES[name]} ({GOLDEN_FILES[name].stat().st_size:,} bytes) from {book.name}")
                continue
            diffs = differences(read_golden(GOLDEN_FILES[name]), dump)
            if diffs:
                failed = True
                print(report_differences(name, diffs))
            else:
                print(f"{name}: same as {GOLDEN_FILES[name].name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
