"""Fixtures of the CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from tests.support import MARKET_DATA, REFERENCE


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    """``aftershock`` in-process, offline, over the shared data pack and reference tables, with
    a fresh store."""
    monkeypatch.setenv("AFTERSHOCK_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")

    def invoke(*args: str) -> Any:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke
