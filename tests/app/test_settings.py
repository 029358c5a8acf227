"""Settings come from the environment in one place, and reach the code that needs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import load_settings


def test_browser_path_is_read_into_the_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "chrome"))
    assert load_settings(tmp_path).browser_path == tmp_path / "chrome"
    monkeypatch.setenv("BROWSER_PATH", "  ")
    assert load_settings(tmp_path).browser_path is None
    monkeypatch.delenv("BROWSER_PATH")
    assert load_settings(tmp_path).browser_path is None
