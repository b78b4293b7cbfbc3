"""Statistics: pure functions, arrays or frames in, numbers out.

Proportions and their intervals, change and dispersion tests, gaps, funnel limits, ranks and
rank intervals. No file I/O, no language, no plotting, so each is checked against an
independent reference (a textbook example, scipy/statsmodels, a formula written out in a test).
May import: the standard library and third-party packages. Nothing of the project.
scipy.stats, scipy.optimize and statsmodels are imported inside the functions that use them:
importing them cost 0.5 s of CPU, on the path of every run, for what most runs never call
(the change tests use scipy.special only: `change`).
"""
