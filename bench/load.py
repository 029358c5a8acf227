"""Load test: simulated users on the production server while a refresh process writes the store.

Run ``python bench/load.py [--seconds 60] [--users 20] [--threads 8]`` from the repository root.
It starts the production server (``waitress-serve --call app.dashboard.app:create_server``, threads
``--threads``) on 127.0.0.1 with the offline DeepSeek demo and ``examples/aftershock.toml`` as its
project config, keeps ``aftershock refresh --config examples/aftershock.toml --no-export``
running in a loop in a separate process on the same store, and drives ``--users`` simulated
users, one thread and one ``requests.Session`` each, for ``--seconds``. A user repeatedly

1. loads the page (``/``, ``/_dash-layout``, ``/_dash-dependencies``) and opens the Saved-studies
   drawer (status callback, run history of a study);
2. changes the study (the state callback) to one of eight views;
3. runs it when it is not cached, through the background-callback protocol (POST, then polls
   every 100 ms, as the renderer does);
4. draws it: the ten render callbacks (summary, dollar headline, grid, tests, six charts), six at
   a time as a browser does over its six connections;
5. thinks for ``--think`` seconds on average (exponential) before the next action.

It prints requests served, latency percentiles per kind and overall, errors (HTTP errors,
exceptions, callbacks answering with an error) and how many refreshes completed. Targets: no
errors, p95 < 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import requests

# Runnable from a checkout without installing the package.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.dashboard.state import DEFAULT_STATE, ViewState, to_query  # noqa: E402
from bench.dashboard import (  # noqa: E402
    Client,
    _renders_study,
    demo_env,
    percentile,
    server,
)
from tests.support import background_answer, control_values  # noqa: E402

CONFIG = REPO / "examples" / "aftershock.toml"
TARGET_P95_S = 1.0
BROWSER_CONNECTIONS = 6
POLL_S = 0.1

VIEWS: tuple[ViewState, ...] = tuple(
    replace(DEFAULT_STATE, **change)
    for change in (
        {},
        {"windows": ((0, 0), (-1, 1))},
        {"windows": ((0, 0), (-10, 10))},
        {"model": "market_adjusted"},
        {"model": "constant_mean"},
        {"estimation": (-200, -11)},
        {"tickers": ("AAPL", "IBM")},
        {"benchmark": "QQQ"},
    )
)
"""The views users switch between: each is run once, then served from the result cache until a
refresh changes the stored prices."""


@dataclass
class Stats:
    """Every request's wall time by kind, and every error; shared by the user threads."""

    times: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    studies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.times[kind].append(seconds)

    def error(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


def _check(answer: dict[str, Any], what: str) -> dict[str, Any]:
    """The callback's response; a missing one is an error (the server failed the callback)."""
    if "response" not in answer:
        raise RuntimeError(f"{what}: no response in {str(answer)[:200]}")
    response: dict[str, Any] = answer["response"]
    return response


class User:
    """One simulated user: a browser session going through the loop of the module docstring."""

    def __init__(self, url: str, stats: Stats, seed: int, think: float) -> None:
        self.url = url
        self.stats = stats
        self.random = random.Random(seed)
        self.think = think
        self.session = requests.Session()
        self.client: Client | None = None
        self.view = DEFAULT_STATE
        self.key: str | None = None

    def run(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                self.step()
            except Exception as exc:  # a load test counts failures and goes on
                self.stats.error(f"{type(exc).__name__}: {exc}"[:300])
            time.sleep(min(self.random.expovariate(1 / self.think), 5.0))

    def step(self) -> None:
        if self.client is None or self.random.random() < 0.15:
            self.page_load()
        else:
            self.change_study()

    def page_load(self) -> None:
        # A reload reuses the browser's connections.
        self.client = Client(self.url, self.session)
        kinds = ("page", "layout", "dependencies")
        for kind, seconds in zip(kinds, self.client.load_times, strict=True):
            self.stats.add(kind, seconds)
        opened = {"runs-drawer.opened": True}
        answer, seconds = self.client.post(
            self.client.find("runs-status.children"), opened, ["runs-drawer.opened"]
        )
        _check(answer, "saved-studies status")
        self.stats.add("saved studies", seconds)
        history = self.client.find("runs-grid.rowData")
        answer, seconds = self.client.post(
            history, {"runs-study.value": "deepseek-chips"}, ["runs-study.value"]
        )
        _check(answer, "run history")
        self.stats.add("saved studies", seconds)

    def change_study(self) -> None:
        assert self.client is not None
        client = self.client
        view = self.random.choice(VIEWS)
        values = control_values(view) | {
            "url.search": to_query(self.view),
            "run-button.n_clicks": 0,
            "study-key.data": self.key,
            "focus-window.value": "0:0",
        }
        answer, seconds = client.post(client.find("url.search"), values, ["model.value"])
        self.stats.add("state", seconds)
        response = _check(answer, "state")
        alert = response.get("controls-alert", {}).get("children")
        if alert:
            raise RuntimeError(f"state callback refused a valid view: {str(alert)[:200]}")
        key = response.get("study-key", {}).get("data")
        request = response.get("run-request", {}).get("data")
        if request is not None:
            key = self.run_study(request)
        self.view = view
        if key:
            self.key = key
            self.draw(key)

    def run_study(self, request: dict[str, Any]) -> str:
        assert self.client is not None
        client = self.client
        background = client.find("results-alert.children..")
        values = {"run-request.data": request}
        start = time.monotonic()

        def post(handles: dict[str, str]) -> dict[str, Any]:
            answer, seconds = client.post(background, values, ["run-request.data"], handles)
            self.stats.add("study poll" if handles else "study start", seconds)
            if handles and not answer:
                raise RuntimeError("a study poll answered 204: the job was lost or cancelled")
            return answer

        response = background_answer(post, interval=POLL_S)["response"]
        self.stats.studies.append(time.monotonic() - start)
        problem = response.get("results-alert", {}).get("children")
        if problem:
            raise RuntimeError(f"study failed: {str(problem)[:200]}")
        key: str = response["study-key"]["data"]
        return key

    def draw(self, key: str) -> None:
        assert self.client is not None
        client = self.client
        render = [c for c in client.callbacks.values() if _renders_study(c)]
        values = {
            "study-key.data": key,
            "focus-window.value": "0:0",
            "article-select.value": self.view.article,
            "article-text.value": "",
        }

        def one(callback: dict[str, Any]) -> None:
            answer, seconds = client.post(callback, values, ["study-key.data"])
            self.stats.add("render", seconds)
            _check(answer, f"render {callback['output'][:40]}")

        with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
            list(pool.map(one, render))


def refresh_loop(store: Path, stop: threading.Event, done: list[int]) -> None:
    """``aftershock refresh`` on the demo config, again and again until ``stop``."""
    command = [
        str(Path(sys.executable).with_name("aftershock")),
        "refresh",
        "--config",
        str(CONFIG),
        "--no-export",
    ]
    while not stop.is_set():
        finished = subprocess.run(
            command, env=demo_env(store), capture_output=True, text=True, timeout=600
        )
        done.append(finished.returncode)


def report(stats: Stats, seconds: float) -> None:
    everything = [t for times in stats.times.values() for t in times]
    print(
        f"requests served: {len(everything)} in {seconds:.0f} s ({len(everything) / seconds:.1f}/s)"
    )
    print(f"  {'kind':<16}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, times in sorted(stats.times.items(), key=lambda kv: -len(kv[1])):
        ms = [t * 1000 for t in times]
        print(
            f"  {kind:<16}{len(ms):>6}{statistics.median(ms):>10.0f}"
            f"{percentile(ms, 0.95):>10.0f}{max(ms):>10.0f}"
        )
    ms = [t * 1000 for t in everything]
    p95 = percentile(ms, 0.95)
    verdict = "ok" if p95 < TARGET_P95_S * 1000 else f"ABOVE {TARGET_P95_S * 1000:.0f} ms"
    print(
        f"  {'all':<16}{len(ms):>6}{statistics.median(ms):>10.0f}{p95:>10.0f}{max(ms):>10.0f}"
        f"  {verdict}"
    )
    if stats.studies:
        print(
            f"studies run: {len(stats.studies)}, median {statistics.median(stats.studies):.1f} s, "
            f"max {max(stats.studies):.1f} s (POST to result, polls included)"
        )
    print(f"errors: {len(stats.errors)}")
    for message, count in Counter(stats.errors).most_common(5):
        print(f"  {count} x {message}")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60, help="how long users keep going")
    parser.add_argument("--users", type=int, default=20, help="simultaneous simulated users")
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads (>= 8)")
    parser.add_argument("--think", type=float, default=1.0, help="mean think time, seconds")
    args = parser.parse_args(argv)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="aftershock-load-") as tmp:
        store = Path(tmp)
        with server(store, threads=args.threads, env={"AFTERSHOCK_CONFIG": str(CONFIG)}) as url:
            stop = threading.Event()
            refreshes: list[int] = []
            refresher = threading.Thread(target=refresh_loop, args=(store, stop, refreshes))
            refresher.start()
            stats = Stats()
            users = [User(url, stats, seed, args.think) for seed in range(args.users)]
            start = time.monotonic()
            deadline = start + args.seconds
            threads = [threading.Thread(target=u.run, args=(deadline,)) for u in users]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.monotonic() - start
            stop.set()
            refresher.join()
        print(
            f"{args.users} users, {args.threads} server threads, think {args.think:g} s; "
            f"refreshes completed meanwhile: {len(refreshes)} (exit codes {sorted(set(refreshes))})"
        )
        report(stats, elapsed)
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
