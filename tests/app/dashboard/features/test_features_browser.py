"""The downloads and the Saved-studies drawer in headless Chromium (dash_duo), as a user does it:
the grid's "Download CSV" file, "Refresh now" and "Save this view" without a config (disabled,
the tooltip says why), saving the view into a config, and run-history headers that are not cut.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from dash.testing.application_runners import ThreadedRunner
from dash.testing.composite import DashComposite
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.action_chains import ActionChains

from app.config import load_config
from app.dashboard.app import create_app
from app.dashboard.features.saved_studies import NO_CONFIG_TIP
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import BROWSER_MARKS, BROWSER_TIMEOUT, MARKET_DATA, NEWS, REFERENCE
from tests.support import until as _until

pytestmark = BROWSER_MARKS
TIMEOUT = BROWSER_TIMEOUT

CONFIG = """
[[studies]]
name = "deepseek-chips-with-a-long-name"
tickers = ["NVDA", "AMD", "AVGO"]
event_date = 2025-01-27
windows = ["0:0", "-1:1", "-5:5"]
placebo = 0
"""


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    if not MARKET_DATA.is_dir():
        pytest.skip(f"shared market data not found at {MARKET_DATA}")
    return Settings(
        store=tmp_path_factory.mktemp("store"),
        data_pack=MARKET_DATA,
        news=NEWS,
        reference=REFERENCE,
        offline=True,
    )


@pytest.fixture
def duo(dash_thread_server: ThreadedRunner, tmp_path: Path) -> Iterator[DashComposite]:
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
    ) as composite:
        yield composite


def _start(duo: DashComposite, settings: Settings, **options: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    duo.start_server(create_app(settings, **options), port=port)
    duo.wait_for_contains_text("#study-summary", "firms", timeout=TIMEOUT)


def test_grid_csv_download_is_numbers(duo: DashComposite, settings: Settings) -> None:
    _start(duo, settings)
    next(t for t in duo.find_elements('[role="tab"]') if t.text == "Results grid").click()
    duo.wait_for_element("#results-grid-csv").click()
    target = Path(duo.download_path) / "aftershock-results.csv"
    _until(lambda: target.is_file() and target.stat().st_size > 1000, "the downloaded CSV")
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"%" not in raw
    table = pd.read_csv(target)
    assert len(table) == 46 and "car_-1_1" in table.columns
    nvda = table.set_index("ticker").loc["NVDA"]
    assert -0.25 < float(nvda["ar_day0"]) < -0.1  # a fraction, not "−16.97%"
    assert duo.get_logs() == []


def test_without_config_refresh_and_save_are_disabled_with_the_reason(
    duo: DashComposite, settings: Settings
) -> None:
    _start(duo, settings)
    duo.find_element("#runs-open").click()
    duo.wait_for_contains_text("#runs-status", "No project config", timeout=TIMEOUT)
    for button in ("#refresh-button", "#save-view"):
        assert duo.find_element(button).get_attribute("disabled") is not None
    wrapper = duo.driver.execute_script(
        "return document.querySelector('#refresh-button').closest('.disabled-tip')"
    )
    ActionChains(duo.driver).move_to_element(wrapper).perform()
    _until(
        lambda: any(
            NO_CONFIG_TIP in e.text
            for e in duo.find_elements('[role="tooltip"]')
            if e.is_displayed()
        ),
        "the tooltip saying why",
        timeout=10,
    )
    assert duo.find_element("#refresh-alert").text == ""
    assert duo.get_logs() == []


def test_save_this_view_and_uncut_history_columns(
    duo: DashComposite, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "aftershock.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    refresh(config, settings, export=False)
    _start(duo, settings, config=config)
    duo.find_element("#runs-open").click()
    _until(lambda: duo.find_elements("#runs-grid .ag-row"), "the run history")
    # Every header reads in full: none is cut with an ellipsis.
    cut = duo.driver.execute_script(
        "return [...document.querySelectorAll('#runs-grid .ag-header-cell-text')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)"
        ".map(e => e.textContent)"
    )
    assert cut == []
    headers = duo.driver.execute_script(
        "return [...document.querySelectorAll('#runs-grid .ag-header-cell-text')]"
        ".map(e => e.textContent)"
    )
    assert {"Started (UTC)", "Excluded", "CAAR [−5, +5]", "Problems"} <= set(headers)
    duo.find_element("#save-view-name").send_keys("demo-view")
    duo.find_element("#save-view").click()
    duo.wait_for_contains_text("#save-view-alert", "Study saved", timeout=TIMEOUT)
    saved = load_config(path)
    assert [s.name for s in saved.studies] == ["deepseek-chips-with-a-long-name", "demo-view"]
    assert len(saved.study("demo-view").spec.tickers) == 46
    duo.find_element("#runs-study").click()
    _until(
        lambda: any("demo-view" in o.text for o in duo.find_elements('[role="option"]')),
        "the saved study in the picker",
        timeout=15,
    )
    assert duo.get_logs() == []
