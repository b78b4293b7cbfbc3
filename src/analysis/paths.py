"""Every path the project uses, derived from one place: the package (and, in a checkout, the
repository root around it)."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[1]   # the repository root in a checkout (meaningless once installed)
# The notebooks ship inside the package (`pip install .`); in a checkout these are links to the
# analysts' copies in notebooks/, which are the files to edit.
NOTEBOOKS = PACKAGE / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS / "report.ipynb"
EXPLAIN_NOTEBOOK = NOTEBOOKS / "explain.ipynb"
PUBLISH_NOTEBOOK = NOTEBOOKS / "publish.ipynb"
DATA = ROOT / "data"
REPORTS = ROOT / "reports"
TEMPLATES = PACKAGE / "publication" / "templates"
ASSETS = PACKAGE / "publication" / "assets"


def portable(path: Path | str) -> str:
    """`path` as a published file records it: relative to the repository root when inside it
    ("data/papi-provinces"), so no published file names a folder of the machine that built it;
    absolute otherwise (a dataset kept elsewhere)."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def located(recorded: str) -> Path:
    """The folder a `portable` path names (relative: under the repository root)."""
    path = Path(recorded)
    return path if path.is_absolute() else ROOT / path
