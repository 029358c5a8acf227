"""Shared test helpers: where the read-only shared data lives (``../shared`` or
``AFTERSHOCK_SHARED``). Fixtures live in ``conftest.py``; plain helpers live here."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AFTERSHOCK_SHARED", REPO.parent / "shared")).resolve()
MARKET_DATA = SHARED / "market-data"
DEEPSEEK_PACK = MARKET_DATA / "deepseek-universe.parquet"
US_PACK = MARKET_DATA / "us-equities-daily.parquet"
NEWS = SHARED / "news"
REFERENCE = SHARED / "reference"


def french_zip(table: pd.DataFrame) -> bytes:
    """``table`` (decimal ``MKT_RF, SMB, HML, RF`` by date) as Kenneth French's zipped daily CSV:
    percent values, ``YYYYMMDD`` rows under a header whose first field is empty."""
    lines = ["Made for the tests.", "", ",Mkt-RF,SMB,HML,RF"]
    for day, row in table.iterrows():
        values = ",".join(f"{100 * v:.14f}" for v in row.to_numpy())
        lines.append(f"{pd.Timestamp(day):%Y%m%d},{values}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("F-F_Research_Data_Factors_daily.CSV", "\n".join(lines) + "\n")
    return buffer.getvalue()
