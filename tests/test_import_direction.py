"""The import direction between packages, read from the source (no module is imported).

``analytics`` never imports ``app``; inside ``app``, ``charts`` never imports ``dashboard``,
``cli`` or ``jobs``; ``jobs`` never imports ``dashboard`` or ``cli``; ``cli`` reaches the
dashboard only through ``serve``; and a dashboard feature never imports another feature.
Every package's ``__init__`` docstring says what may be imported from it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import REPO

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "analytics": ("app",),
    "app.charts": ("app.dashboard", "app.cli", "app.jobs"),
    "app.jobs": ("app.dashboard", "app.cli"),
    "app.settings": ("app.dashboard", "app.cli", "app.jobs", "app.charts"),
    "app.config": ("app.dashboard", "app.cli", "app.jobs"),
}
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    # `aftershock serve` starts the dashboard: the one way from the CLI into it.
    ("app.cli", "app.dashboard"): frozenset({"app.cli.serve"}),
}


def _modules() -> Iterator[tuple[str, Path]]:
    for package in ("analytics", "app"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _imports(path: Path, module: str) -> set[str]:
    """Absolute names of every module ``path`` imports (also lazily, inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


MODULES = dict(_modules())


def test_the_scan_sees_the_packages() -> None:
    # Not vacuous: the walk finds the modules the rules are about.
    assert {"analytics.workspace", "app.charts.figures", "app.dashboard.app"} <= set(MODULES)
    serve = _imports(MODULES["app.cli.serve"], "app.cli.serve")
    assert any(_within(n, "app.dashboard") for n in serve)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_one_way(module: str) -> None:
    imported = _imports(MODULES[module], module)
    for source, targets in FORBIDDEN.items():
        if not _within(module, source):
            continue
        for target in targets:
            bad = sorted(n for n in imported if _within(n, target))
            assert not bad, f"{module} imports {bad}: {source} must not import {target}"
    for (source, target), exceptions in ALLOWED.items():
        if _within(module, source) and module not in exceptions:
            bad = sorted(n for n in imported if _within(n, target))
            assert not bad, f"{module} imports {bad}: only {sorted(exceptions)} may"


@pytest.mark.parametrize(
    "module", sorted(m for m in MODULES if _within(m, "app.dashboard.features"))
)
def test_a_feature_never_imports_another_feature(module: str) -> None:
    if module == "app.dashboard.features":
        return
    # A feature is a module or a package of features/; its own submodules are one feature.
    feature = ".".join(module.split(".")[:4])
    others = {
        n
        for n in _imports(MODULES[module], module)
        if _within(n, "app.dashboard.features")
        and n != "app.dashboard.features"
        and not _within(n, feature)
    }
    assert not others, f"{module} imports the features {sorted(others)}"


@pytest.mark.parametrize("module", sorted(m for m, p in MODULES.items() if p.name == "__init__.py"))
def test_every_package_says_what_lives_there_and_what_it_may_import(module: str) -> None:
    doc = ast.get_docstring(ast.parse(MODULES[module].read_text(encoding="utf-8"))) or ""
    assert len(doc) > 40, f"{module} has no package docstring"
    assert "import" in doc.lower(), f"{module}'s docstring does not say what it may import"
