"""What a new user does in the first minutes, in headless Chromium: revisit tabs, pick presets,
type in the ticker box, share links, break a study. Each test fails on the dashboard before the
fixes of its item."""

from __future__ import annotations

from dash.testing.composite import DashComposite
from selenium.webdriver.common.keys import Keys

from app.settings import Settings
from tests.support import (
    BROWSER_MARKS,
    BROWSER_TIMEOUT,
    click_tab,
    screenshot,
    start_dashboard,
    until,
)

pytestmark = BROWSER_MARKS

_TRACES = """
const graph = document.querySelector(arguments[0] + ' .js-plotly-plot');
if (!graph || !graph.data) { return -1; }
const shown = graph.offsetParent !== null;
return shown ? graph.data.length : -2;
"""


def _traces(duo: DashComposite, name: str) -> int:
    """Traces drawn in chart ``name`` (-1: no chart, -2: chart hidden)."""
    selector = f'[id*=\'"name":"{name}"\']'
    return int(duo.driver.execute_script(_TRACES, selector))


def _drawn(duo: DashComposite, name: str, what: str) -> None:
    until(lambda: _traces(duo, name) > 0, what, timeout=20)


def test_revisited_tabs_keep_their_charts(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings)
    _drawn(dash_duo, "price_paths", "the price chart")
    for step, (label, names) in enumerate(
        [
            ("Abnormal returns", ["abnormal_returns"]),
            ("CAAR", ["caar"]),
            ("Abnormal returns", ["abnormal_returns"]),
            ("Prices", ["price_paths"]),
            ("Sectors & dollars", ["sector_treemap", "dollar_impact"]),
            ("Tests", ["tests"]),
            ("CAAR", ["caar"]),
            ("Sectors & dollars", ["sector_treemap", "dollar_impact"]),
            ("Tests", ["tests"]),
        ]
    ):
        click_tab(dash_duo, label)
        for name in names:
            _drawn(dash_duo, name, f"{name} on the {label} tab (step {step})")
        if label == "Tests":
            dash_duo.wait_for_contains_text("#tests-panel", "tests reject")
    screenshot(dash_duo, "revisit-tests-tab")
    for label in ["Results grid", "CAAR", "Results grid"]:
        click_tab(dash_duo, label)
    until(lambda: dash_duo.find_elements("#results-grid .ag-row"), "the revisited grid's rows")
    assert dash_duo.get_logs() == []


def _pick(duo: DashComposite, select: str, option: str) -> None:
    """Open the picker ``select`` (a CSS selector) and click its option ``option``."""
    duo.find_element(select).click()
    until(
        lambda: any(o.text == option for o in duo.find_elements('[role="option"]')),
        f"the option {option!r}",
        timeout=10,
    )
    next(o for o in duo.find_elements('[role="option"]') if o.text == option).click()


def test_the_sector_preset_enables_the_sector_picker(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings)
    sector = dash_duo.find_element("#universe-sector")
    assert not sector.is_enabled()
    _pick(dash_duo, "#universe-preset", "S&P 500 by sector")
    until(lambda: dash_duo.find_element("#universe-sector").is_enabled(), "the sector picker")
    _pick(dash_duo, "#universe-sector", "Utilities")
    until(
        lambda: "preset=sp500&sector=Utilities" in dash_duo.driver.current_url,
        "the sector in the URL",
    )
    until(
        lambda: "across 46 firms" not in dash_duo.find_element("#study-summary").text,
        "the Utilities study",
        timeout=BROWSER_TIMEOUT,
    )
    screenshot(dash_duo, "sector-preset", dash_duo.find_element(".controls"))
    assert dash_duo.get_logs() == []


def _added(duo: DashComposite) -> str:
    query = duo.driver.current_url.partition("?")[2]
    return next((p[8:] for p in query.split("&") if p.startswith("tickers=")), "")


def test_typed_names_and_tickers_are_added(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings)
    box = dash_duo.find_element("#universe-tickers")
    expected: list[str] = []
    for typed, ticker in [("apple", "AAPL"), ("Costco", "COST"), ("nike", "NKE")]:
        box.click()
        box.send_keys(typed)
        until(
            lambda t=ticker: any(
                o.text.startswith(f"{t} ·") for o in dash_duo.find_elements('[role="option"]')
            ),
            f"{ticker} among the suggestions for {typed!r}",
            timeout=20,
        )
        next(
            o for o in dash_duo.find_elements('[role="option"]') if o.text.startswith(f"{ticker} ·")
        ).click()
        expected.append(ticker)
        until(lambda: _added(dash_duo) == ",".join(expected), f"{expected} in the URL")
    box.send_keys("F", Keys.ENTER)
    expected.append("F")
    until(lambda: _added(dash_duo) == ",".join(expected), "F (typed + Enter) in the URL")
    screenshot(dash_duo, "tickers-typed", dash_duo.find_element(".controls"))
    assert dash_duo.get_logs() == []


def test_a_failed_study_clears_the_previous_results(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings)
    click_tab(dash_duo, "Results grid")
    until(lambda: dash_duo.find_elements("#results-grid .ag-row"), "the demo's grid")
    click_tab(dash_duo, "CAAR")
    _drawn(dash_duo, "caar", "the demo's CAAR")
    # Offline, a French factor model without cached factors cannot be picked, and says why.
    dash_duo.find_element("#model").click()
    french = next(
        o for o in dash_duo.find_elements('[role="option"]') if o.text.startswith("Fama–French 3")
    )
    assert french.text.endswith("offline, factors not cached")
    assert french.get_attribute("data-combobox-disabled") == "true"
    dash_duo.find_element("#model").send_keys(Keys.ESCAPE)
    # A custom universe of a listed company the data pack lacks: the study fails offline.
    _pick(dash_duo, "#universe-preset", "Custom")
    box = dash_duo.find_element("#universe-tickers")
    box.click()
    box.send_keys("AAPI", Keys.ENTER)
    until(lambda: _added(dash_duo) == "AAPI", "AAPI in the URL")
    dash_duo.wait_for_contains_text("#results-alert", "could not run", timeout=BROWSER_TIMEOUT)
    message = dash_duo.find_element("#results-alert").text
    assert "--" not in message and "AFTERSHOCK_" not in message
    dash_duo.wait_for_contains_text("#study-summary", "the study is running, or could not run")
    until(lambda: _traces(dash_duo, "caar") == 0, "the CAAR chart emptied")
    assert "could not run" in dash_duo.find_element(".results .chart").text
    click_tab(dash_duo, "Results grid")
    until(lambda: not dash_duo.find_elements("#results-grid .ag-row"), "the grid emptied")
    assert dash_duo.find_element("#dollar-headline").text == ""
    screenshot(dash_duo, "failed-study")
    assert dash_duo.get_logs() == []


def _active_tab(duo: DashComposite) -> str:
    return str(duo.find_element('[role="tab"][aria-selected="true"]').text)


def test_links_carry_the_window_shown_and_the_tab(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings, "?windows=0:0,-1:1&show=-1:1&tab=caar")
    until(lambda: _active_tab(dash_duo) == "CAAR", "the CAAR tab from the link")
    assert dash_duo.find_element("#focus-window").get_attribute("value") == "[−1, +1]"
    _drawn(dash_duo, "caar", "the CAAR chart")
    dash_duo.wait_for_contains_text("#dollar-headline", "[−1, +1]")
    click_tab(dash_duo, "Tests")
    until(lambda: "tab=tests" in dash_duo.driver.current_url, "the tab in the URL")
    _pick(dash_duo, "#focus-window", "day 0")
    until(lambda: "show=" not in dash_duo.driver.current_url, "the first window: no show=")
    assert "tab=tests" in dash_duo.driver.current_url
    dash_duo.wait_for_contains_text("#tests-panel", "CAAR day 0")
    # A link copied while the page showed pasted text: the study, and a note, not a blank.
    dash_duo.driver.get(dash_duo.server_url + "/?article=&date=2024-08-05&tab=abnormal")
    dash_duo.wait_for_contains_text(
        "#article-view", "shared from pasted text", timeout=BROWSER_TIMEOUT
    )
    dash_duo.wait_for_contains_text(
        "#study-summary", "Day 0 Mon 05 Aug 2024", timeout=BROWSER_TIMEOUT
    )
    until(lambda: _active_tab(dash_duo) == "Abnormal returns", "the tab from the link")
    _drawn(dash_duo, "abnormal_returns", "the abnormal returns of the linked study")
    screenshot(dash_duo, "link-from-pasted-text")
    assert dash_duo.get_logs() == []


_CHART_TEXT = "return document.querySelector(arguments[0]).textContent"


def test_the_placebo_row_follows_the_first_charts(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings, "?date=2024-08-05&tab=tests")
    tests = '[id*=\'"type":"figure"\'][id*=\'"name":"tests"\'] .js-plotly-plot'
    dash_duo.wait_for_contains_text(
        "#study-summary", "Day 0 Mon 05 Aug 2024", timeout=BROWSER_TIMEOUT
    )
    until(
        lambda: "Placebo" in dash_duo.driver.execute_script(_CHART_TEXT, tests),
        "the placebo row of the tests",
    )
    assert dash_duo.find_element("#placebo-status").text == ""
    _pick(dash_duo, "#placebo", "Off")
    until(lambda: "placebo=0" in dash_duo.driver.current_url, "placebo=0 in the URL")
    until(
        lambda: "Placebo" not in dash_duo.driver.execute_script(_CHART_TEXT, tests),
        "the tests without placebo",
    )
    screenshot(dash_duo, "placebo-off")
    assert dash_duo.get_logs() == []


_RECT = "return document.querySelector(arguments[0]).getBoundingClientRect().toJSON()"


def test_headline_and_first_chart_are_in_view_at_1600_by_1000(
    dash_duo: DashComposite, settings: Settings
) -> None:
    dash_duo.driver.set_window_size(1600, 1000)
    start_dashboard(dash_duo, settings)
    _drawn(dash_duo, "price_paths", "the price chart")
    dash_duo.wait_for_contains_text("#dollar-headline", "These stocks lost $")
    height = dash_duo.driver.execute_script("return window.innerHeight")
    assert dash_duo.driver.execute_script("return window.scrollY") == 0
    headline = dash_duo.driver.execute_script(_RECT, "#dollar-headline")
    price = '[id*=\'"type":"figure"\'][id*=\'"name":"price_paths"\'] .main-svg'
    chart = dash_duo.driver.execute_script(_RECT, price)
    assert headline["bottom"] < height
    assert chart["top"] < height and min(chart["bottom"], height) - chart["top"] > 0.8 * (
        chart["bottom"] - chart["top"]
    ), (chart, height)
    # The day-0 label stays clear of the legend.
    label = dash_duo.driver.execute_script(
        "return [...document.querySelectorAll(arguments[0] + ' .annotation')]"
        ".find(a => a.textContent.startsWith('Day 0')).getBoundingClientRect().toJSON()",
        price.removesuffix(" .main-svg"),
    )
    legend = dash_duo.driver.execute_script(_RECT, price.replace(".main-svg", ".legend"))
    assert label["right"] < legend["left"], (label, legend)
    summary = dash_duo.find_element("#study-summary").text
    assert "(cross-sectional t-test p < 0.001) across 46 firms" in summary
    screenshot(dash_duo, "first-view-1600x1000")
    assert dash_duo.get_logs() == []
