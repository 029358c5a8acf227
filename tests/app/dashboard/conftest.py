"""Fixtures of the dashboard tests: the offline demo settings, the dashboard's data over them,
and ``dash_duo`` in headless Chromium (helpers such as :func:`tests.support.start_dashboard`
live in :mod:`tests.support`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dash.testing.application_runners import ThreadedRunner
from dash.testing.composite import DashComposite
from selenium.webdriver.chrome.options import Options

from app.dashboard.cache import DashboardData
from app.settings import Settings
from tests.support import MARKET_DATA, demo_settings


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Offline demo settings over the shared data, with a fresh store per test module."""
    if not MARKET_DATA.is_dir():
        pytest.skip(f"shared market data not found at {MARKET_DATA}")
    return demo_settings(tmp_path_factory.mktemp("store"))


@pytest.fixture(scope="module")
def data(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> DashboardData:
    """The dashboard's data over :func:`settings`, with its own result cache."""
    return DashboardData(settings, cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture
def dash_duo(dash_thread_server: ThreadedRunner, tmp_path: Path) -> Iterator[DashComposite]:
    """dash_duo in headless Chromium with a desktop-sized window, whatever the CLI flags."""
    if shutil.which("chromedriver") is None:
        pytest.skip("chromedriver is not on PATH")
    options = Options()
    options.add_argument("--window-size=1600,1300")
    download = tmp_path / "download"
    download.mkdir()
    with DashComposite(
        server=dash_thread_server,
        browser="Chrome",
        headless=True,
        options=[options],
        download_path=str(download),
        percy_run=False,
        percy_finalize=False,
    ) as duo:
        yield duo
