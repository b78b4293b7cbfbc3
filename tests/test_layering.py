"""The house keeps its floors: a stage imports only the stages below it, and no import circle.

Every `import analysis…` / `from analysis… import` in every module (at any depth, lazy imports
included) is read with `ast`; the stage of a module is its sub-package (top-level modules are
the commands: cli, pipeline, validate). The allowed imports are those of docs/ARCHITECTURE.md.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "analysis"

# stage -> the stages it may import (besides itself and the base: `analysis`, `analysis.paths`)
ALLOWED = {
    "inputs": set(),
    "stats": set(),
    "audit": {"inputs", "stats"},
    "indices": {"inputs", "stats", "audit"},
    "synth": {"inputs", "stats"},
    "publication": {"inputs", "stats", "audit", "indices"},
    "commands": {"inputs", "stats", "audit", "indices", "synth", "publication"},
}
BASE = {"analysis", "analysis.paths"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 2 or (len(parts) == 2 and (PACKAGE / parts[1]).is_dir()):
        return parts[1]
    return "base" if module in BASE else "commands"


def imports(path: Path) -> set[str]:
    """Every module of `analysis` this file imports (`from analysis.x import y` → analysis.x or
    analysis.x.y when y is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "analysis"}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "analysis":
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                as_path = PACKAGE.parent / Path(*candidate.split("."))
                found.add(candidate if as_path.with_suffix(".py").exists() or as_path.is_dir()
                          else node.module)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
GRAPH = {m: imports(p) & set(MODULES) for m, p in MODULES.items()}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_stage_imports_only_lower_stages(module):
    own = stage(module)
    if own == "base":
        assert not {i for i in GRAPH[module] if i not in BASE}, f"{module} is base: no imports"
        return
    for imported in GRAPH[module]:
        other = stage(imported)
        assert other in ({own, "base"} | ALLOWED[own]), \
            f"{module} ({own}) imports {imported} ({other}): a lower stage imports a higher one"


def test_no_import_circle():
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(GRAPH[module]):
            if state.get(nxt) == 1:
                cycle = trail[trail.index(nxt):] + [nxt] if nxt in trail else [module, nxt]
                pytest.fail("import circle: " + " → ".join(cycle))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])


def test_the_checker_sees_a_violation(tmp_path):
    """The reader of imports is not blind: a statistics module importing the publication is seen."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from analysis.publication import charts\n", encoding="utf-8")
    assert "analysis.publication.charts" in imports(bad)
    assert stage("analysis.publication.charts") == "publication"
    assert "publication" not in ALLOWED["stats"]
