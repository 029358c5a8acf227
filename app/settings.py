"""Settings read from the environment: the only place environment variables are read.

``AFTERSHOCK_HOME``      store directory (default: the platform's user-data dir).
``AFTERSHOCK_DATA``      offline data-pack directory (Parquet/CSV files), consulted before Yahoo.
``AFTERSHOCK_NEWS``      news directory (``index.json`` + plain-text articles).
``AFTERSHOCK_REFERENCE`` reference directory (SEC tickers, S&P 500 snapshot).
``AFTERSHOCK_OFFLINE``   set to 1 to never call Yahoo Finance or Kenneth French's library.
``AFTERSHOCK_CONFIG``    project config for ``refresh`` and ``serve --schedule``.
``AFTERSHOCK_AUTH``      ``user:password`` for HTTP basic auth of the dashboard.
``AFTERSHOCK_TRUSTED_PROXY_AUTH`` set to 1 when a proxy in front authenticates every request
                         (the WSGI factory refuses to serve without auth otherwise).
``BROWSER_PATH``         the Chrome/Chromium executable for PNG/SVG export (kaleido's variable;
                         default: a lookup on ``PATH``).

:func:`open_workspace` builds the one study service (:class:`analytics.Workspace`) of these
settings; the CLI, the dashboard and the refresh job all get their prices, factors, sectors and
market values through it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from analytics.workspace import Workspace
from app.universes import DEEPSEEK_SECTORS

__all__ = ["Settings", "load_settings", "open_workspace"]


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where Aftershock keeps and finds its data."""

    store: Path
    data_pack: Path | None
    news: Path | None
    reference: Path | None
    offline: bool
    config: Path | None = None
    """The project config file named by ``AFTERSHOCK_CONFIG`` (None: not set)."""
    auth: str | None = field(default=None, repr=False)
    """``user:password`` from ``AFTERSHOCK_AUTH`` (None: not set); never shown in a repr."""
    trusted_proxy_auth: str = ""
    """``AFTERSHOCK_TRUSTED_PROXY_AUTH`` as given ("1": a proxy authenticates every request)."""
    browser_path: Path | None = None
    """The Chrome/Chromium executable named by ``BROWSER_PATH`` (None: look it up on ``PATH``)."""


def _optional_dir(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else None


def _optional_file(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value).expanduser() if value else None


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
        config=_optional_file("AFTERSHOCK_CONFIG"),
        auth=os.environ.get("AFTERSHOCK_AUTH", "") or None,
        trusted_proxy_auth=os.environ.get("AFTERSHOCK_TRUSTED_PROXY_AUTH", "").strip(),
        browser_path=_optional_file("BROWSER_PATH"),
    )


def open_workspace(settings: Settings, *, factors_file: Path | None = None) -> Workspace:
    """The study service over the settings' store, data pack, reference folder and offline flag."""
    return Workspace.open(
        settings.store,
        data_pack=settings.data_pack,
        reference=settings.reference,
        offline=settings.offline,
        factors_file=factors_file,
        # Foreign listings of the demo universe (ASML, BABA) are in no reference table.
        extra_sectors=DEEPSEEK_SECTORS,
    )
