"""Every path the project uses, derived from one place: the repository root."""
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
ROOT = PACKAGE.parents[1]
NOTEBOOKS = ROOT / "notebooks"
REPORT_NOTEBOOK = NOTEBOOKS / "report.ipynb"
DATA = ROOT / "data"
REPORTS = ROOT / "reports"
TEMPLATES = PACKAGE / "publication" / "templates"
ASSETS = PACKAGE / "publication" / "assets"
