"""Shared fixtures: where the read-only shared data lives, and throwaway stores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AFTERSHOCK_SHARED", REPO.parent / "shared")).resolve()
MARKET_DATA = SHARED / "market-data"
DEEPSEEK_PACK = MARKET_DATA / "deepseek-universe.parquet"
US_PACK = MARKET_DATA / "us-equities-daily.parquet"
NEWS = SHARED / "news"
REFERENCE = SHARED / "reference"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}; set AFTERSHOCK_SHARED")
    return SHARED


# Property tests draw the same examples on every run, so CI is deterministic; explore further
# locally with `pytest --hypothesis-seed=N`.
settings.register_profile("aftershock", derandomize=True, deadline=None)
settings.load_profile("aftershock")
