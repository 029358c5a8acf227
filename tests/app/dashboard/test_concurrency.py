"""The dashboard keeps answering while another process writes the same store.

A writer thread runs real ``aftershock data import`` (new months of prices) and ``aftershock
refresh`` (saved runs) processes one after the other, while the dashboard (Flask test client,
the same requests the browser sends) loads the page, changes the study, runs it through the
background-callback protocol, draws the summary, grid and price chart, and reads the saved runs.
Every response must be a valid answer, never an error.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pandas as pd
import pytest
from flask.testing import FlaskClient

from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from app.config import load_config
from app.dashboard.app import create_app
from app.dashboard.state import DEFAULT_STATE, ViewState, to_query
from app.settings import Settings
from tests.support import (
    AFTERSHOCK,
    CHIPS_CONFIG,
    DEEPSEEK_PACK,
    NEWS,
    REFERENCE,
    background_answer,
    callback_body,
    cli_env,
    control_values,
    fill_store,
)

pytestmark = pytest.mark.slow

CHIPS = ("NVDA", "AMD", "AVGO", "MU", "TSM")
MONTHS = ("2025-07", "2025-08", "2025-09", "2025-10")


class Callbacks:
    """Dash callback requests over a Flask test client, built from ``/_dash-dependencies``."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.callbacks = json.loads(client.get("/_dash-dependencies").data)

    def find(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        (callback,) = [c for c in self.callbacks if match(c)]
        return callback

    def post(
        self, callback: dict[str, Any], values: dict[str, Any], changed: str, query: str = ""
    ) -> dict[str, Any]:
        body = callback_body(callback, values, [changed])
        response = self.client.post(f"/_dash-update-component{query}", json=body)
        assert response.status_code in (200, 204), response.data[:500]
        return json.loads(response.data) if response.status_code == 200 else {}

    def background(
        self, callback: dict[str, Any], values: dict[str, Any], changed: str
    ) -> dict[str, Any]:
        """Start a background callback and poll it until it answers (as the renderer does)."""

        def post(handles: dict[str, str]) -> dict[str, Any]:
            return self.post(callback, values, changed, "?" + urlencode(handles) if handles else "")

        response: dict[str, Any] = background_answer(post)["response"]
        return response


def _writer(store: Path, config: Path, tmp: Path, stop: threading.Event, log: list[str]) -> None:
    """Import a month of prices, then refresh; repeat until every month is in, or stopped."""
    env = cli_env(store)
    pack = read_pack(DEEPSEEK_PACK)
    for month in MONTHS:
        if stop.is_set():
            return
        chunk = tmp / f"{month}.parquet"
        pack[pack["date"].dt.strftime("%Y-%m") == month].to_parquet(chunk)
        for args in (
            ["data", "import", str(chunk)],
            ["refresh", "--config", str(config), "--no-export"],
        ):
            done = subprocess.run(
                [str(AFTERSHOCK), *args], env=env, capture_output=True, text=True, timeout=300
            )
            log.append(f"{' '.join(args[:2])}: exit {done.returncode} {done.stderr[-300:]}")


def test_dashboard_serves_while_a_separate_process_writes(tmp_path: Path) -> None:
    store = tmp_path / "store"
    fill_store(store)
    config_path = tmp_path / "aftershock.toml"
    config_path.write_text(CHIPS_CONFIG)
    settings = Settings(
        store=store, data_pack=DEEPSEEK_PACK, news=NEWS, reference=REFERENCE, offline=True
    )
    app = create_app(settings, prepare=False, config=load_config(config_path))
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    calls = Callbacks(client)
    sync = calls.find(lambda c: "url.search" in c["output"])
    run = calls.find(lambda c: bool(c.get("background")) and "study-key" in c["output"])
    summary = calls.find(lambda c: c["output"] == "study-summary.children")
    grid = calls.find(lambda c: "results-grid.rowData" in c["output"])
    prices = calls.find(lambda c: '"price_paths"' in c["output"])
    status = calls.find(lambda c: "runs-status.children" in c["output"])
    history = calls.find(lambda c: "runs-grid.rowData" in c["output"])

    stop = threading.Event()
    log: list[str] = []
    writer = threading.Thread(
        target=_writer, args=(store, config_path, tmp_path, stop, log), daemon=True
    )
    writer.start()
    rounds = 0
    previous = DEFAULT_STATE
    deadline = time.monotonic() + 240
    try:
        while writer.is_alive() and time.monotonic() < deadline:
            state = ViewState(
                preset="custom",
                tickers=CHIPS,
                estimation=(-250 + rounds % 3, -11),
                windows=((0, 0), (-1, 1)),
            )
            assert client.get("/_dash-layout").status_code == 200
            values = control_values(state) | {
                "url.search": to_query(previous),
                "run-button.n_clicks": 0,
                "study-key.data": None,
                "focus-window.value": "0:0",
                "results-tabs.value": "prices",
            }
            answer = calls.post(sync, values, "estimation-start.value")["response"]
            assert answer["controls-alert"]["children"] is None
            key = answer.get("study-key", {}).get("data")
            request = answer.get("run-request", {}).get("data")
            if request is not None:
                done = calls.background(run, {"run-request.data": request}, "run-request.data")
                assert done["results-alert"]["children"] is None, done
                key = done["study-key"]["data"]
            assert key
            shown = {
                "study-key.data": key,
                "article-select.value": None,
                "article-text.value": "",
                "results-tabs.value": "prices",
                "focus-window.value": "0:0",
                "placebo-key.data": None,
            }
            text = json.dumps(calls.post(summary, shown, "study-key.data"))
            assert "across 5 firms" in text
            on_grid = shown | {"results-tabs.value": "grid"}  # drawn when its tab shows
            table = calls.post(grid, on_grid, "study-key.data")["response"]
            assert len(table["results-grid"]["rowData"]) == 5
            figure = calls.post(prices, shown, "study-key.data")["response"]
            assert figure['{"name":"price_paths","type":"figure"}']["figure"]["data"]
            panel = calls.post(status, {"runs-drawer.opened": True}, "runs-drawer.opened")
            assert "Last refresh" in json.dumps(panel) or "No refresh" in json.dumps(panel)
            runs = calls.post(history, {"runs-study.value": "chips"}, "runs-study.value")
            assert isinstance(runs["response"]["runs-grid"]["rowData"], list)
            previous = state
            rounds += 1
    finally:
        stop.set()
        writer.join(300)
    assert not writer.is_alive()
    assert all("exit 0" in line for line in log), log
    assert len(log) == 2 * len(MONTHS)
    assert rounds >= 3, rounds
    stored = PriceStore(store).prices(["NVDA"])
    assert pd.Timestamp(stored["date"].max()) >= pd.Timestamp("2025-10-01")
