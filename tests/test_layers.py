"""Layers point one way: every import in app/ goes to a lower layer or stays in its own package.

The layers, lowest first (README, "Layout"):

0. `core`: config, database, errors, caching, the dataset state; imports nothing of app.
1. `records`: the record types and the generic list/detail engine.
2. features, each on `core` and `records` only, never on each other:
   `search`, `timeline`, `graph`, `exposure`, `stats`, `changes`, `dataset`.
3. what is built over features: `reconcile` (the W3C protocol over the search
   index), `explorer` (web pages over every feature), `seeding` (writes the
   records and, in the same transaction, the search index).
4. `importers`: turn outside data into seed files, read back by seeding's reader.
5. the entry points `main` (the app) and `cli` (the command).

Packages on one layer do not import each other either, so no two packages
can import each other in a circle.
"""

from __future__ import annotations

import ast
import graphlib
from collections.abc import Iterator
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app"

LAYERS: dict[str, int] = {
    "app": 0,  # app/__init__.py: the version, nothing else
    "core": 0,
    "records": 1,
    "auth": 1,  # API keys and the write routes' guard, on core only
    "search": 2,
    "timeline": 2,
    "graph": 2,
    "exposure": 2,
    "stats": 2,
    "changes": 2,
    "dataset": 2,
    "reconcile": 3,
    "explorer": 3,
    "export": 3,  # the whole dataset at once, with the dataset card's credits
    "seeding": 3,
    "importers": 4,
    "writes": 4,  # records written over the API by the seed loader's machinery, behind API keys
    "main": 5,
    "cli": 5,
}


def module_name(path: Path) -> str:
    """app/records/listing.py -> app.records.listing; app/records/__init__.py -> app.records."""
    parts = path.relative_to(APP.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(APP.rglob("*.py"))}


def package_of(module: str) -> str:
    """The layer unit a module belongs to: app.records.listing -> records, app.main -> main, app -> app."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def imported_modules(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, module of app) for every import in the file, at any depth (lazy imports count too)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: len(module.split(".")) - node.level + (1 if is_package else 0)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from app.records import registry` imports a module; `from app.records.fields import is_slug` a name
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in MODULES else stem for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "app" or target.startswith("app."):
                yield node.lineno, target


def package_imports() -> Iterator[tuple[str, int, str, str]]:
    """(module, line, imported module, its package) for every import that leaves the module's package."""
    for module, path in MODULES.items():
        for line, target in imported_modules(module, path):
            if package_of(target) != package_of(module):
                yield module, line, target, package_of(target)


def test_every_package_has_a_layer() -> None:
    """A new folder in app/ is placed on a layer on purpose, here and in the README."""
    assert {package_of(m) for m in MODULES} == set(LAYERS)


def test_imports_point_down() -> None:
    """No module imports from its own layer's other packages or from a layer above it."""
    upward = [
        f"{MODULES[module].relative_to(APP.parent)}:{line} imports {target} "
        f"({package_of(module)} is layer {LAYERS[package_of(module)]}, {package} is layer {LAYERS[package]})"
        for module, line, target, package in package_imports()
        if LAYERS[package] >= LAYERS[package_of(module)]
    ]
    assert upward == []


def test_no_package_cycle() -> None:
    """The packages' import graph has no circle."""
    graph: dict[str, set[str]] = {package: set() for package in LAYERS}
    for module, _line, _target, package in package_imports():
        graph[package_of(module)].add(package)
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the circle


def test_the_walk_finds_every_kind_of_import(tmp_path: Path) -> None:
    """A lazy import, a relative one, a module imported from its package and a plain `import` are all found."""
    source = tmp_path / "__init__.py"
    source.write_text(
        "import app.core.config\n"
        "from app.records import registry\n"
        "from app.records.fields import is_slug\n"
        "from .queries import entry\n"
        "def late() -> None:\n"
        "    from app.seeding.load import write_seed\n",
        encoding="utf-8",
    )
    found = [target for _line, target in imported_modules("app.changes", source)]
    assert found == [
        "app.core.config",
        "app.records.registry",
        "app.records.fields",
        "app.changes.queries",
        "app.seeding.load",
    ]
