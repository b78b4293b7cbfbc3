"""End to end: `par-report run` on a real dataset publishes both editions, atomically and
reproducibly; `verify` reproduces it, refuses changed inputs and reports changed computations."""
import json
import os
import re
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from analysis import cli
from analysis import pipeline
from analysis.audit import manifest
from analysis.indices import tables
from analysis.publication.i18n import load_catalog

ROOT = Path(__file__).resolve().parents[1]
MINISTRIES = ROOT / "data" / "par-ministries"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    folder = pipeline.run(MINISTRIES, 2023, out_root=out, progress=False)
    return folder


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_run_publishes_every_file(published):
    for lang in ("vi", "en"):
        for name in ("report.html", "report.pdf", "report.xlsx", "report.ipynb"):
            assert (published / lang / name).stat().st_size > 1000, (lang, name)
        assert list((published / lang / "figures").glob("*.svg"))
    for table in ("index_units", "index_groups", "reconciliation", "rejected", "gaps"):
        assert (published / "tables" / f"{table}.csv").is_file()
    assert (published / "manifest.json").is_file()
    assert sorted(p.name for p in published.parent.iterdir()) == [".2023.lock", ".2023.runs", "2023"]
    assert [p.name for p in (published.parent / ".2023.runs").iterdir()] == [published.resolve().name]


def test_published_folders_and_files_are_readable_as_the_umask_gives(published):
    """Under umask 022 folders are 0755 and files 0644, so a web server can read the PDFs."""
    mask = os.umask(0)
    os.umask(mask)
    folders = [published.resolve(), published.resolve().parent, published.parent]
    folders += [p for p in published.resolve().rglob("*") if p.is_dir()]
    files = [p for p in published.resolve().rglob("*") if p.is_file()]
    assert len(files) > 20
    for path, mode in [(f, 0o777 & ~mask) for f in folders] + [(f, 0o666 & ~mask) for f in files]:
        assert stat.S_IMODE(path.stat().st_mode) == mode, (path, oct(path.stat().st_mode))


def test_pdf_text_has_diacritics_and_no_catalog_keys(published):
    keys = set(load_catalog())
    vi, en = pdf_text(published / "vi" / "report.pdf"), pdf_text(published / "en" / "report.pdf")
    # the mean in points of the index (the one-group table that gave it in percent is gone)
    assert "Bộ Tư pháp" in vi and "Xếp hạng các đơn vị" in vi and "84,38 điểm" in vi
    assert "Ministry of Justice" in en and "84.38 points" in en
    for text in (vi, en):
        leaked = {k for k in keys if k in text}
        assert not leaked, leaked
        assert not re.search(r"\b(section|col|finding|chart|methods)\.[a-z_]+", text)


def test_pdf_fonts_are_embedded(published):
    reader = PdfReader(published / "vi" / "report.pdf")
    fonts = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            descriptor = descriptor.get_object()
            fonts[font["/BaseFont"]] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    assert fonts and all(fonts.values()), fonts


def test_html_has_no_code_and_links_the_other_edition(published):
    html = (published / "vi" / "report.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in html
    assert 'href="../en/report.html"' in html
    assert "from analysis" not in html and "report.render" not in html
    assert "In&nbsp;[" not in html and "jp-InputPrompt" not in html
    assert "cdn" not in html.lower() and "<script" not in html


def test_rerun_gives_byte_identical_tables(published, tmp_path):
    again = pipeline.run(MINISTRIES, 2023, formats=(), out_root=tmp_path, progress=False)
    for table in sorted((published / "tables").glob("*.csv")):
        assert (again / "tables" / table.name).read_bytes() == table.read_bytes(), table.name


def test_verify_reproduces_then_refuses_a_changed_input(tmp_path, capsys):
    data = tmp_path / "par-ministries"
    shutil.copytree(MINISTRIES, data)
    run = pipeline.run(data, 2023, formats=(), out_root=tmp_path / "out", progress=False)
    assert cli.main(["verify", str(run)]) == 0
    assert "reproduced" in capsys.readouterr().out
    scores = data / "index_scores.csv"
    scores.write_bytes(scores.read_bytes().replace(b"61.86", b"61.87", 1))
    assert cli.main(["verify", str(run)]) == 1
    out = capsys.readouterr().out
    assert "refused" in out and "index_scores.csv" in out


def test_the_manifest_names_no_path_of_the_machine_and_verify_data_finds_a_moved_dataset(tmp_path, capsys):
    data = tmp_path / "a" / "par-ministries"
    shutil.copytree(MINISTRIES, data)
    run = pipeline.run(data, 2023, formats=(), out_root=tmp_path / "out", progress=False)
    recorded = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert recorded["dataset"]["folder"] == recorded["parameters"]["data"] == \
        "../../../../a/par-ministries"              # from out/par-ministries/.2023.runs/<run>
    assert str(tmp_path) not in (run / "manifest.json").read_text(encoding="utf-8")
    data.rename(tmp_path / "elsewhere")
    assert cli.main(["verify", str(run)]) == 1
    out = capsys.readouterr().out
    assert "../../../../a/par-ministries" in out and "par-report verify --data DIR" in out
    assert cli.main(["verify", str(run), "--data", str(tmp_path / "elsewhere")]) == 0


def test_the_cover_date_is_the_runs_and_verify_reruns_it_with_that_date(tmp_path, monkeypatch, capsys):
    """A run dated 2 January 2026 (SOURCE_DATE_EPOCH) still verifies on a later day: the manifest
    records the cover's date and verify reruns with it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")          # 2026-01-02 00:00 UTC
    run = pipeline.run(MINISTRIES, 2023, langs=("vi",), formats=("html",), out_root=tmp_path,
                       progress=False)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert json.loads((run / "manifest.json").read_text(encoding="utf-8"))["report_date"] == "2026-01-02"
    assert "02/01/2026" in (run / "vi" / "report.html").read_text(encoding="utf-8")
    assert cli.main(["verify", str(run)]) == 0, capsys.readouterr().out
    assert "SOURCE_DATE_EPOCH" not in os.environ                  # restored after the rerun


def published_copy(published: Path, tmp_path: Path) -> Path:
    """A copy of the published run folder, to edit (its manifest names the same inputs)."""
    copy = tmp_path / "copy"
    shutil.copytree(published.resolve(), copy)
    return copy


@pytest.mark.parametrize("edit, named", [
    (lambda run: (run / "tables" / "index_units.csv").write_bytes(
        (run / "tables" / "index_units.csv").read_bytes().replace(b"6", b"7", 1)),
     "tables/index_units.csv: changed"),
    (lambda run: (run / "en" / "report.html").write_text((run / "en" / "report.html").read_text(
        encoding="utf-8").replace("</body>", "<script>alert(1)</script></body>"), encoding="utf-8"),
     "en/report.html: changed"),
    (lambda run: (run / "vi" / "report.pdf").unlink(), "vi/report.pdf: missing"),
    (lambda run: (run / "vi" / "figures" / "extra.svg").write_text("<svg/>"),
     "vi/figures/extra.svg: extra"),
])
def test_verify_names_each_edited_published_file(published, tmp_path, capsys, edit, named):
    run = published_copy(published, tmp_path)
    edit(run)
    assert cli.main(["verify", str(run)]) == 1
    out = capsys.readouterr().out
    assert named in out and "refused" in out and "Traceback" not in out


def test_verify_redoes_the_run_and_finds_a_file_forged_with_its_manifest(published, tmp_path, capsys):
    """A forger who edits a page and writes its new SHA-256 into the manifest passes the file
    check; the rerun of the whole publication still finds the page (and passes the untouched run)."""
    run = published_copy(published, tmp_path)
    assert cli.main(["verify", str(run), "--data", str(MINISTRIES)]) == 0
    assert "the 2" in capsys.readouterr().out   # "... the 2N other files as the rerun made them"
    page = run / "vi" / "report.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<p>forged</p></main>"),
                    encoding="utf-8")
    recorded = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    recorded["outputs"]["vi/report.html"] = manifest.sha256(page)
    (run / "manifest.json").write_text(json.dumps(recorded), encoding="utf-8")
    assert cli.main(["verify", str(run), "--tables-only", "--data", str(MINISTRIES)]) == 0
    capsys.readouterr()                                             # the quick check cannot see it
    assert cli.main(["verify", str(run), "--data", str(MINISTRIES)]) == 1
    out = capsys.readouterr().out
    assert "vi/report.html: differs from the rerun's" in out and "Traceback" not in out


@pytest.mark.parametrize("manifest_text, words", [
    ('{"outputs": {', "not readable JSON"),
    ("[]", "not a JSON object"),
    ('{"outputs": {"tables/a.csv": "abc"}}', "'outputs' must map"),
    (None, "'parameters' must give the year"),
])
def test_a_broken_manifest_is_a_clear_refusal(published, tmp_path, capsys, manifest_text, words):
    run = published_copy(published, tmp_path)
    if manifest_text is None:                       # valid JSON, but the year is text
        recorded = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
        recorded["parameters"]["year"] = "2023"
        manifest_text = json.dumps(recorded)
    (run / "manifest.json").write_text(manifest_text, encoding="utf-8")
    assert cli.main(["verify", str(run)]) == 1
    out = capsys.readouterr().out
    assert "manifest.json is broken" in out and words in out and "Traceback" not in out


def test_verify_reports_a_changed_computation(tmp_path, monkeypatch, capsys):
    run = pipeline.run(MINISTRIES, 2023, formats=(), out_root=tmp_path, progress=False)
    from analysis.indices import composite as index
    monkeypatch.setattr(index, "unit_scores", _shifted(index.unit_scores))
    assert cli.main(["verify", str(run)]) == 1
    assert "index_units.csv" in capsys.readouterr().out


def _shifted(unit_scores):
    def shifted(scores, year):
        out = unit_scores(scores, year)
        out["score"] = out["score"] + 0.001
        return out
    return shifted


def test_failed_run_leaves_previous_output_untouched(tmp_path, monkeypatch):
    good = pipeline.run(MINISTRIES, 2023, formats=(), out_root=tmp_path, progress=False)
    before = {p: p.read_bytes() for p in good.rglob("*") if p.is_file()}

    def boom(*_args, **_kwargs):
        raise RuntimeError("interrupted")
    monkeypatch.setattr(tables, "write_tables", boom)
    with pytest.raises(RuntimeError):
        pipeline.run(MINISTRIES, 2023, formats=(), out_root=tmp_path, progress=False)
    assert {p: p.read_bytes() for p in good.rglob("*") if p.is_file()} == before
    assert [p.name for p in good.parent.iterdir() if not p.name.startswith(".")] == ["2023"]
    assert [p.name for p in (good.parent / ".2023.runs").iterdir()] == [good.resolve().name]


def test_unknown_year_is_a_clear_error(tmp_path, capsys):
    assert cli.main(["run", "--data", str(MINISTRIES), "--year", "1999", "--out", str(tmp_path),
                     "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no data for 1999" in err and "2023" in err and "Traceback" not in err
    assert not (tmp_path / "par-ministries" / "1999").exists()


def test_usage_error_exits_2():
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--year", "2023"])   # no --data
    assert exit_.value.code == 2


def test_without_year_the_default_year_is_published(tmp_path, capsys):
    """papi-provinces says default_year 2024: PAPI 2024 (CECODES et al., PAPI 2024 report) is led
    by Quảng Ninh with 47.82 points, rank 1 of the 61 provinces assessed."""
    import pandas as pd
    code = cli.main(["run", "--data", str(ROOT / "data" / "papi-provinces"), "--format", "",
                     "--out", str(tmp_path), "--quiet"])
    assert code == 0
    u = pd.read_csv(tmp_path / "papi-provinces" / "2024" / "tables" / "index_units.csv",
                    dtype={"unit_id": str}).set_index("unit_id")
    assert round(u.at["22", "points"], 2) == 47.82 and u.at["22", "rank"] == 1
    assert u["rank"].notna().sum() == 61 and u["rank"].max() <= 61


def test_the_default_period_and_a_missing_default(tmp_path, capsys):
    from analysis.inputs.dataset import default_when, load_config
    assert default_when(load_config(ROOT / "data" / "demo-dossiers")) == (2025, "2025-12")   # default_period 2025-12
    bare = tmp_path / "bare"
    shutil.copytree(MINISTRIES, bare)
    yaml_file = bare / "dataset.yaml"
    yaml_file.write_text(yaml_file.read_text(encoding="utf-8").replace("default_year: 2023\n", ""),
                         encoding="utf-8")
    assert cli.main(["run", "--data", str(bare), "--out", str(tmp_path), "--quiet"]) == 1
    assert "no --year given and the dataset has no default_year" in capsys.readouterr().err
    assert not (tmp_path / "par-ministries").exists()


def test_html_renders_in_headless_chromium(published, tmp_path):
    """The HTML edition loads in a real browser: a screenshot is taken and is not blank."""
    import subprocess

    from PIL import Image
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by `make test` (see the README)"
    shot = tmp_path / "vi.png"
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
                    f"--screenshot={shot}", "--window-size=1200,1600",
                    (published / "vi" / "report.html").as_uri()],
                   check=True, capture_output=True, timeout=120)
    image = Image.open(shot).convert("L")
    assert image.size == (1200, 1600)
    low, high = image.getextrema()
    assert high - low > 100, "the screenshot is blank"


def test_failing_notebook_is_reported_and_kept_and_publishes_nothing(tmp_path, monkeypatch, capsys):
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from analysis.publication import publish
    broken = new_notebook(cells=[
        new_code_cell('data_dir = ""\nyear = 0\nlang = "vi"\ntables_dir = ""\nout_dir = ""',
                      metadata={"tags": ["parameters"]}),
        new_code_cell('raise ValueError("planted failure")')],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    path = tmp_path / "broken.ipynb"
    nbformat.write(broken, path)
    good = pipeline.run(MINISTRIES, 2023, formats=(), out_root=tmp_path, progress=False)
    before = sorted(p.name for p in good.rglob("*"))
    monkeypatch.setattr(publish, "REPORT_NOTEBOOK", path)
    code = cli.main(["run", "--data", str(MINISTRIES), "--year", "2023", "--out", str(tmp_path),
                     "--format", "html", "--lang", "vi", "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert "ValueError: planted failure" in err and "Traceback" not in err
    kept = tmp_path / "par-ministries" / "failed" / "2023-vi.ipynb"
    assert kept.is_file() and "planted failure" in kept.read_text()
    assert sorted(p.name for p in good.rglob("*")) == before


def test_archival_pdfa_edition_on_request(tmp_path):
    run = pipeline.run(MINISTRIES, 2023, langs=("en",), formats=("pdf",), out_root=tmp_path,
                       progress=False, archival=True)
    pdfa = run / "en" / "report-pdfa.pdf"
    reader = PdfReader(pdfa)
    assert reader.trailer["/Root"].get("/OutputIntents") is not None  # PDF/A needs an output intent
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"pdfaid:part" in xmp                                       # and declares its part in XMP
    assert "Ministry of Justice" in pdf_text(pdfa)


def test_plain_papermill_runs_the_report_notebook(tmp_path):
    """Analysts can run the notebook with plain papermill (relative paths from the repo root)."""
    import papermill
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "report.ipynb"), str(out), kernel_name="python3",
                               parameters={"year": 2015, "lang": "en"}, progress_bar=False)
    text = out.read_text(encoding="utf-8")
    assert "Ranking of provinces" in text and "In 2015 the average PAPI" in text


DOSSIERS = ROOT / "data" / "demo-dossiers"


def test_monthly_run_of_dossier_records_and_its_verify(tmp_path, capsys):
    assert cli.main(["run", "--data", str(DOSSIERS), "--period", "2025-07", "--format", "",
                     "--out", str(tmp_path), "--quiet"]) == 0
    run = tmp_path / "demo-dossiers" / "2025-07"
    table = (run / "tables" / "service_index.csv").read_text(encoding="utf-8")
    assert "recomputed_from_records" in table and "n25_an_giang" in table
    assert cli.main(["verify", str(run)]) == 0
    assert "reproduced" in capsys.readouterr().out


def test_period_errors(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["run", "--data", str(DOSSIERS), "--period", "2025-13"])
    assert exit_.value.code == 2
    with pytest.raises(SystemExit) as exit_:   # a year and a period: one or the other
        cli.main(["run", "--data", str(DOSSIERS), "--period", "2025-07", "--year", "2025"])
    assert exit_.value.code == 2
    assert cli.main(["run", "--data", str(DOSSIERS), "--period", "2031-01", "--format", "",
                     "--out", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no dossier received in 2031-01" in err and "2025-12" in err
    assert not (tmp_path / "demo-dossiers" / "2031-01").exists()


def test_shutting_down_the_report_kernel_sends_no_interrupt(monkeypatch):
    """jupyter_client interrupts a kernel before shutting it down, which ipykernel logs as
    "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel" after a successful run; the
    report's kernel manager skips that interrupt, and only that one."""
    import signal

    from analysis.publication.publish import LocalKernelManager
    sent = []
    km = LocalKernelManager(kernel_name="python3")
    original = km._async_signal_kernel

    async def spy(signum):
        sent.append(signum)
        await original(signum)
    monkeypatch.setattr(km, "_async_signal_kernel", spy)
    km.start_kernel()
    try:
        km.interrupt_kernel()
        assert sent == [signal.SIGINT]          # an interrupt asked for is still sent
    finally:
        km.shutdown_kernel()
    assert sent == [signal.SIGINT]              # the shutdown added none


def test_a_successful_run_prints_no_error(tmp_path):
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "analysis", "run", "--data", str(MINISTRIES),
                           "--year", "2023", "--format", "html", "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"published {tmp_path / 'par-ministries' / '2023'}\n"
    assert done.stderr == ""


def test_rendering_a_pdf_leaves_the_report_date_alone(tmp_path, monkeypatch):
    """Rendering a PDF once set SOURCE_DATE_EPOCH to 1 January 2000 for the rest of the process
    (WeasyPrint never reads it), so every later cover in that process was dated 01/01/2000."""
    from datetime import datetime, timezone

    from analysis.publication import pdf
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    pdf.write_pdf("<p>x</p>", tmp_path / "x.pdf")
    assert "SOURCE_DATE_EPOCH" not in os.environ
    assert manifest.report_date() == datetime.now(timezone.utc).date()


def test_an_interrupted_run_ends_though_its_kernels_never_start(tmp_path, monkeypatch):
    """Ctrl-C landing inside an import can leave that module's import lock held (CPython 3.11);
    the kernels' start, importing the same module in its thread, then never ends. A run once
    hung so, waiting for it: it now waits UNWIND_WAIT, and stops the kernels if they start later."""
    release, stopped = threading.Event(), []
    kms = [object()]

    def stuck_start(begun):
        release.wait(60)
        return kms

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    from analysis.publication import kernel_parent, kernels
    monkeypatch.setattr(kernel_parent, "begin", lambda n, pdf=False: kernel_parent.Begun([]))
    monkeypatch.setattr(kernels, "kernels_ready", stuck_start)
    monkeypatch.setattr(kernels, "stop_kernels", stopped.append)
    monkeypatch.setattr(pipeline, "UNWIND_WAIT", 0.3)
    monkeypatch.setattr("analysis.inputs.dataset.load_dataset", interrupted)
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        pipeline.run(MINISTRIES, 2023, out_root=tmp_path, progress=False)
    assert time.monotonic() - start < 5
    assert stopped == []          # not started yet
    release.set()                 # the kernels start after all: they are stopped then
    deadline = time.monotonic() + 10
    while not stopped and time.monotonic() < deadline:
        time.sleep(0.01)
    assert stopped == [kms]
    assert not (tmp_path / "par-ministries" / "2023").exists()
