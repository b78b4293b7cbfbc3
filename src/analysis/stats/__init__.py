"""Statistics: pure functions, arrays or frames in, numbers out.

Proportions and their intervals, change and dispersion tests, gaps, funnel limits, ranks and
rank intervals. No file I/O, no language, no plotting, so each is checked against an
independent reference (a textbook example, scipy/statsmodels, a formula written out in a test).
May import: the standard library and third-party packages. Nothing of the project.
"""
