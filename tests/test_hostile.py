"""Hostile content: names from data cannot inject HTML or spreadsheet formulas, and papermill
parameters with quotes or newlines cannot change the executed code; an interrupted run leaves
the previous output intact."""
import ast
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from analysis import pipeline
from analysis.inputs.dataset import load_dataset
from analysis.publication.report import Report
from analysis.indices.results import compute_results
from analysis.publication.xlsx import write_workbook

ROOT = Path(__file__).resolve().parents[1]
EVIL_NAME = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://example.invalid","click")'


def hostile_dataset(tmp_path: Path) -> Path:
    folder = tmp_path / "hostile"
    shutil.copytree(ROOT / "data" / "par-ministries", folder)
    units = folder / "units.csv"
    text = units.read_text(encoding="utf-8")
    text = text.replace("Bộ Tư pháp", EVIL_NAME).replace("Ministry of Justice", FORMULA.replace('"', '""'))
    units.write_text(text.replace(f',{FORMULA.replace(chr(34), chr(34) * 2)},', f',"{FORMULA.replace(chr(34), chr(34) * 2)}",'),
                     encoding="utf-8")
    return folder


def test_names_are_escaped_in_html_and_neutralised_in_csv_and_xlsx(tmp_path):
    ds = load_dataset(hostile_dataset(tmp_path))
    assert EVIL_NAME in set(ds.units["name_vi"]) and FORMULA in set(ds.units["name_en"])
    results = compute_results(ds, 2023)
    html = str(Report(ds, 2023, "vi", results).render("ranking").data)
    assert EVIL_NAME not in html and "&lt;script&gt;" in html
    run = pipeline.run(ds.root, 2023, formats=(), out_root=tmp_path / "out", progress=False)
    csv = (run / "tables" / "index_units.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in csv and ",=HYPERLINK" not in csv
    write_workbook(results, ds, "title", "en", tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx")["index_units"]
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("'=HYPERLINK") for v in values)
    assert not any(v.startswith("=") for v in values)


def test_papermill_parameters_cannot_inject_code():
    nb = load_notebook_node(str(ROOT / "notebooks" / "report.ipynb"))
    evil = 'x"\nimport os; os.system("echo pwned")\n"'
    injected = parameterize_notebook(nb, {"data_dir": evil, "lang": "vi'; raise SystemExit #"})
    cell = next(c for c in injected.cells if "injected-parameters" in c.metadata.get("tags", []))
    tree = ast.parse(cell.source)
    assert all(isinstance(node, ast.Assign) for node in tree.body)
    values = {n.targets[0].id: ast.literal_eval(n.value) for n in tree.body}
    assert values["data_dir"] == evil and values["lang"] == "vi'; raise SystemExit #"


def test_a_killed_run_leaves_the_previous_output_intact(tmp_path):
    out = tmp_path / "out"
    good = pipeline.run(ROOT / "data" / "par-ministries", 2023, formats=(), out_root=out, progress=False)
    before = {p: p.read_bytes() for p in good.rglob("*") if p.is_file()}
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--data",
                             str(ROOT / "data" / "par-ministries"), "--year", "2023", "--out", str(out),
                             "--lang", "vi", "--format", "html,pdf", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 60
    building = lambda: [p for p in (out / "par-ministries").glob(".2023.runs/*/tables/*.csv")
                        if p.parents[1] != good.resolve()]
    while not building() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert {p: p.read_bytes() for p in good.rglob("*") if p.is_file()} == before
    visible = [p.name for p in (out / "par-ministries").iterdir() if not p.name.startswith(".")]
    assert visible == ["2023"]
