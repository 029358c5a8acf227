"""The dashboard in headless Chromium (dash_duo): demo, windows, company and date clicks (mouse
and keyboard), downloads, bad input, and the Saved-studies drawer.

Screenshots of the main views are saved under ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import time
from pathlib import Path

from dash.testing.composite import DashComposite
from selenium.webdriver.common.keys import Keys

from app.config import load_config
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import (
    BROWSER_MARKS,
    BROWSER_TIMEOUT,
    SAVED_STUDIES_CONFIG,
    click_tab,
    screenshot,
    start_dashboard,
    until,
)

pytestmark = BROWSER_MARKS


def test_demo_opens_with_article_results_and_no_errors(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings)
    dash_duo.wait_for_contains_text("#article-view h2", "DeepSeek's Market Jolt")
    dash_duo.wait_for_contains_text("#study-summary", "across 46 firms")
    dash_duo.wait_for_contains_text("#dollar-headline", "These stocks lost $")
    mentions = dash_duo.find_elements("#article-view mark.company")
    assert mentions and all("NVDA" in m.text for m in mentions)
    assert "Advertisements" not in dash_duo.find_element("#article-view").text
    until(lambda: dash_duo.find_elements("#results-tabs .js-plotly-plot .main-svg"), "the chart")
    screenshot(dash_duo, "dashboard-demo")
    results = dash_duo.find_element(".results")
    for label, name in [
        ("Abnormal returns", "abnormal"),
        ("CAAR", "caar"),
        ("Sectors & dollars", "sectors"),
        ("Results grid", "grid"),
        ("Tests", "tests"),
        ("Cross-section", "xsec"),
    ]:
        click_tab(dash_duo, label)
        time.sleep(1.0)
        if name == "xsec":  # the study grouped by sector runs when the tab is first opened
            until(lambda: len(dash_duo.find_elements(".results .bars .point")) > 3, "sector bars")
            until(lambda: dash_duo.find_elements(".results .scatterlayer .point"), "beta points")
        screenshot(dash_duo, f"dashboard-{name}", results)
        if name == "grid":
            assert dash_duo.find_elements("#results-grid .ag-row"), "the grid shows firms"
    assert dash_duo.get_logs() == []


def test_changing_a_window_updates_url_and_results(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings)
    windows = dash_duo.find_element("#event-windows")
    windows.send_keys("-10:10", Keys.ENTER)
    until(lambda: "windows=0:0,-1:1,-5:5,-10:10" in dash_duo.driver.current_url, "the URL")
    click_tab(dash_duo, "Results grid")
    until(
        lambda: "[−10, +10]" in dash_duo.find_element("#results-grid").get_attribute("textContent"),
        "the new window's grid columns",
    )
    # An invalid window is an inline message, the page keeps working.
    windows = dash_duo.find_element("#event-windows")
    windows.send_keys("7:3", Keys.ENTER)
    dash_duo.wait_for_contains_text("#controls-alert", "is reversed", timeout=BROWSER_TIMEOUT)
    assert "windows=0:0,-1:1,-5:5,-10:10" in dash_duo.driver.current_url
    screenshot(dash_duo, "dashboard-invalid-window", dash_duo.find_element(".controls"))
    assert dash_duo.get_logs() == []


def test_clicking_a_company_adds_it_to_the_universe(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings, "?article=global-selloff-2024-08-05.txt&date=2024-08-05")
    dash_duo.wait_for_contains_text("#article-view h2", "Global Markets Tumble")
    before = dash_duo.find_element("#study-summary").text
    apple = next(
        m for m in dash_duo.find_elements("#article-view mark.company") if "AAPL" in m.text
    )
    apple.click()
    until(lambda: "tickers=AAPL" in dash_duo.driver.current_url, "AAPL in the URL")
    dash_duo.wait_for_contains_text(".controls", "AAPL", timeout=BROWSER_TIMEOUT)
    until(lambda: dash_duo.find_element("#study-summary").text != before, "the new study")
    screenshot(dash_duo, "dashboard-company-click")
    assert dash_duo.get_logs() == []


def test_png_download(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings)
    click_tab(dash_duo, "CAAR")
    button = next(
        b for b in dash_duo.find_elements("button") if b.text == "Download PNG" and b.is_displayed()
    )
    button.click()
    target = Path(dash_duo.download_path) / "aftershock-caar-0_0.png"
    until(target.is_file, "the downloaded PNG", timeout=90)
    until(lambda: target.stat().st_size > 10_000, "the whole PNG")
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert dash_duo.get_logs() == []


def test_enter_on_a_company_mention_adds_it(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings, "?article=global-selloff-2024-08-05.txt&date=2024-08-05")
    dash_duo.wait_for_contains_text("#article-view h2", "Global Markets Tumble")
    microsoft = next(
        m for m in dash_duo.find_elements("#article-view mark.company") if "MSFT" in m.text
    )
    microsoft.send_keys(Keys.ENTER)
    until(lambda: "tickers=MSFT" in dash_duo.driver.current_url, "MSFT in the URL")
    assert dash_duo.get_logs() == []


def test_clicking_a_date_sets_the_event_date(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings)
    box = dash_duo.find_element("#article-text")
    box.send_keys("Chips slide", Keys.ENTER, "Nvidia fell on August 5, 2024 as markets tumbled.")
    dash_duo.wait_for_contains_text("#article-view h2", "Chips slide", timeout=BROWSER_TIMEOUT)
    date = dash_duo.find_element("#article-view mark.event-date")
    assert date.get_attribute("title") == "Mon 05 Aug 2024: click to make it the event date"
    date.click()
    until(lambda: "date=2024-08-05" in dash_duo.driver.current_url, "the date in the URL")
    dash_duo.wait_for_contains_text(
        "#study-summary", "Day 0 Mon 05 Aug 2024", timeout=BROWSER_TIMEOUT
    )
    assert dash_duo.get_logs() == []


# -- bad input in a real browser -----------------------------------------------------------------


def test_a_garbage_link_opens_the_demo_with_a_note(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(
        dash_duo, settings, "?date=banana&tickers=%3Cscript%3Ealert(1)%3C/script%3E&x=%00"
    )
    dash_duo.wait_for_contains_text(
        "#controls-alert", "date='banana' ignored", timeout=BROWSER_TIMEOUT
    )
    note = dash_duo.find_element("#controls-alert").text
    assert "is not a ticker symbol (listed as excluded: invalid ticker)" in note
    assert "link parameter 'x' ignored" in note
    assert not dash_duo.driver.find_elements("css selector", "#controls-alert script")
    assert dash_duo.get_logs() == []


def test_pasted_markup_is_shown_as_text(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings)
    box = dash_duo.find_element("#article-text")
    box.send_keys(
        "Chips <i>slide</i>", Keys.ENTER,
        "<script>window.pwned = 1</script><img src=x onerror='window.pwned = 2'>",
        "<b>Nvidia</b> fell on January 27, 2025.",
    )  # fmt: skip
    dash_duo.wait_for_contains_text("#article-view h2", "Chips slide", timeout=BROWSER_TIMEOUT)
    view = dash_duo.find_element("#article-view")
    assert view.find_elements("css selector", "script, img, iframe, b, i") == []
    assert dash_duo.driver.execute_script("return window.pwned") is None
    assert "Nvidia" in view.text
    assert dash_duo.get_logs() == []


def test_an_oversized_upload_gets_an_inline_message(
    dash_duo: DashComposite, settings: Settings, tmp_path: Path
) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"Headline\n" + b"Nvidia fell sharply. " * 75_000)
    start_dashboard(dash_duo, settings)
    chooser = dash_duo.find_element("#article-upload input[type=file]")
    chooser.send_keys(str(big))
    dash_duo.wait_for_contains_text("#article-alert", "big.txt is 1.6 MB", timeout=BROWSER_TIMEOUT)
    assert "files up to 1.0 MB" in dash_duo.find_element("#article-alert").text
    screenshot(dash_duo, "dashboard-upload-too-large", dash_duo.find_element(".news-pane"))
    assert dash_duo.get_logs() == []


# -- saved studies -------------------------------------------------------------------------------

SAVED = SAVED_STUDIES_CONFIG + "\n[export]\nwidth = 400\nheight = 300\nscale = 1\n"


def test_saved_studies_refresh_history_and_compare(
    dash_duo: DashComposite, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "aftershock.toml"
    path.write_text(SAVED)
    config = load_config(path)
    refresh(config, settings, export=False)
    start_dashboard(dash_duo, settings, config=config)
    dash_duo.find_element("#runs-open").click()
    dash_duo.wait_for_contains_text("#runs-status", "Last refresh", timeout=BROWSER_TIMEOUT)
    status = dash_duo.find_element("#runs-status").text
    assert "FAILED" in status.upper() and "broken: no usable firm" in status
    assert "after-close (30 16 * * 1-5, America/New_York): next" in status
    until(lambda: dash_duo.find_elements("#runs-grid .ag-row"), "the run history")
    screenshot(dash_duo, "saved-studies-one-run")
    dash_duo.find_element("#refresh-button").click()
    dash_duo.wait_for_contains_text("#refresh-alert", "Refresh finished", timeout=120)
    report = dash_duo.find_element("#refresh-alert").text
    assert "chips: ok, 5 firms" in report and "broken: failed" in report
    until(lambda: len(dash_duo.find_elements("#runs-grid .ag-row")) == 2, "two runs")
    until(lambda: dash_duo.find_elements("#compare-grid .ag-row"), "the comparison")
    compared = dash_duo.find_element("#compare-grid").get_attribute("textContent")
    assert "All firms (CAAR)" in compared and "NVDA" in compared
    screenshot(dash_duo, "saved-studies-compare")
    dash_duo.driver.execute_script(
        "document.querySelector('#compare-grid').scrollIntoView({block: 'end'})"
    )
    time.sleep(0.3)
    screenshot(dash_duo, "saved-studies-compare-scrolled")
    assert dash_duo.get_logs() == []
