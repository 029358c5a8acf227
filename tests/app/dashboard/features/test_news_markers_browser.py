"""News on the price chart, in headless Chromium: a click on a news marker opens its article in
the pane and the study on screen stays."""

from __future__ import annotations

from dash.testing.composite import DashComposite
from selenium.webdriver.common.action_chains import ActionChains

from app.settings import Settings
from tests.support import BROWSER_MARKS, BROWSER_TIMEOUT, screenshot, start_dashboard

pytestmark = BROWSER_MARKS

# A link shared from pasted text: no article open, the study of NVDA and AMD on 27 January.
QUERY = "?article=&date=2025-01-27&timing=before_open&preset=custom&tickers=NVDA,AMD"


def test_a_click_on_a_news_marker_opens_its_article(
    dash_duo: DashComposite, settings: Settings
) -> None:
    start_dashboard(dash_duo, settings, QUERY)
    wait = dash_duo.wait_for_contains_text
    wait("#study-summary", "Day 0 Mon 27 Jan 2025", timeout=BROWSER_TIMEOUT)
    graph = '[id*="price_paths"] .js-plotly-plot'
    wait(graph, "News", timeout=BROWSER_TIMEOUT)  # the legend entry of the markers
    # The News trace is the last one drawn; its one point is the DeepSeek article on NVDA.
    point = dash_duo.find_element(f"{graph} .scatterlayer .trace:last-of-type .point")
    ActionChains(dash_duo.driver).move_to_element(point).click().perform()
    wait("#article-view", "DeepSeek's Market Jolt", timeout=BROWSER_TIMEOUT)
    url = dash_duo.driver.current_url
    assert "article=deepseek-market-jolt.txt" in url
    assert "tickers=NVDA,AMD" in url and "date=2025-01-27" in url  # the study stayed
    screenshot(dash_duo, "news-marker-opens-its-article")
    assert dash_duo.get_logs() == []
