"""Hostile content: names from data cannot inject HTML or spreadsheet formulas, and papermill
parameters with quotes or newlines cannot change the executed code; an interrupted run leaves
the previous output intact; every user mistake in a corpus of broken inputs and output folders
is refused with a clear message, never a traceback."""
import ast
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from papermill.iorw import load_notebook_node
from papermill.parameterize import parameterize_notebook

from analysis import cli, pipeline
from analysis.inputs.dataset import load_dataset
from analysis.inputs.service_mapping import COUNTS
from analysis.publication.report import Report
from analysis.indices.results import compute_results
from analysis.publication.xlsx import sheet_name, write_workbook

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
    sheet = load_workbook(tmp_path / "t.xlsx")[sheet_name("index_units", "en")]
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


# --- the corpus of user mistakes: every one exit 1 (2 for usage) with a clear message ----------

CORPUS = ROOT / "tests" / "corpus"


def _edit(name: str, old: str, new: str):
    def edit(folder: Path) -> None:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edit


def _yaml(line: str):
    def edit(folder: Path) -> None:
        with open(folder / "dataset.yaml", "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    return edit


def _workbook(content: bytes):
    def edit(folder: Path) -> None:
        (folder / "index_scores.csv").unlink()
        (folder / "index_scores.xlsx").write_bytes(content)
    return edit


def _parquet(name: str, damage: str):
    """A valid Parquet file of 5,000 ballots, then its footer or a data page overwritten."""
    def edit(folder: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq
        n = 5000
        table = pa.table({"year": [2023] * n, "unit_id": ["HN", "HP"] * (n // 2),
                          "ballot_id": [str(i) for i in range(n)], "channel": ["paper"] * n,
                          "submitted_at": [""] * n, "q_access": [4, 5, 3, 2, 1] * (n // 5)})
        path = folder / name
        pq.write_table(table, path, compression="none")
        data = bytearray(path.read_bytes())
        if damage == "footer":
            data[-12:-4] = b"\xff" * 8          # the footer length and the end of the metadata
        else:
            middle = len(data) // 3
            data[middle:middle + 2000] = b"\x00\xff" * 1000
        path.write_bytes(bytes(data))
    return edit


def _encrypted_workbook() -> bytes:
    """What Excel writes for a workbook with a password: an OLE compound file, not a zip."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"EncryptedPackage" * 32


BROKEN = {  # case: (edit of the valid dataset, words the message must hold)
    "xlsx_corrupt": (_workbook(b"PK\x03\x04 this is not a workbook"), "index_scores.xlsx: the workbook cannot be read"),
    "xlsx_password": (_workbook(_encrypted_workbook()), "protected with a password"),
    "parquet_corrupt_footer": (_parquet("ballots.parquet", "footer"),
                               "ballots.parquet: the file cannot be read"),
    "parquet_corrupt_page": (_parquet("ballots.parquet", "page"),
                             "ballots.parquet: the file cannot be read"),
    "dossiers_parquet_corrupt_footer": (_parquet("dossiers.parquet", "footer"),
                                        "dossiers.parquet: the file cannot be read"),
    "nul_in_name": (_edit("units.csv", "Ha Noi", "Ha\x00Noi"), "U+0000"),
    "rtl_override_in_name": (_edit("units.csv", "Hải Phòng", "Hải\u202ePhòng"), "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    "control_in_yaml_title": (_edit("dataset.yaml", "Test dataset", "Test\x07dataset"),
                              "unacceptable character #x0007"),
    "rtl_override_in_yaml_title": (_edit("dataset.yaml", "Test dataset", "Test\u202edataset"),
                                   "column 'title_en': the text holds the invisible character U+202E"),
    "counts_1e308": (_edit("satisfaction.csv", "2023,HN,100,90", "2023,HN,1e308,90"), "at most 1e+15"),
    "points_infinite": (_edit("index_scores.csv", "2023,HN,a,50.5,60", "2023,HN,a,inf,60"), "found 'inf'"),
    "year_1e308": (_edit("satisfaction.csv", "2023,HP,50,45", "1e308,HP,50,45"), "found '1e308'"),
    "satisfied_pct_150": (lambda f: (f / "satisfaction.csv").write_text(
        "year,unit_id,n_respondents,n_satisfied,satisfied_pct\n2023,HN,,,150\n2023,HP,50,45,\n",
        encoding="utf-8"), "at most 100"),
    "bootstrap_1e12": (_yaml("bootstrap: 1000000000000"), "bootstrap"),
    "bootstrap_text": (_yaml("bootstrap: 1e12"), "found '1e12'"),
    "seed_negative": (_yaml("seed: -1"), "seed"),
    "seed_text": (_yaml("seed: abc"), "found 'abc'"),
    "satisfied_answers_yes": (_yaml("satisfied_answers: yes"), "satisfied_answers"),
    "satisfied_answers_outside_scale": (_yaml("satisfied_answers: [5, 6]"), "1–5 scale"),
    "alpha_nan": (_yaml("alpha: .nan"), "alpha"),
    "leader_share_inf": (_yaml("leader_share: .inf"), "leader_share"),
    "synthetic_maybe": (_yaml("synthetic: maybe"), "true or false"),
    "max_points_1e308": (_edit("dataset.yaml", "max_points: 60", "max_points: 1.0e+308"), "max_points"),
    "dossier_counts_1e308": (lambda f: (f / "dossier_counts.csv").write_text(
        "unit_id,period," + ",".join(COUNTS) + "\nHN,2023-07," + ",".join(["1e308"] * len(COUNTS))
        + "\n", encoding="utf-8"), "dossier_counts.csv, row 2, column 'n_received': expected at most"),
    "component_code_a_number": (_edit("dataset.yaml", "code: b", "code: 7"), "must be text"),
    "component_code_twice": (_edit("dataset.yaml", "code: b", "code: a"), "the code 'a' is given twice"),
    "band_label_a_number": (_edit("dataset.yaml", "label_en: Good", "label_en: 5"), "must be text"),
    "service_index_a_number": (_yaml("service_index: 5"), "service_index"),
    "service_index_group_text": (_yaml("service_index: {rule: linear, indicators: {}, groups: [x]}"),
                                 "service_index.groups[0]"),
    "collection_a_list": (_yaml("survey:\n  collection: [1, 2]"), "survey.collection"),
    "index_name_a_list": (_yaml("index_name_en: [x]"), "index_name_en"),
    "zero_width_in_unit_id": (_edit("units.csv", "HN,", "H\u200bN,"), "U+200B (ZERO WIDTH SPACE)"),
    "bom_inside_unit_id": (_edit("units.csv", "HN,", "\ufeffHN,"), "U+FEFF"),
    "empty_units": (lambda f: (f / "units.csv").write_text("", encoding="utf-8"), "the file is empty"),
    "units_xlsx_empty": (lambda f: ((f / "units.csv").unlink(), (f / "units.xlsx").write_bytes(b"")),
                         "units.xlsx: the workbook cannot be read"),
    "yaml_binary": (lambda f: (f / "dataset.yaml").write_bytes(b"\xff\xfe\x00garbage"), "dataset.yaml"),
}


def _no_traceback(argv: list[str], capsys) -> tuple[int, str]:
    """Run the CLI as a user would; an exception escaping it is the traceback a user would see."""
    try:
        code = cli.main(argv)
    except SystemExit as exit_:
        code = exit_.code
    except BaseException:
        import traceback
        raise AssertionError(f"{argv}: a traceback\n{traceback.format_exc()}") from None
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, out + err
    return code, out + err


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_each_user_mistake_is_refused_clearly_by_validate_and_run(case, tmp_path, capsys):
    edit, words = BROKEN[case]
    folder = tmp_path / "data"
    shutil.copytree(CORPUS / "valid", folder)
    edit(folder)
    for argv in (["validate", "--data", str(folder)],
                 ["run", "--data", str(folder), "--year", "2023", "--format", "", "--quiet",
                  "--out", str(tmp_path / "out")]):
        code, printed = _no_traceback(argv, capsys)
        assert code == 1, (argv[0], printed)
        assert words in printed, (argv[0], printed)
    assert not (tmp_path / "out" / "corpus" / "2023").exists()


@pytest.mark.parametrize("case", sorted(p.name for p in CORPUS.iterdir() if p.is_dir()))
def test_the_input_corpus_gives_no_traceback(case, tmp_path, capsys):
    for argv in (["validate", "--data", str(CORPUS / case)],
                 ["run", "--data", str(CORPUS / case), "--year", "2023", "--format", "", "--quiet",
                  "--out", str(tmp_path)]):
        code, printed = _no_traceback(argv, capsys)
        assert code in (0, 1), printed


def test_output_folders_and_run_folders_that_cannot_be_used(tmp_path, capsys):
    data = str(CORPUS / "valid")
    run = ["run", "--data", data, "--year", "2023", "--format", "", "--quiet", "--out"]
    (tmp_path / "file").write_text("x")
    assert _no_traceback([*run, str(tmp_path / "file")], capsys)[0] == 1
    assert _no_traceback([*run, str(tmp_path / "file" / "below")], capsys)[0] == 1
    code, printed = _no_traceback([*run, "out\x00put"], capsys)
    assert code == 2 and "NUL" in printed
    for target in (tmp_path / "nothing", tmp_path / "file", tmp_path):
        code, printed = _no_traceback(["verify", str(target)], capsys)
        assert code == 1 and "no manifest.json" in printed
    code, printed = _no_traceback(["validate", "--data", str(tmp_path / "file")], capsys)
    assert code == 1 and "no such folder" in printed
    code, printed = _no_traceback(["synth", "demo-mps", "--out", str(tmp_path / "file" / "x")],
                                  capsys)
    assert code == 1 and f"cannot write {tmp_path / 'file'}" in printed


def test_record_values_with_invisible_characters_are_shown_inert(tmp_path):
    """Ballots are not refused for a control character or a right-to-left override in a channel
    or a unit id (those ballots are counted or rejected by the ballot rules); where such a value
    is shown, in the workbook or the report, each of those characters becomes U+FFFD."""
    ds = load_dataset(CORPUS / "valid")
    results = {"rejected": pd.DataFrame({"unit_id": ["H\x00N", "H\u202eP"],
                                         "reason": ["unknown_unit"] * 2})}
    write_workbook(results, ds, "title", "en", tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx")[sheet_name("rejected", "en")]
    cells = [c.value for row in sheet.iter_rows() for c in row]
    assert "H\ufffdN" in cells and "H\ufffdP" in cells
    report = Report(ds, 2023, "en", {})
    assert report.channel("pa\x02per") == "pa\ufffdper"
    assert report.channel("paper") == "Paper"              # catalog.yaml
    assert report.channel("") == "–"
