"""Indices: every figure of a run, computed from a loaded dataset.

The composite index (points → score → rank → band), satisfaction from ballots (DuckDB, with a
pandas reference) or counts, the Decision 766 service index from dossier records, the ballot
integrity screen, and `results.compute_results`, the one place that computes all result tables
of a run; `tables` writes and reads them byte-for-byte deterministically.
May import: `analysis.inputs`, `analysis.stats`, `analysis.audit`; scipy.stats inside the
functions that use it (`analysis.stats` says why).
"""
