"""The pinned versions in environment.yml agree with requirements.lock, the one lock file;
every package the code imports is declared in pyproject.toml."""
import ast
import re
import runpy
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def pins(lines):
    found = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)==([^\s#]+)\s*", line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_environment_yml_agrees_with_the_lock():
    lock = pins((ROOT / "requirements.lock").read_text().splitlines())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    env_pins = pins(pip)
    assert env_pins, "environment.yml pins nothing"
    assert set(env_pins) <= set(lock), f"not in the lock: {sorted(set(env_pins) - set(lock))}"
    assert {k: v for k, v in env_pins.items() if lock[k] != v} == {}


def test_environment_yml_is_generated_from_the_whole_lock():
    render = runpy.run_path(str(ROOT / "tools" / "environment_yml.py"))["render"]
    expected = render((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert (ROOT / "environment.yml").read_text(encoding="utf-8") == expected, \
        "environment.yml is out of date: run python tools/environment_yml.py"
    env = yaml.safe_load(expected)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pins(pip) == pins((ROOT / "requirements.lock").read_text().splitlines())


def third_party_imports() -> set[str]:
    """Top-level names of every module imported anywhere in src/analysis (lazy imports too)."""
    found = set()
    for path in (ROOT / "src" / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"analysis", "__future__"}


def test_every_import_is_declared_in_pyproject():
    declared = {re.split(r"[<>=\[ ;]", d)[0].lower().replace("_", "-") for d in
                tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]}
    distributions = packages_distributions()
    undeclared = {name: distributions.get(name) for name in third_party_imports()
                  if not {d.lower().replace("_", "-") for d in distributions.get(name, [name])} & declared}
    assert undeclared == {}, f"imported but not in pyproject.toml dependencies: {undeclared}"


def test_lock_pins_every_package_exactly():
    lines = [l for l in (ROOT / "requirements.lock").read_text().splitlines() if l.strip()]
    assert all("==" in l for l in lines)
    assert {"pandas", "papermill", "nbconvert", "weasyprint", "statsmodels"} <= set(pins(lines))


def test_the_package_ships_its_notebooks_templates_and_catalog():
    """`pip install .` copies package data by these globs (checked by hand in a fresh venv: the
    installed par-report publishes HTML and PDF); every notebook the code runs is among them,
    and the package's notebooks are the analysts' copies in notebooks/."""
    from fnmatch import fnmatch

    from analysis import paths
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    package = ROOT / "src" / "analysis"

    def shipped(path: Path) -> bool:
        for name, globs in data.items():
            base = ROOT / "src" / name.replace(".", "/")
            if path.is_relative_to(base):
                relative = path.relative_to(base).as_posix()
                if any(fnmatch(relative, g.replace("**/", "*")) for g in globs):
                    return True
        return False

    for notebook in (paths.REPORT_NOTEBOOK, paths.EXPLAIN_NOTEBOOK, paths.PUBLISH_NOTEBOOK):
        assert shipped(notebook), notebook
        assert notebook.resolve() == (ROOT / "notebooks" / notebook.name).resolve()
    for path in [package / "publication" / "catalog.yaml", *(package / "publication" / "templates").rglob("*.j2"),
                 *(package / "publication" / "assets").iterdir()]:
        assert shipped(path), path


def test_version_and_help_cite_files_that_exist(capsys):
    import pytest

    from analysis import __version__, cli
    with pytest.raises(SystemExit):
        cli.main(["--version"])
    assert capsys.readouterr().out.strip() == f"par-report {__version__}"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out + (cli.__doc__ or "")
    cited = set(re.findall(r"[\w./-]+\.md", text))
    assert cited and all((ROOT / c).is_file() for c in cited), cited


def test_synth_name_names_the_dataset(tmp_path):
    from analysis import cli
    from analysis.inputs.dataset import load_dataset
    assert cli.main(["synth", "dossiers", "--out", str(tmp_path / "d"), "--rows", "2000",
                     "--name", "my-dossiers"]) == 0
    assert load_dataset(tmp_path / "d").name == "my-dossiers"
    assert cli.main(["synth", "dossiers", "--out", str(tmp_path / "e"), "--rows", "2000"]) == 0
    assert load_dataset(tmp_path / "e").name == "demo-dossiers"


def test_the_manifest_names_the_font_subsetter_weasyprint_uses():
    """`manifest.font_subsetter` (looked up with ctypes) is WeasyPrint's own choice, from the
    libraries its ffi loaded (`weasyprint.pdf.fonts.Font.subset`): HarfBuzz-subset from 4.1.0
    on, else fontTools; the version named is the HarfBuzz WeasyPrint loaded (at least it, and
    not at least the next micro version). The two subsetters cut other bytes from one font."""
    from importlib.metadata import version

    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset

    from analysis.audit.manifest import font_subsetter, software
    named = font_subsetter()
    assert software()["font_subsetter"] == named
    if harfbuzz_subset is None or not harfbuzz.hb_version_atleast(4, 1, 0):
        assert named == "fonttools " + version("fonttools")
        return
    kind, number = named.split(" ")
    major, minor, micro = (int(part) for part in number.split("."))
    assert kind == "harfbuzz-subset"
    assert harfbuzz.hb_version_atleast(major, minor, micro)
    assert not harfbuzz.hb_version_atleast(major, minor, micro + 1)


FAST_IMPORT = """
import ctypes.util, json, subprocess, sys
searched = []
real_popen = subprocess.Popen
class Recording(real_popen):
    def __init__(self, args, *rest, **kw):
        searched.append(str(args[0] if isinstance(args, (list, tuple)) else args))
        super().__init__(args, *rest, **kw)
subprocess.Popen = Recording
before = ctypes.util.find_library
{prepare}
from analysis.publication.pdf import import_weasyprint
weasyprint = import_weasyprint()
from weasyprint.text import ffi
print(json.dumps({{"searched": searched, "restored": ctypes.util.find_library is before,
                  "pango": ffi.pango.pango_version(), "subset": ffi.harfbuzz_subset is not None,
                  "html": hasattr(weasyprint, "HTML")}}))
"""


def _fast_import(prepare: str = "") -> dict:
    import json
    import subprocess
    out = subprocess.run([sys.executable, "-c", FAST_IMPORT.format(prepare=prepare)],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.splitlines()[-1])


def _plain_import() -> dict:
    import json
    import subprocess
    code = ("import json, weasyprint; from weasyprint.text import ffi; print(json.dumps({'pango': "
            "ffi.pango.pango_version(), 'subset': ffi.harfbuzz_subset is not None}))")
    return json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                     check=True).stdout.splitlines()[-1])


def test_weasyprint_is_imported_with_the_libraries_a_plain_import_finds_without_searching():
    """`pdf.import_weasyprint` runs no ldconfig, gcc or ld (ctypes' search for library names
    that do not open as written), leaves `ctypes.util.find_library` as it was, and loads the
    libraries a plain `import weasyprint` loads (Pango's version, HarfBuzz-subset or not)."""
    fast, plain = _fast_import(), _plain_import()
    if sys.platform.startswith("linux"):
        assert fast["searched"] == []
    assert fast["restored"] and fast["html"]
    assert (fast["pango"], fast["subset"]) == (plain["pango"], plain["subset"])


def test_weasyprint_is_imported_with_the_search_when_it_fails_without():
    """Should WeasyPrint fail to open a library without ctypes' search (a system whose
    libraries have other names than those WeasyPrint lists), it is imported again with it."""
    fails_once = """
import importlib.abc
class FailOnce(importlib.abc.MetaPathFinder):
    failed = False
    def find_spec(self, name, path, target=None):
        if name == "weasyprint" and not FailOnce.failed:
            FailOnce.failed = True
            raise OSError("cannot load library 'libgobject-2.0-0'")
        return None
sys.meta_path.insert(0, FailOnce())
"""
    fast = _fast_import(fails_once)
    if sys.platform.startswith("linux"):
        assert fast["searched"]   # the second import searched
    assert fast["restored"] and fast["html"]
    assert fast["pango"] == _plain_import()["pango"]
