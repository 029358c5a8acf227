"""Fixtures of the job tests: a store filled from the DeepSeek pack, copied fresh for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import fill_store


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store holding the DeepSeek pack up to ``FILLED_UNTIL``, filled once per module."""
    root = tmp_path_factory.mktemp("template") / "store"
    fill_store(root)
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of :func:`template` for one test."""
    root = tmp_path / "store"
    shutil.copytree(template, root)
    return root
