"""The "All US stocks" page in headless Chromium: thousands of firms in the header, the
aggregated treemap opened on a sector and closed again, and a grid that keeps its rows across
tab switches; the page answers throughout.

Screenshots go to ``test-artifacts/`` (``dashboard-allus*.png``, the page at 1600×1000)."""

from __future__ import annotations

import re
import time

import pytest
from dash.testing.composite import DashComposite

from app.settings import Settings
from tests.support import (
    BROWSER_MARKS,
    NEWS,
    REFERENCE,
    US_PACK,
    click_tab,
    screenshot,
    start_dashboard,
    until,
    us_store,
)

pytestmark = BROWSER_MARKS

LINK = "?preset=allus&date=2025-01-27&placebo=0"
SPAN = ("2023-12-01", "2025-03-14")
RESPONSIVE_S = 5.0
"""A click on the treemap or a tab is answered well within this (the page stays usable)."""


@pytest.fixture(scope="module")
def market_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A store holding the whole US pack around the DeepSeek day, and no data pack."""
    if not US_PACK.is_file():
        pytest.skip(f"US pack not found at {US_PACK}")
    root = tmp_path_factory.mktemp("market-store")
    us_store(root, *SPAN)
    return Settings(store=root, data_pack=None, news=NEWS, reference=REFERENCE, offline=True)


_SLICES = """
return Array.from(document.querySelectorAll('.results .treemaplayer g.slice'))
    .map(g => g.textContent);
"""
_CLICK_TILE = """
const [label, inPathbar] = arguments;
// A tile is a g.slice; the path bar above a sector opened is a row of g.pathbar.
const tiles = document.querySelectorAll(
    inPathbar ? '.results .treemaplayer g.pathbar' : '.results .treemaplayer g.slice');
const slice = Array.from(tiles).find(g => g.textContent.startsWith(label));
if (!slice) { return false; }
// A sector's own area is its header band (its firms cover the rest): click there.
const box = slice.getBoundingClientRect();
const [x, y] = [box.left + 12, box.top + 8];
const target = document.elementFromPoint(x, y);
for (const type of ['mouseover', 'mousedown', 'mouseup', 'click']) {
    target.dispatchEvent(new MouseEvent(type, {bubbles: true, clientX: x, clientY: y}));
}
return true;
"""


def _answers(duo: DashComposite) -> float:
    """Seconds the page takes to run a script: the main thread is free."""
    started = time.monotonic()
    assert duo.driver.execute_script("return 1 + 1") == 2
    return time.monotonic() - started


def test_all_us_stocks_opens_drills_into_a_sector_and_back(
    dash_duo: DashComposite, market_settings: Settings
) -> None:
    dash_duo.driver.set_window_size(1600, 1000)
    start_dashboard(dash_duo, market_settings, LINK)
    until(
        lambda: re.search(r"across \d,\d{3} firms", dash_duo.find_element("#study-summary").text),
        "the all-US header",
    )
    until(lambda: dash_duo.find_elements(".results .scatterlayer .trace"), "the price bands")
    screenshot(dash_duo, "dashboard-allus")

    click_tab(dash_duo, "Sectors & dollars")
    until(lambda: len(dash_duo.driver.execute_script(_SLICES)) > 20, "the treemap")
    tiles = dash_duo.driver.execute_script(_SLICES)
    assert any("more firms" in t for t in tiles), "each sector's other firms as one tile"
    assert len(tiles) < 300, "the treemap draws the largest firms, not thousands"
    assert any(t.startswith("Energy") for t in tiles)
    screenshot(dash_duo, "dashboard-allus-sectors", dash_duo.find_element(".results"))

    # Into Technology: its firms fill the map, the other sectors are gone, the path bar leads back.
    started = time.monotonic()
    assert dash_duo.driver.execute_script(_CLICK_TILE, "Technology", False)
    until(
        lambda: not any(t.startswith("Energy") for t in dash_duo.driver.execute_script(_SLICES)),
        "the Technology sector opened",
        timeout=RESPONSIVE_S,
    )
    assert time.monotonic() - started < RESPONSIVE_S
    time.sleep(1.0)  # the zoom's transition
    screenshot(dash_duo, "dashboard-allus-technology", dash_duo.find_element(".results"))
    assert _answers(dash_duo) < 1.0

    assert dash_duo.driver.execute_script(_CLICK_TILE, "All firms", True)
    until(
        lambda: any(t.startswith("Energy") for t in dash_duo.driver.execute_script(_SLICES)),
        "back to every sector",
        timeout=RESPONSIVE_S,
    )

    # The grid gets its rows once; leaving its tab and coming back keeps them.
    click_tab(dash_duo, "Results grid")
    until(lambda: dash_duo.find_elements("#results-grid .ag-row"), "the grid's rows")
    click_tab(dash_duo, "Prices")
    until(lambda: dash_duo.find_elements(".results .scatterlayer .trace"), "the price chart")
    started = time.monotonic()
    click_tab(dash_duo, "Results grid")
    until(
        lambda: dash_duo.find_elements("#results-grid .ag-row"),
        "the grid's rows again",
        timeout=RESPONSIVE_S,
    )
    assert time.monotonic() - started < RESPONSIVE_S
    rows = dash_duo.driver.execute_script(
        "return document.querySelectorAll('#results-grid .ag-row').length"
    )
    assert 0 < rows < 200, "the grid renders the rows in view, not thousands"
    assert _answers(dash_duo) < 1.0
    assert dash_duo.get_logs() == []
