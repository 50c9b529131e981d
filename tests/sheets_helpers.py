"""Test helpers for fill-in workbooks, shared by the sheets, merge and demo tests.

fill_return(path, ...)        fill ONLY the input cells of a generated workbook, as a clerk would (openpyxl)
read_inputs(path)             read the input columns back by row key, from .xlsx/.xls/.ods (calamine)
libreoffice_fill(src, edits, out_dir)
                              open a workbook in LibreOffice (UNO, one soffice start), type into cells,
                              save it as xlsx, xls and/or ods: fixtures "saved by LibreOffice"
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from toolkit.fillin import layout as L

from toolkit.demo.simulate import _table, fill_return  # noqa: F401  (fill_return: the tests import it from here)

SYSTEM_PYTHON = "/usr/bin/python3"  # the interpreter that has `import uno` (python3-uno)


def read_inputs(path: Path) -> dict:
    """The input values of a (returned) workbook in any format calamine reads, keyed by row key.

    Returns {"tasks": {"T1": {header: value}}, "indicators": {"I1:名称": {header: value}},
    "contact": {field: value}}; blank cells are "" (calamine's convention).
    """
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(path))
    result = {"tasks": {}, "indicators": {}, "contact": {}}
    for sheet, inputs, bucket in ((L.PROGRESS_SHEET, L.PROGRESS_INPUTS, "tasks"),
                                  (L.INDICATOR_SHEET, L.INDICATOR_INPUTS, "indicators")):
        rows = wb.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        header = [str(v).strip() for v in rows[L.HEADER_ROW - 1]]
        key_col = header.index(L.ROW_KEY_HEADER)
        for values in rows[L.HEADER_ROW:]:
            values = list(values) + [""] * (len(header) - len(values))
            if values[key_col]:
                result[bucket][values[key_col]] = {h: values[header.index(h)] for h in inputs}
        if sheet == L.PROGRESS_SHEET:
            for values in rows[:L.HEADER_ROW - 1]:
                values = list(values)
                for i, v in enumerate(values):
                    label = str(v).strip().rstrip("：:")
                    if label in L.CONTACT_FIELDS:
                        following = next((x for x in values[i + 1:] if x not in ("", None)), "")
                        result["contact"][label] = "" if str(following).rstrip().endswith("：") else following
    wb.close()
    return result


def input_cell(path: Path, sheet: str, key: str, header: str) -> str:
    """The A1 address of the input cell for (row key, header), e.g. "F5" (for UNO edits)."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    ws = openpyxl.load_workbook(path)[sheet]
    headers, rows = _table(ws)
    return f"{get_column_letter(headers[header])}{rows[key]}"


# ---------------------------------------------------------------- LibreOffice via UNO

FILTERS = {"xlsx": "Calc MS Excel 2007 XML", "xls": "MS Excel 97", "ods": "calc8"}

UNO_SCRIPT = r'''
import json, shutil, socket, subprocess, sys, tempfile, time
import uno
from com.sun.star.beans import PropertyValue


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main(args):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    profile = tempfile.mkdtemp(prefix="plankit-uno-")
    url = "socket,host=127.0.0.1,port=%d;urp;StarOffice.ComponentContext" % port
    proc = subprocess.Popen([args["soffice"], "-env:UserInstallation=" + uno.systemPathToFileUrl(profile),
                             "--headless", "--invisible", "--nologo", "--norestore", "--nodefault",
                             "--accept=" + url], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
        deadline = time.time() + 90
        while True:
            try:
                ctx = resolver.resolve("uno:" + url)
                break
            except Exception:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.3)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(args["src"]), "_blank", 0,
                                           (prop("Hidden", True),))
        for sheet, cell, value in args["edits"]:
            target = doc.Sheets.getByName(sheet).getCellRangeByName(cell)
            if isinstance(value, dict):
                target.setFormula(value["typed"])  # parsed like typing: dates, numbers
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                target.setValue(value)
            else:
                target.setString(str(value))
        for fmt, path in args["outputs"].items():
            doc.storeToURL(uno.systemPathToFileUrl(path),
                           (prop("FilterName", args["filters"][fmt]), prop("Overwrite", True)))
        doc.close(True)
        try:
            desktop.terminate()
        except Exception:  # the bridge goes away while terminating
            pass
    finally:
        try:
            proc.wait(timeout=30)
        except Exception:
            proc.kill()
        shutil.rmtree(profile, ignore_errors=True)


main(json.loads(open(sys.argv[1], encoding="utf-8").read()))
'''


def libreoffice_fill(src: Path, edits: list[tuple[str, str, object]], out_dir: Path,
                     formats: tuple[str, ...] = ("xlsx", "xls", "ods"), *, stem: str | None = None,
                     timeout: int = 240) -> dict[str, Path]:
    """Open `src` in headless LibreOffice, type `edits` and save it once per format.

    :param edits: (sheet, "F5", value): numbers via setValue, text via setString,
                  {"typed": "2019-07-05"} via setFormula (LibreOffice parses it as if typed)
    :returns: {"xlsx": out_dir/<stem>.xlsx, ...}; one soffice start for all formats, private profile.
    """
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        raise RuntimeError("LibreOffice is not installed")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = stem or Path(src).stem
    outputs = {fmt: str((out_dir / f"{stem}.{fmt}").resolve()) for fmt in formats}
    args = {"soffice": soffice, "src": str(Path(src).resolve()), "edits": [list(e) for e in edits],
            "outputs": outputs, "filters": FILTERS}
    with tempfile.TemporaryDirectory(prefix="plankit-uno-args-") as tmp:
        script, arg_file = Path(tmp) / "fill.py", Path(tmp) / "args.json"
        script.write_text(UNO_SCRIPT, encoding="utf-8")
        arg_file.write_text(json.dumps(args, ensure_ascii=False, default=str), encoding="utf-8")
        python = SYSTEM_PYTHON if Path(SYSTEM_PYTHON).exists() else sys.executable
        proc = subprocess.run([python, str(script), str(arg_file)], capture_output=True, text=True, timeout=timeout)
    missing = [f for f, p in outputs.items() if not Path(p).exists()]
    if proc.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice round trip failed ({missing}): {proc.stderr[-2000:]}")
    return {fmt: Path(p) for fmt, p in outputs.items()}


def uno_available() -> bool:
    """True when LibreOffice and a Python with `import uno` are both present."""
    if not (shutil.which("soffice") or shutil.which("libreoffice")) or not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0
