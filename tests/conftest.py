"""Shared fixtures (plain helpers and data paths live in :mod:`tests.support`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from tests.support import SHARED


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}; set AFTERSHOCK_SHARED")
    return SHARED


# Property tests draw the same examples on every run, so CI is deterministic; explore further
# locally with `pytest --hypothesis-seed=N`.
settings.register_profile("aftershock", derandomize=True, deadline=None)
settings.load_profile("aftershock")
