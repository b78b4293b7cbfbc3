"""Inputs: a dataset folder read, checked and typed.

Owns `dataset.yaml` and every input file's contract: table readers (CSV, XLSX), record sources
(CSV/Parquet files and folders as DuckDB relations with row numbers), the Decision 766 mapping,
and the `InputError`/`Problem` every user mistake is reported with.
May import: the standard library, third-party packages and `analysis.paths`. Nothing else.
"""
