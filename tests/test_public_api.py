"""Package hygiene: every module of ``analytics`` and ``app`` lists its public names in a sorted,
complete ``__all__``, and the front door ``from analytics import ...`` works.

"Sorted" is ruff's RUF022 order (the project's lint): CONSTANTS, then CamelCase, then the rest,
each in natural order.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from types import ModuleType

import pytest

import analytics
import app

MODULES = sorted(
    info.name
    for package in (analytics, app)
    for info in pkgutil.walk_packages(package.__path__, prefix=f"{package.__name__}.")
)


def _isort_key(name: str) -> tuple[int, list[int | str]]:
    kind = 0 if len(name) > 1 and name.isupper() else 1 if name[:1].isupper() else 2
    return kind, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def test_isort_key() -> None:
    names = ["run_study", "Progress", "RISK_FREE", "x10", "PriceProvider", "x9", "A"]
    assert sorted(names, key=_isort_key) == [
        "RISK_FREE", "A", "PriceProvider", "Progress", "run_study", "x9", "x10",
    ]  # fmt: skip


def _defined_here(module: ModuleType) -> list[str]:
    """Public functions and classes whose home is ``module`` (not imported from elsewhere)."""
    return sorted(
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == module.__name__
    )


def test_walk_finds_the_packages_modules() -> None:
    assert {
        "analytics.study.engine",
        "analytics.data.sources.files",
        "app.cli.main",
    } <= set(MODULES)


@pytest.mark.parametrize("name", ["analytics", "app", *MODULES])
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_key), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists undefined names {missing}"
    unlisted = [n for n in _defined_here(module) if n not in exported]
    assert not unlisted, f"{name} defines public {unlisted} but does not list them in __all__"


def test_front_door() -> None:
    from analytics import PriceStore, StudyResult, StudySpec, run_study

    assert callable(run_study)
    assert all(inspect.isclass(c) for c in (PriceStore, StudyResult, StudySpec))
