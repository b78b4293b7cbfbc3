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
