"""The dashboard in headless Chromium (dash_duo): demo, windows, company clicks, downloads.

Screenshots of the main views are saved under ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import shutil
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from dash.testing.application_runners import ThreadedRunner
from dash.testing.composite import DashComposite
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

from app.dashboard import create_app
from app.settings import Settings
from tests.conftest import MARKET_DATA, NEWS, REFERENCE, REPO

pytestmark = [
    pytest.mark.browser,
    # selenium 4.2 calls urllib3 APIs that urllib3 1.26 deprecates.
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
]

ARTIFACTS = REPO / "test-artifacts"
TIMEOUT = 30.0


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


def _until(condition: Callable[[], object], what: str, timeout: float = TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # stale elements while React re-renders: try again
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def _free_port() -> int:
    # dash's runner counts ports up from 58050 in every process: clashes under pytest-xdist.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(duo: DashComposite, settings: Settings, query: str = "") -> None:
    duo.start_server(create_app(settings), port=_free_port())
    if query:
        duo.driver.get(duo.server_url + "/" + query)
    duo.wait_for_contains_text("#study-summary", "firms", timeout=TIMEOUT)


def _tab(duo: DashComposite, label: str) -> None:
    tab = next(t for t in duo.find_elements('[role="tab"]') if t.text == label)
    tab.click()


def _shot(duo: DashComposite, name: str, element: WebElement | None = None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    if element is not None:
        duo.driver.execute_script("arguments[0].scrollIntoView()", element)
        time.sleep(0.3)
    duo.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_demo_opens_with_article_results_and_no_errors(
    dash_duo: DashComposite, settings: Settings
) -> None:
    _start(dash_duo, settings)
    dash_duo.wait_for_contains_text("#article-view h2", "DeepSeek's Market Jolt")
    dash_duo.wait_for_contains_text("#study-summary", "across 46 firms")
    dash_duo.wait_for_contains_text("#dollar-headline", "These stocks shed $")
    mentions = dash_duo.find_elements("#article-view mark.company")
    assert mentions and all("NVDA" in m.text for m in mentions)
    assert "Advertisements" not in dash_duo.find_element("#article-view").text
    _until(lambda: dash_duo.find_elements("#results-tabs .js-plotly-plot .main-svg"), "the chart")
    _shot(dash_duo, "dashboard-demo")
    results = dash_duo.find_element(".results")
    for label, name in [
        ("Abnormal returns", "abnormal"),
        ("CAAR", "caar"),
        ("Sectors & dollars", "sectors"),
        ("Results grid", "grid"),
        ("Tests", "tests"),
    ]:
        _tab(dash_duo, label)
        time.sleep(1.0)
        _shot(dash_duo, f"dashboard-{name}", results)
        if name == "grid":
            assert dash_duo.find_elements("#results-grid .ag-row"), "the grid shows firms"
    assert dash_duo.get_logs() == []


def test_changing_a_window_updates_url_and_results(
    dash_duo: DashComposite, settings: Settings
) -> None:
    _start(dash_duo, settings)
    windows = dash_duo.find_element("#event-windows")
    windows.send_keys("-10:10", Keys.ENTER)
    _until(lambda: "windows=0:0,-1:1,-5:5,-10:10" in dash_duo.driver.current_url, "the URL")
    _tab(dash_duo, "Results grid")
    _until(
        lambda: "[−10, +10]" in dash_duo.find_element("#results-grid").get_attribute("textContent"),
        "the new window's grid columns",
    )
    # An invalid window is an inline message, the page keeps working.
    windows = dash_duo.find_element("#event-windows")
    windows.send_keys("7:3", Keys.ENTER)
    dash_duo.wait_for_contains_text("#controls-alert", "starts after it ends", timeout=TIMEOUT)
    assert "windows=0:0,-1:1,-5:5,-10:10" in dash_duo.driver.current_url
    _shot(dash_duo, "dashboard-invalid-window", dash_duo.find_element(".controls"))
    assert dash_duo.get_logs() == []


def test_clicking_a_company_adds_it_to_the_universe(
    dash_duo: DashComposite, settings: Settings
) -> None:
    _start(dash_duo, settings, "?article=global-selloff-2024-08-05.txt&date=2024-08-05")
    dash_duo.wait_for_contains_text("#article-view h2", "Global Markets Tumble")
    before = dash_duo.find_element("#study-summary").text
    apple = next(
        m for m in dash_duo.find_elements("#article-view mark.company") if "AAPL" in m.text
    )
    apple.click()
    _until(lambda: "tickers=AAPL" in dash_duo.driver.current_url, "AAPL in the URL")
    dash_duo.wait_for_contains_text(".controls", "AAPL", timeout=TIMEOUT)
    _until(lambda: dash_duo.find_element("#study-summary").text != before, "the new study")
    _shot(dash_duo, "dashboard-company-click")
    assert dash_duo.get_logs() == []


def test_png_download(dash_duo: DashComposite, settings: Settings) -> None:
    _start(dash_duo, settings)
    _tab(dash_duo, "CAAR")
    button = next(
        b for b in dash_duo.find_elements("button") if b.text == "Download PNG" and b.is_displayed()
    )
    button.click()
    target = Path(dash_duo.download_path) / "aftershock-caar-0_0.png"
    _until(target.is_file, "the downloaded PNG", timeout=90)
    _until(lambda: target.stat().st_size > 10_000, "the whole PNG")
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert dash_duo.get_logs() == []
