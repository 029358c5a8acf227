"""Benchmark of the dashboard through the real server: first render and callback latency.

Run ``python bench/dashboard.py [--changes N] [--loads N]`` from the repository root. It starts
the production server (``python -m waitress --call app.dashboard.app:create_server``, behind no
login: ``AFTERSHOCK_TRUSTED_PROXY_AUTH=1`` on 127.0.0.1) on a fresh store
filled from ``../shared`` (offline), then measures

a. first render: headless Chromium opens the page until the article, the study summary and the
   price chart are drawn; the first load with an empty browser cache, then warm loads (the
   server runs the demo study at start, so every load finds it cached). Target: < 2 s.
b. a 50-ticker study change, by HTTP POSTs to ``/_dash-update-component`` exactly as the browser
   sends them: the state callback (validate, URL, cache look-up), the background study (POST,
   then polling until the result is ready, including the worker process start) and the ten
   render callbacks (summary, dollar headline, grid, tests, six figures), fired in parallel as
   the browser does. Each change moves the estimation window, so no result is cached.
   Target: p95 < 300 ms per callback.
c. the same changes again (cached results): state callback plus render callbacks.

Timings are wall-clock on this machine with whatever else runs on it (the load average is
printed).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import requests

# Runnable from a checkout without installing the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.dashboard.state import DEFAULT_STATE, ViewState, to_query  # noqa: E402
from tests.support import (  # noqa: E402
    background_answer,
    callback_body,
    control_values,
    free_port,
)

SHARED = Path(os.environ.get("AFTERSHOCK_SHARED", REPO.parent / "shared")).resolve()
EXTRA = ("AAPL", "IBM", "INTC", "TXN")
"""Added to the 46-ticker demo universe for a 50-ticker study."""
TARGET_RENDER_S = 2.0
TARGET_CALLBACK_MS = 300.0


def demo_env(store: Path) -> dict[str, str]:
    """Environment of an offline Aftershock process on ``store`` with the shared demo data."""
    return dict(os.environ) | {
        "AFTERSHOCK_HOME": str(store),
        "AFTERSHOCK_DATA": str(SHARED / "market-data"),
        "AFTERSHOCK_NEWS": str(SHARED / "news"),
        "AFTERSHOCK_REFERENCE": str(SHARED / "reference"),
        "AFTERSHOCK_OFFLINE": "1",
        # The server listens on 127.0.0.1 only; the benchmark measures the app, not the login.
        "AFTERSHOCK_TRUSTED_PROXY_AUTH": "1",
    }


@contextmanager
def server(store: Path, *, threads: int = 8, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """The dashboard under waitress on a free port; yields its URL.

    ``env`` adds environment variables (e.g. ``AFTERSHOCK_CONFIG``) to :func:`demo_env`.
    """
    port = free_port()
    environment = demo_env(store) | dict(env or {})
    # `python -m waitress` is waitress-serve, also in a venv that has no scripts of its own.
    command = [
        sys.executable,
        "-m",
        "waitress",
        "--host",
        "127.0.0.1",
        f"--port={port}",
        f"--threads={threads}",
        # As app.dashboard.app recommends: every browser keeps up to 6 connections open.
        "--connection-limit=500",
    ]
    log = open(store / "server.log", "wb")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [*command, "--call", "app.dashboard.app:create_server"],
        cwd=REPO,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        started = time.monotonic()
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited; see {store / 'server.log'}")
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                if time.monotonic() - started > 120:
                    raise RuntimeError("server did not start within 120 s") from None
                time.sleep(0.2)
        print(f"server up in {time.monotonic() - started:.1f} s (demo data imported)")
        yield url
    finally:
        process.terminate()
        process.wait(10)
        log.close()


# -- first render ------------------------------------------------------------------------------


def first_render(url: str, loads: int) -> list[float]:
    """Seconds from navigation to a fully drawn demo page, per load (the first with an empty
    browser cache)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.common.by import By

    options = Options()
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.add_argument("--window-size=1600,1200")
    driver = webdriver.Chrome(options=options)
    times = []
    try:
        for _ in range(loads):
            driver.get("about:blank")
            start = time.monotonic()
            driver.get(url)
            while True:
                try:
                    summary = driver.find_element(By.ID, "study-summary").text
                    drawn = driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg")
                    article = driver.find_elements(By.CSS_SELECTOR, "#article-view h2")
                    if "firms" in summary and drawn and article:
                        break
                except Exception:  # the DOM changes under us while React renders
                    pass
                if time.monotonic() - start > 60:
                    raise RuntimeError("the page did not render within 60 s")
                time.sleep(0.02)
            times.append(time.monotonic() - start)
    finally:
        driver.quit()
    return times


# -- callbacks over HTTP -----------------------------------------------------------------------


class Client:
    """Loads the page and posts callback requests the way the Dash renderer does.

    One client is one browser: it keeps its own HTTP session (connection reuse, auth).
    """

    def __init__(self, url: str, session: requests.Session | None = None) -> None:
        self.url = url
        self.session = session or requests.Session()
        self.end_id = ""
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.load_times = self.load()
        """Wall times of the page load's requests (page, layout, dependencies)."""

    def get(self, path: str) -> tuple[requests.Response, float]:
        """GET ``path``; returns the response (HTTP errors raise) and its wall time."""
        start = time.monotonic()
        response = self.session.get(self.url + path, timeout=120)
        elapsed = time.monotonic() - start
        response.raise_for_status()
        return response, elapsed

    def load(self) -> list[float]:
        """What a page load requests: the page, its layout and the callback graph; timings."""
        page, t_page = self.get("/")
        config = re.search(
            r'<script id="_dash-config" type="application/json">(.*?)</script>', page.text
        )
        if config is None:
            raise RuntimeError("no _dash-config in the page")
        self.end_id = json.loads(config.group(1))["end_id"]
        _, t_layout = self.get("/_dash-layout")
        deps, t_deps = self.get("/_dash-dependencies")
        self.callbacks = {c["output"]: c for c in deps.json()}
        return [t_page, t_layout, t_deps]

    def find(self, fragment: str) -> dict[str, Any]:
        """The callback whose output spec contains ``fragment``."""
        matches = [c for out, c in self.callbacks.items() if fragment in out]
        if len(matches) != 1:
            raise RuntimeError(f"{len(matches)} callbacks output {fragment!r}")
        return matches[0]

    def post(
        self,
        callback: dict[str, Any],
        values: dict[str, Any],
        changed: list[str],
        handles: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], float]:
        """POST one callback request (with a background job's ``handles``); returns the JSON
        answer and its wall time in seconds."""
        body = callback_body(callback, values, changed)
        start = time.monotonic()
        response = self.session.post(
            f"{self.url}/_dash-update-component",
            params={"endId": self.end_id, **(handles or {})},
            json=body,
            timeout=120,
        )
        elapsed = time.monotonic() - start
        response.raise_for_status()
        return (response.json() if response.content else {}), elapsed


def study_change(
    client: Client, state: ViewState, previous: ViewState, key: str | None
) -> dict[str, Any]:
    """One change of the estimation window: returns the timings and the new study key."""
    sync = client.find("url.search")
    values = control_values(state) | {
        "url.search": to_query(previous),
        "run-button.n_clicks": 0,
        "study-key.data": key,
        "focus-window.value": "0:0",
    }
    answer, t_sync = client.post(sync, values, ["estimation-start.value"])
    response = answer["response"]
    timings: dict[str, Any] = {"sync": t_sync, "run": 0.0}
    new_key = response.get("study-key", {}).get("data")
    request = response.get("run-request", {}).get("data")
    if request is not None:
        background = client.find("results-alert.children..")
        start = time.monotonic()
        answer = background_answer(
            lambda handles: client.post(
                background, {"run-request.data": request}, ["run-request.data"], handles
            )[0],
            interval=0.02,
        )
        timings["run"] = time.monotonic() - start
        new_key = answer["response"]["study-key"]["data"]
    if not new_key:
        raise RuntimeError(f"no study key for {to_query(state)}")
    render = [c for out, c in client.callbacks.items() if _renders_study(c)]
    values = {
        "study-key.data": new_key,
        "focus-window.value": "0:0",
        "article-select.value": state.article,
        "article-text.value": "",
    }
    start = time.monotonic()
    with ThreadPoolExecutor(len(render)) as pool:
        results = list(pool.map(lambda c: client.post(c, values, ["study-key.data"])[1], render))
    timings["render_wall"] = time.monotonic() - start
    timings["render"] = results
    timings["key"] = new_key
    return timings


def _renders_study(callback: dict[str, Any]) -> bool:
    inputs = {(d["id"], d["property"]) for d in callback["inputs"]}
    return ("study-key", "data") in inputs and not callback.get("background")


def percentile(values: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) by linear interpolation."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def report(name: str, seconds: list[float], target_ms: float | None = None) -> None:
    """One line: median, p95 and max in milliseconds, and the target verdict."""
    ms = [s * 1000 for s in seconds]
    verdict = ""
    if target_ms is not None:
        verdict = "  ok" if percentile(ms, 0.95) < target_ms else f"  ABOVE {target_ms:.0f} ms"
    print(
        f"  {name:<34} n={len(ms):<4} median {statistics.median(ms):7.1f} ms   "
        f"p95 {percentile(ms, 0.95):7.1f} ms   max {max(ms):7.1f} ms{verdict}"
    )


def run_changes(client: Client, changes: int, label: str) -> list[dict[str, Any]]:
    base = replace(DEFAULT_STATE, tickers=EXTRA)
    previous, key = DEFAULT_STATE, None
    out = []
    for i in range(changes):
        state = replace(base, estimation=(-250 + i, -11))
        timings = study_change(client, state, previous, key)
        previous, key = state, timings["key"]
        out.append(timings)
    sync = [t["sync"] for t in out]
    runs = [t["run"] for t in out if t["run"]]
    render = [r for t in out for r in t["render"]]
    total = [t["sync"] + t["run"] + t["render_wall"] for t in out]
    print(f"{label} ({len(out)} changes of a 50-ticker study):")
    report("state callback", sync, TARGET_CALLBACK_MS)
    if runs:
        report("background study (POST + polls)", runs, TARGET_CALLBACK_MS)
    report("render callbacks (each)", render, TARGET_CALLBACK_MS)
    report("render callbacks (10 in parallel)", [t["render_wall"] for t in out])
    report("whole change, end to end", total)
    return out


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20, help="study changes to time")
    parser.add_argument("--loads", type=int, default=6, help="page loads to time")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="aftershock-bench-") as tmp, server(Path(tmp)) as url:
        times = first_render(url, args.loads)
        print("first render (navigation → article, summary and chart drawn):")
        print(f"  first load, empty browser cache:    {times[0]:.2f} s")
        report("warm loads", times[1:], TARGET_RENDER_S * 1000)
        client = Client(url)
        run_changes(client, args.changes, "uncached studies")
        run_changes(client, args.changes, "cached studies")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
