"""Write environment.yml (conda/mamba) from requirements.lock, the one lock file: every pinned
package of the lock, installed by pip inside a conda Python, then the project itself.

    python tools/environment_yml.py      # rewrites environment.yml; tests/test_environment.py
                                         # fails when the two disagree
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEADER = """# Generated from requirements.lock by tools/environment_yml.py: do not edit by hand
# (tests/test_environment.py checks that the two agree). For conda/mamba users:
#   conda env create -f environment.yml && conda activate par-reports
# The README's `make` commands do not need conda.
name: par-reports
channels:
  - conda-forge
dependencies:
  - python={python}
  - pip
  - pip:
"""


def render(lock: str, python: str = "3.11") -> str:
    pins = sorted((line.strip() for line in lock.splitlines()
                   if line.strip() and not line.lstrip().startswith("#")), key=str.lower)
    return HEADER.format(python=python) + "".join(f"      - {p}\n" for p in pins) + "      - -e .\n"


if __name__ == "__main__":
    text = render((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    (ROOT / "environment.yml").write_text(text, encoding="utf-8")
    sys.stdout.write(f"wrote {ROOT / 'environment.yml'}\n")
