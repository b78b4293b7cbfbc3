"""Synthetic data: seeded generators of runnable datasets (demo-mps, large ballot files with
labelled anomalies, dossier records across the 2025 merger), marked `synthetic: true`.
May import: `analysis.inputs` (the contract they write to), `analysis.stats`.
"""
