"""Shared test helpers: where the read-only shared data lives (``../shared`` or
``AFTERSHOCK_SHARED``). Fixtures live in ``conftest.py``; plain helpers live here."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AFTERSHOCK_SHARED", REPO.parent / "shared")).resolve()
MARKET_DATA = SHARED / "market-data"
DEEPSEEK_PACK = MARKET_DATA / "deepseek-universe.parquet"
US_PACK = MARKET_DATA / "us-equities-daily.parquet"
NEWS = SHARED / "news"
REFERENCE = SHARED / "reference"
