from analysis.cli import entry

entry()
