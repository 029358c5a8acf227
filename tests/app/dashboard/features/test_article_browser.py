"""The article drives the study, in headless Chromium: a link naming an article opens the study
it proposes, with the proposal, the claims checked and a price chart captioned with its news."""

from __future__ import annotations

from dash.testing.composite import DashComposite

from app.settings import Settings
from tests.support import BROWSER_MARKS, BROWSER_TIMEOUT, screenshot, start_dashboard

pytestmark = BROWSER_MARKS


def test_a_link_to_an_article_opens_its_study(dash_duo: DashComposite, settings: Settings) -> None:
    start_dashboard(dash_duo, settings, "?article=tariff-shock-2025-04.txt")
    wait = dash_duo.wait_for_contains_text
    wait("#study-summary", "Day 0 Thu 03 Apr 2025", timeout=BROWSER_TIMEOUT)
    wait("#proposal-view", "Industry peers", timeout=BROWSER_TIMEOUT)
    wait("#claims-panel", "Claims in the article", timeout=BROWSER_TIMEOUT)
    claims = dash_duo.find_element("#claims-panel").text
    assert claims.count("CONSISTENT") == 4 and "NOT CHECKABLE" in claims
    assert "AAPL on Thu 03 Apr 2025 fell 9.25%" in claims
    wait(".js-plotly-plot", "Tariff Announcement Sends Stocks", timeout=BROWSER_TIMEOUT)
    headline = dash_duo.find_element("#dollar-headline").text
    assert "in market value;" in headline and "than the market model predicted" in headline
    url = dash_duo.driver.current_url
    assert "date=2025-04-02" in url and "tickers=AAPL," in url
    screenshot(dash_duo, "article-drives-the-study")
    assert dash_duo.get_logs() == []
