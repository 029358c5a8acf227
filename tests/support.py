"""Shared test helpers: where the read-only shared data lives (``../shared`` or
``AFTERSHOCK_SHARED``), stores and processes for the job tests, the dashboard in a browser, and
Dash callback requests over HTTP (also used by ``bench/``). Fixtures live in ``conftest.py``;
plain helpers live here."""

from __future__ import annotations

import contextlib
import http.server
import io
import json
import os
import socket
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

if TYPE_CHECKING:
    from dash.testing.composite import DashComposite
    from selenium.webdriver.remote.webelement import WebElement

    from analytics.data.store import PriceStore
    from app.dashboard.state import ViewState
    from app.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("AFTERSHOCK_SHARED", REPO.parent / "shared")).resolve()
MARKET_DATA = SHARED / "market-data"
DEEPSEEK_PACK = MARKET_DATA / "deepseek-universe.parquet"
US_PACK = MARKET_DATA / "us-equities-daily.parquet"
NEWS = SHARED / "news"
REFERENCE = SHARED / "reference"
AFTERSHOCK = Path(sys.executable).with_name("aftershock")
"""The installed ``aftershock`` command of the running interpreter."""
FILLED_UNTIL = "2025-06-30"
"""Last day :func:`fill_store` imports by default."""


def deepseek_prices() -> pd.DataFrame:
    """The DeepSeek pack's adjusted closes, wide (one column per ticker, dates as index), for
    :class:`~analytics.data.memory.MemoryPrices`."""
    wide = pd.read_parquet(DEEPSEEK_PACK).pivot(index="date", columns="ticker", values="adj_close")
    return wide.set_axis(pd.DatetimeIndex(wide.index).astype("datetime64[ns]"), axis=0)


def french_zip(table: pd.DataFrame) -> bytes:
    """``table`` (decimal ``MKT_RF, SMB, HML, RF`` by date) as Kenneth French's zipped daily CSV:
    percent values, ``YYYYMMDD`` rows under a header whose first field is empty."""
    lines = ["Made for the tests.", "", ",Mkt-RF,SMB,HML,RF"]
    for day, row in table.iterrows():
        values = ",".join(f"{100 * v:.14f}" for v in row.to_numpy())
        lines.append(f"{pd.Timestamp(day):%Y%m%d},{values}")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("F-F_Research_Data_Factors_daily.CSV", "\n".join(lines) + "\n")
    return buffer.getvalue()


@contextlib.contextmanager
def serving(pages: Mapping[str, bytes]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering each path of ``pages`` with its bytes (any other
    path: 500); yields its base URL, e.g. ``http://127.0.0.1:41234``."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path)
            if body is None:
                self.send_error(500, "broken page")
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A free local TCP port (dash's runner counts up from 58050 in every process: clashes)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- stores and processes of the job tests -------------------------------------------------------


CHIPS_CONFIG = """
[watchlists]
chips = ["NVDA", "AMD", "AVGO", "MU", "TSM"]

[[studies]]
name = "chips"
watchlist = "chips"
event_date = 2025-01-27
placebo = 0
"""
"""A project config with one saved study of five chip makers (no placebo, for speed)."""


SAVED_STUDIES_CONFIG = """
[watchlists]
chips = ["NVDA", "AMD", "AVGO", "MU", "TSM"]

[[studies]]
name = "chips"
watchlist = "chips"
event_date = 2025-01-27
windows = ["0:0", "-1:1"]
placebo = 0

[[studies]]
name = "broken"
tickers = ["ZZZZ"]
event_date = 2025-01-27
placebo = 0

[[schedules]]
name = "after-close"
cron = "30 16 * * 1-5"
"""
"""A config of the saved-studies drawer: a study that runs, one that fails, a schedule."""


def fill_store(root: Path, until: str = FILLED_UNTIL) -> PriceStore:
    """A store holding the DeepSeek pack up to ``until``."""
    from analytics.data.sources.files import read_pack
    from analytics.data.store import PriceStore

    pack = read_pack(DEEPSEEK_PACK)
    store = PriceStore(root)
    store.upsert(pack[pack["date"] <= until])
    return store


def us_store(root: Path, start: str, end: str) -> PriceStore:
    """A store holding every ticker of the US pack from ``start`` to ``end`` (one upsert of
    the pack's positive closes; the dashboard's own import, ticker batch by batch, takes
    minutes)."""
    import duckdb

    from analytics.data.store import PriceStore

    rows = duckdb.sql(
        f"SELECT ticker, date, adj_close FROM read_parquet('{US_PACK}') "
        f"WHERE date BETWEEN DATE '{start}' AND DATE '{end}' AND adj_close > 0"
    ).df()
    store = PriceStore(root)
    store.upsert(rows, origin=str(US_PACK))
    return store


def cli_env(store: Path) -> dict[str, str]:
    """Environment of a real ``aftershock`` process: offline, DeepSeek pack as the only source."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFTERSHOCK_")}
    return env | {
        "AFTERSHOCK_HOME": str(store),
        "AFTERSHOCK_DATA": str(DEEPSEEK_PACK),
        "AFTERSHOCK_OFFLINE": "1",
    }


# -- the dashboard in headless Chromium (dash_duo; fixtures in tests/app/dashboard/conftest.py) --

BROWSER_TIMEOUT = 90.0
"""An upper bound for waits in the browser: studies re-run under a loaded 2-core CI machine."""
ARTIFACTS = REPO / "test-artifacts"
"""Screenshots of the main views, for a human to look at."""
BROWSER_MARKS = [
    pytest.mark.browser,
    # selenium 4.2 calls urllib3 APIs that urllib3 1.26 deprecates.
    pytest.mark.filterwarnings("ignore:HTTPResponse.getheader:DeprecationWarning"),
    # dash_duo stops its threaded test server by raising SystemExit in the request threads
    # still open at teardown: that is the harness shutting down, not a failure of the app.
    pytest.mark.filterwarnings(
        "ignore:Exception in thread:pytest.PytestUnhandledThreadExceptionWarning"
    ),
    # ... and when that SystemExit lands inside a gc callback (hypothesis installs one), Python
    # reports it as unraisable: the same harness shutdown, not a failure of the app.
    pytest.mark.filterwarnings(
        "ignore:Exception ignored in.*gc_callback:pytest.PytestUnraisableExceptionWarning"
    ),
]
"""``pytestmark`` of a browser test module."""


_TREE_PARTS = ("title", "label", "children")


def component_nodes(component: Any) -> Iterator[Any]:
    """Every Dash component of a tree (in children, titles and labels), depth first."""
    from dash.development.base_component import Component

    if isinstance(component, list | tuple):
        for child in component:
            yield from component_nodes(child)
    elif isinstance(component, Component):
        yield component
        for part in _TREE_PARTS:
            yield from component_nodes(getattr(component, part, None))


def component_texts(component: Any, parts: Sequence[str] = ("title", "children")) -> Iterator[str]:
    """Every string of a Dash tree: texts and titles (and the other ``parts``, e.g. labels)."""
    from dash.development.base_component import Component

    if isinstance(component, str):
        yield component
    elif isinstance(component, list | tuple):
        for child in component:
            yield from component_texts(child, parts)
    elif isinstance(component, Component):
        for part in parts:
            yield from component_texts(getattr(component, part, None), parts)


def component_text(component: Any, parts: Sequence[str] = ("title", "children")) -> str:
    """The strings of a Dash tree joined by spaces."""
    return " ".join(component_texts(component, parts))


def demo_settings(store: Path) -> Settings:
    """Offline settings over the shared demo data (pack, news, reference) and a store."""
    from app.settings import Settings

    return Settings(
        store=store, data_pack=MARKET_DATA, news=NEWS, reference=REFERENCE, offline=True
    )


def until(condition: Callable[[], object], what: str, timeout: float = BROWSER_TIMEOUT) -> None:
    """Wait until ``condition()`` is true; an AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except Exception:  # stale elements while React re-renders: try again
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def start_dashboard(
    duo: DashComposite, settings: Settings, query: str = "", **options: Any
) -> None:
    """Serve ``create_app(settings, **options)``, open ``/`` + ``query`` and wait for a study."""
    from app.dashboard.app import create_app

    duo.start_server(create_app(settings, **options), port=free_port())
    if query:
        duo.driver.get(duo.server_url + "/" + query)
    duo.wait_for_contains_text("#study-summary", "firms", timeout=BROWSER_TIMEOUT)


def click_tab(duo: DashComposite, label: str) -> None:
    """Click the tab labelled ``label``."""
    tab = next(t for t in duo.find_elements('[role="tab"]') if t.text == label)
    tab.click()


def screenshot(duo: DashComposite, name: str, element: WebElement | None = None) -> None:
    """Save ``test-artifacts/<name>.png``, scrolled to ``element`` if given."""
    ARTIFACTS.mkdir(exist_ok=True)
    if element is not None:
        duo.driver.execute_script("arguments[0].scrollIntoView()", element)
        time.sleep(0.3)
    duo.driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


# -- Dash callback requests over HTTP, as the renderer sends them (tests and bench/) -------------


def control_values(state: ViewState) -> dict[str, Any]:
    """``"<control id>.value"`` → the value showing ``state``, as a callback request holds them."""
    from app.dashboard.features.controls import CONTROLS, controls_of

    return {f"{CONTROLS[k]}.value": v for k, v in controls_of(state).items()}


def _component_id(raw: str) -> Any:
    return json.loads(raw) if raw.startswith("{") else raw


def callback_body(
    callback: Mapping[str, Any], values: Mapping[str, Any], changed: Sequence[str]
) -> dict[str, Any]:
    """The JSON body of ``POST /_dash-update-component`` for ``callback`` (an entry of
    ``/_dash-dependencies``), with ``values`` by ``"<id>.<property>"`` and the ``changed`` ones."""
    from dash._utils import clean_property_name, split_callback_id

    def dep(d: Mapping[str, Any]) -> dict[str, Any]:
        key = f"{d['id']}.{d['property']}"
        return {"id": _component_id(d["id"]), "property": d["property"], "value": values.get(key)}

    parsed = split_callback_id(callback["output"])
    outputs = [
        {"id": _component_id(t["id"]), "property": clean_property_name(t["property"])}
        for t in (parsed if isinstance(parsed, list) else [parsed])
    ]
    return {
        "output": callback["output"],
        "outputs": outputs if isinstance(parsed, list) else outputs[0],
        "inputs": [dep(d) for d in callback["inputs"]],
        "state": [dep(d) for d in callback["state"]],
        "changedPropIds": list(changed),
    }


def background_answer(
    post: Callable[[dict[str, str]], dict[str, Any]],
    *,
    timeout: float = 120.0,
    interval: float = 0.05,
) -> dict[str, Any]:
    """Start a Dash background callback and poll it until it answers, as the renderer does.

    ``post(handles)`` sends the callback's request with the query parameters ``handles`` (none
    to start the job, then its ``cacheKey`` and ``job``) and returns the JSON answer; the
    answer holding ``"response"`` is returned.
    """
    job = post({})
    handles = {"cacheKey": str(job["cacheKey"]), "job": str(job["job"])}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = post(handles)
        if "response" in answer:
            return answer
        time.sleep(interval)
    raise TimeoutError(f"the background callback did not answer within {timeout:g} s")
