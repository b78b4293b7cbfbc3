"""Shared by every test module."""
import pytest


@pytest.fixture(autouse=True)
def _close_figures():
    """Each test's matplotlib figures closed after it: a chart a test draws and does not save
    (`charts.save` closes those it writes) would otherwise stay open for the rest of the run."""
    yield
    import sys
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
