"""The downloads and the Saved-studies drawer in headless Chromium (dash_duo), as a user does it:
the grid's "Download CSV" file, "Refresh now" and "Save this view" without a config (disabled,
the tooltip says why), saving the view into a config, and run-history headers that are not cut.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pandas as pd
from dash.testing.composite import DashComposite
from selenium.webdriver.common.action_chains import ActionChains

from app.config import load_config
from app.dashboard.app import create_app
from app.dashboard.features.saved_studies import NO_CONFIG_TIP
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import BROWSER_MARKS, BROWSER_TIMEOUT
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


def _start(dash_duo: DashComposite, settings: Settings, **options: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    dash_duo.start_server(create_app(settings, **options), port=port)
    dash_duo.wait_for_contains_text("#study-summary", "firms", timeout=TIMEOUT)


def test_grid_csv_download_is_numbers(dash_duo: DashComposite, settings: Settings) -> None:
    _start(dash_duo, settings)
    next(t for t in dash_duo.find_elements('[role="tab"]') if t.text == "Results grid").click()
    dash_duo.wait_for_element("#results-grid-csv").click()
    target = Path(dash_duo.download_path) / "aftershock-results.csv"
    _until(lambda: target.is_file() and target.stat().st_size > 1000, "the downloaded CSV")
    raw = target.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"%" not in raw
    table = pd.read_csv(target)
    assert len(table) == 46 and "car_-1_1" in table.columns
    nvda = table.set_index("ticker").loc["NVDA"]
    assert -0.25 < float(nvda["ar_day0"]) < -0.1  # a fraction, not "−16.97%"
    assert dash_duo.get_logs() == []


def test_without_config_refresh_and_save_are_disabled_with_the_reason(
    dash_duo: DashComposite, settings: Settings
) -> None:
    _start(dash_duo, settings)
    dash_duo.find_element("#runs-open").click()
    dash_duo.wait_for_contains_text("#runs-status", "No project config", timeout=TIMEOUT)
    for button in ("#refresh-button", "#save-view"):
        assert dash_duo.find_element(button).get_attribute("disabled") is not None
    wrapper = dash_duo.driver.execute_script(
        "return document.querySelector('#refresh-button').closest('.disabled-tip')"
    )
    ActionChains(dash_duo.driver).move_to_element(wrapper).perform()
    _until(
        lambda: any(
            NO_CONFIG_TIP in e.text
            for e in dash_duo.find_elements('[role="tooltip"]')
            if e.is_displayed()
        ),
        "the tooltip saying why",
        timeout=10,
    )
    assert dash_duo.find_element("#refresh-alert").text == ""
    assert dash_duo.get_logs() == []


def test_save_this_view_and_uncut_history_columns(
    dash_duo: DashComposite, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "aftershock.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    refresh(config, settings, export=False)
    _start(dash_duo, settings, config=config)
    dash_duo.find_element("#runs-open").click()
    _until(lambda: dash_duo.find_elements("#runs-grid .ag-row"), "the run history")
    # Every header reads in full: none is cut with an ellipsis.
    cut = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#runs-grid .ag-header-cell-text')]"
        ".filter(e => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)"
        ".map(e => e.textContent)"
    )
    assert cut == []
    headers = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll('#runs-grid .ag-header-cell-text')]"
        ".map(e => e.textContent)"
    )
    assert {"Started (UTC)", "Excluded", "CAAR [−5, +5]", "Problems"} <= set(headers)
    dash_duo.find_element("#save-view-name").send_keys("demo-view")
    dash_duo.find_element("#save-view").click()
    dash_duo.wait_for_contains_text("#save-view-alert", "Study saved", timeout=TIMEOUT)
    saved = load_config(path)
    assert [s.name for s in saved.studies] == ["deepseek-chips-with-a-long-name", "demo-view"]
    assert len(saved.study("demo-view").spec.tickers) == 46
    dash_duo.find_element("#runs-study").click()
    _until(
        lambda: any("demo-view" in o.text for o in dash_duo.find_elements('[role="option"]')),
        "the saved study in the picker",
        timeout=15,
    )
    assert dash_duo.get_logs() == []
