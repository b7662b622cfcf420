"""One package per job, read from the source: the ML library and CLI (ml), the generator
(loyalty_datagen), the benchmark harness (loyalty_bench) and dbt's Python plugins (loyalty_dbt)
import each other only downwards, and no module imports itself back through others.

Every import counts, the lazy ones inside functions included: a cycle or an upward import that
only runs in one command is still one."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Who may import whom: loyalty_bench sits on top, loyalty_dbt at the bottom.
ALLOWED = {
    "loyalty_dbt": set(),
    "loyalty_datagen": {"loyalty_dbt"},
    "ml": {"loyalty_datagen", "loyalty_dbt"},
    "loyalty_bench": {"ml", "loyalty_datagen", "loyalty_dbt"},
}


def _module_files() -> dict[str, Path]:
    modules = {}
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = _module_files()


def _own_module(name: str) -> str | None:
    """The project module an import loads: `ml.warehouse.Relation` is ml.warehouse."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    """The project modules `module` imports, at module level or inside functions. An import
    also runs its parent packages' __init__, which is not counted: a package re-exporting its
    submodules is not a cycle; a submodule importing from its own package's __init__ is."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {own for name in names if (own := _own_module(name)) and own != module}
    return found


GRAPH = {module: _imports(module) for module in MODULES}


def test_the_walk_sees_the_imports_it_checks():
    # a broken walk would pass both tests below vacuously
    assert {"ml", "loyalty_datagen", "loyalty_bench", "loyalty_dbt.pii_key"} <= set(MODULES)
    assert "loyalty_datagen.cli" in GRAPH["ml.cli"]  # lazy, inside a method
    assert "ml.warehouse.bigquery" in GRAPH["ml.warehouse"]  # lazy, inside open_warehouse
    assert {"loyalty_datagen", "loyalty_datagen.lake", "ml.config"} <= GRAPH["loyalty_bench.scale"]


def test_no_module_imports_itself_back_through_others():
    try:
        tuple(TopologicalSorter(GRAPH).static_order())
    except CycleError as exc:
        pytest.fail("import cycle: " + " -> ".join(exc.args[1]))


@pytest.mark.parametrize("package", ALLOWED)
def test_packages_import_only_downwards(package):
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.partition(".")[0] == package
        for target in targets
        if target.partition(".")[0] not in {package, *ALLOWED[package]}
    )
    assert upward == []


def test_the_ml_cli_starts_without_loading_the_generator():
    # `ml datagen` is the generator's own command, imported when it runs (ml/cli.py)
    code = "import sys, ml.cli; print(sorted(m for m in sys.modules if 'datagen' in m))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
