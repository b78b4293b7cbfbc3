"""The rows of tests.csv as the PDF and the workbook show them, so the two agree.

Two kinds of rows: tests (a p-value: paired t, Wilcoxon signed-rank, Pitman–Morgan,
beta-convergence) and measures of spread between units (standard deviation, interquartile range,
coefficient of variation: descriptive, no p-value). Levels and changes of the score are shown on
the index's own scale where it has one (PAPI points: percent × max ÷ 100), else in percentage
points; test statistics, the SD ratio, the slope and the coefficient of variation have no unit.
A value in points or percentage points is written with POINT_DECIMALS decimals, the precision
the index itself is published with (86,72%; down 0,93 points); a value without unit with
DECIMALS; the same in the table, the workbook and any sentence quoting it (`decimals`).
"""
from __future__ import annotations

import pandas as pd

TESTS = ("paired_t", "wilcoxon_signed_rank", "pitman_morgan", "beta_convergence")
SPREAD = ("dispersion_sd", "dispersion_iqr", "dispersion_cv")
DECIMALS = 3        # a statistic without unit: t, the SD ratio, the slope, the CV
POINT_DECIMALS = 2  # a level or change in points or percentage points
# (statistic, effect) in points of the score: SD and IQR (their values and changes), the mean
# and median change (effects of the t and Wilcoxon tests; the t test's interval too)
IN_POINTS = {"dispersion_sd": (True, True), "dispersion_iqr": (True, True),
             "paired_t": (False, True), "wilcoxon_signed_rank": (False, True)}


def in_points(tests: pd.DataFrame, factor: float) -> pd.DataFrame:
    """`tests` with the index's levels and changes (metric `index` only) multiplied by `factor`,
    points of the index's own scale per percent (PAPI 8–80: 0.8); 1 leaves them in percent."""
    out = tests.copy()
    index = out["metric"] == "index"
    for column in ("statistic", "effect", "ci_low", "ci_high"):
        scaled = index & out["test"].map(lambda test: _in_points(test, column))
        out[column] = out[column].where(~scaled, out[column] * factor)
    return out


def decimals(test: str, column: str) -> int:
    """The decimals of `column` (statistic, effect, ci_low or ci_high) in a row of `test`."""
    return POINT_DECIMALS if _in_points(test, column) else DECIMALS


def _in_points(test: str, column: str) -> bool:
    """Whether `column` of a row of `test` is a level or change of the score (`IN_POINTS`)."""
    return IN_POINTS.get(test, (False, False))[0 if column == "statistic" else 1]


def kind(test: str) -> str:
    """"test" or "spread" (a measure of spread, not a test)."""
    return "spread" if test in SPREAD else "test"


def ordered(tests: pd.DataFrame) -> pd.DataFrame:
    """Per metric (in the table's order), the tests in reading order, then the measures of spread."""
    rank = {name: i for i, name in enumerate(TESTS + SPREAD)}
    metrics = {m: i for i, m in enumerate(dict.fromkeys(tests["metric"]))}
    key = tests["metric"].map(metrics) * (len(rank) + 1) + tests["test"].map(rank).fillna(len(rank))
    return tests.iloc[key.argsort(kind="stable")]
