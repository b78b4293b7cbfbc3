"""Audit: the trail a reviewer follows.

The manifest (inputs' SHA-256, parameters, versions, every published file's hash), the
reconciliation of computed against published figures, and `verify`, which checks a run folder
and reruns it (the pipeline's `run` is passed in, so audit stays below the pipeline).
May import: `analysis.inputs`, `analysis.stats`.
"""
