"""The report notebook runs wherever Jupyter runs: plain papermill on every committed dataset
and on synthetic ones (kernels without ipywidgets), the published copy reruns from its run
folder, and a parameter that cannot work stops it with a message (never an empty report)."""
import json
import os
from pathlib import Path

import papermill
import pytest

from analysis import pipeline
from analysis.publication.parameters import ParameterError, check

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "report.ipynb"


def outputs(path: Path) -> list[str]:
    """Every displayed output of an executed notebook, in order (what the publication shows)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    shown = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            shown.append(out.get("data", {}).get("text/html") and "".join(out["data"]["text/html"]))
    return [s for s in shown if s]


def execute(out: Path, cwd: Path = ROOT, **parameters) -> str:
    papermill.execute_notebook(str(NOTEBOOK), str(out), kernel_name="python3", progress_bar=False,
                               parameters=parameters, cwd=str(cwd))
    return out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A small synthetic ballot file and a small dossier dataset, as `par-report synth` writes."""
    from analysis.synth.ballots import make_ballot_dataset
    from analysis.synth.dossiers import make_demo_dossiers
    root = tmp_path_factory.mktemp("synth")
    make_ballot_dataset(root / "ballots", 20_000, n_units=30, questions=4)
    make_demo_dossiers(root / "dossiers", dossiers_per_year=20_000)
    return root


# (dataset, parameters, a sentence of the English edition)
COMMITTED = [
    ("papi-provinces", {"year": 2016}, "Ranking of provinces"),
    ("par-ministries", {"year": 2023}, "Ranking of units"),
    ("demo-mps", {"year": 2025}, "Satisfaction"),
    ("demo-dossiers", {"period": "2025-10"}, "Decision 766"),
]


@pytest.mark.parametrize("name,parameters,expected", COMMITTED, ids=[c[0] for c in COMMITTED])
def test_plain_papermill_runs_every_committed_dataset(tmp_path, name, parameters, expected):
    text = execute(tmp_path / "out.ipynb", data_dir=f"data/{name}", lang="en", **parameters)
    assert expected in text and '"ename"' not in text


@pytest.mark.parametrize("kind,parameters", [("ballots", {"year": 2025}),
                                             ("dossiers", {"period": "2025-07"})])
def test_plain_papermill_runs_synthetic_datasets(tmp_path, synthetic, kind, parameters):
    text = execute(tmp_path / "out.ipynb", data_dir=str(synthetic / kind), lang="vi", **parameters)
    assert "giả lập" in text and '"ename"' not in text


def test_the_published_notebook_reruns_from_its_run_folder(tmp_path):
    """Its paths are relative to its own folder: moved with the run, it still finds its data
    and tables, and gives the same displayed report."""
    run = pipeline.run(ROOT / "data" / "par-ministries", 2023, ("en",), ("html",), tmp_path / "reports",
                       progress=False)
    published = run / "en" / "report.ipynb"
    parameters = json.loads(published.read_text(encoding="utf-8"))["metadata"]["papermill"]["parameters"]
    assert not any(os.path.isabs(str(v)) for v in parameters.values())
    assert parameters["tables_dir"] == os.path.join("..", "tables")
    rerun = tmp_path / "rerun.ipynb"
    papermill.execute_notebook(str(published), str(rerun), kernel_name="python3", progress_bar=False,
                               cwd=str(run / "en"))
    assert outputs(rerun) == outputs(published)


@pytest.mark.parametrize("parameters,message", [
    ({"tables_dir": "no/such/folder"}, "tables_dir = 'no/such/folder': no rejected.csv"),
    ({"tables_dir": "data/par-ministries"}, "no rejected.csv"),
    ({"lang": "fr"}, "lang = 'fr': unknown edition — use one of vi, en"),
    ({"data_dir": "data/nothing"}, "data_dir = 'data/nothing': no dataset.yaml"),
    ({"period": "2025-13x"}, "not a month"),
])
def test_a_parameter_that_cannot_work_is_named(parameters, message):
    arguments = {"data_dir": "data/par-ministries", "year": 2023, "lang": "en", **parameters}
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        check(**arguments)


def test_tables_of_another_year_are_refused(tmp_path):
    run = pipeline.run(ROOT / "data" / "par-ministries", 2023, ("en",), (), tmp_path, progress=False)
    with pytest.raises(ParameterError, match="holds the tables of 2023, not of 2022"):
        check(ROOT / "data" / "par-ministries", 2022, "en", str(run / "tables"))
    assert check("data/par-ministries", 2023, "en", str(run / "tables"))[2] == (run / "tables").resolve()


def test_the_notebook_stops_on_a_missing_tables_dir_and_a_year_without_data(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path / "a.ipynb", data_dir="data/par-ministries", year=2023, lang="en",
                tables_dir=str(tmp_path / "gone"))
    assert err.value.ename == "ParameterError" and "no rejected.csv" in err.value.evalue
    with pytest.raises(papermill.PapermillExecutionError) as err:
        execute(tmp_path / "b.ipynb", data_dir="data/par-ministries", year=1999, lang="en")
    assert err.value.ename == "InputError" and "no data for 1999" in err.value.evalue


def test_jupyterlab_opens_the_notebook_in_its_folder(tmp_path):
    """JupyterLab starts the kernel in notebooks/: the default data_dir is found from there."""
    text = execute(tmp_path / "out.ipynb", cwd=ROOT / "notebooks", year=2016, lang="en")
    assert "Ranking of provinces" in text   # PAPI's (dataset.yaml unit_words)


def test_the_publish_notebook_publishes_verifies_and_links(tmp_path):
    """publish.ipynb, run as JupyterLab runs it (kernel in notebooks/), publishes, checks the
    publication against its manifest, and links each file relative to the notebook."""
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(str(ROOT / "notebooks" / "publish.ipynb"), str(out), kernel_name="python3",
                               progress_bar=False, cwd=str(ROOT / "notebooks"),
                               parameters={"dataset": "data/par-ministries", "year": 2023,
                                           "languages": "en", "formats": "xlsx", "final": True,
                                           "reports": str(tmp_path / "reports")})
    html = "".join(outputs(out))
    target = tmp_path / "reports" / "par-ministries" / "2023" / "en" / "report.xlsx"
    assert target.is_file()
    href = os.path.relpath(target, ROOT / "notebooks")   # the published path, not the run it links to
    assert f'href="{href}"' in html and ">XLSX</a>" in html
    assert "tables identical on rerun" in out.read_text(encoding="utf-8")


def test_the_publish_notebook_shows_data_problems(tmp_path):
    with pytest.raises(papermill.PapermillExecutionError) as err:
        papermill.execute_notebook(str(ROOT / "notebooks" / "publish.ipynb"), str(tmp_path / "o.ipynb"),
                                   kernel_name="python3", progress_bar=False, cwd=str(ROOT / "notebooks"),
                                   parameters={"dataset": "data/par-ministries", "year": 1999,
                                               "formats": "xlsx", "reports": str(tmp_path)})
    assert err.value.ename == "SystemExit"
    assert "To fix before publishing" in (tmp_path / "o.ipynb").read_text(encoding="utf-8")
