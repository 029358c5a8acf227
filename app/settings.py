"""Settings read from the environment: the only place ``AFTERSHOCK_*`` variables are read.

``AFTERSHOCK_HOME``      store directory (default: the platform's user-data dir).
``AFTERSHOCK_DATA``      offline data-pack directory (Parquet/CSV files), consulted before Yahoo.
``AFTERSHOCK_NEWS``      news directory (``index.json`` + plain-text articles).
``AFTERSHOCK_REFERENCE`` reference directory (SEC tickers, S&P 500 snapshot).
``AFTERSHOCK_OFFLINE``   set to 1 to never call Yahoo Finance or Kenneth French's library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

__all__ = ["Settings", "load_settings"]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where Aftershock keeps and finds its data."""

    store: Path
    data_pack: Path | None
    news: Path | None
    reference: Path | None
    offline: bool


def _optional_dir(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def load_settings(store: Path | None = None) -> Settings:
    """Read settings from the environment; ``store`` (``--store``) wins over ``AFTERSHOCK_HOME``."""
    home = store or _optional_dir("AFTERSHOCK_HOME")
    if home is None:
        home = Path(platformdirs.user_data_dir("aftershock", appauthor=False))
    return Settings(
        store=home.expanduser().resolve(),
        data_pack=_optional_dir("AFTERSHOCK_DATA"),
        news=_optional_dir("AFTERSHOCK_NEWS"),
        reference=_optional_dir("AFTERSHOCK_REFERENCE"),
        offline=os.environ.get("AFTERSHOCK_OFFLINE", "") in {"1", "true", "yes"},
    )
