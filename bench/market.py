"""The dashboard's answer for the "All US stocks" universe, warm.

Run ``python bench/market.py [--store DIR] [--runs 5]`` from the repository root. On first use
the store (default ``bench/out/market-store``) is filled from the US pack the way the dashboard
fills it (:meth:`app.dashboard.market.MarketUniverse.ensure`: a few minutes once).

What one answer is, as the dashboard's cache and service compute it (``DashboardData``, the
callbacks' functions): the view's members and study run (``DashboardData.run`` without the
placebo, as the run job does: members from the store, the spec, the engine, the result cache
write), the header summary, the six study charts of the results tabs (``render_chart``, each
serialized to JSON as Dash sends it) and the grid's rows (``grid_table``, serialized too).
"First view" is the part of it the page shows first: the study, the header, the dollar
headline and the Prices tab's chart (the other tabs draw when opened, the grid's rows too).
Each measured answer is a new study (the event dates of the DeepSeek week, so no result cache
helps), on a warm server: prices imported, data files decoded, the news matcher built, one
answer computed before. Then the same answers again from the result cache (what a revisit
costs). Printed: each answer's parts, the median and maximum, and the load average before
and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import plotly.io as pio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.charts.figures import CHARTS  # noqa: E402
from app.dashboard.cache import DashboardData  # noqa: E402
from app.dashboard.features.results import (  # noqa: E402
    dollar_headline,
    grid_table,
    render_chart,
    summary,
)
from app.dashboard.state import ViewState, from_query  # noqa: E402
from app.settings import Settings  # noqa: E402

SHARED = REPO.parent / "shared"
DEFAULT_STORE = REPO / "bench/out/market-store"
WARM_UP = "2025-01-24"
DAYS = ("2025-01-27", "2025-01-28", "2025-01-29", "2025-01-30", "2025-01-31", "2025-02-03")
TARGET_S = 1.0


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def answer(data: DashboardData, state: ViewState) -> dict[str, float]:
    """Seconds of each part of the dashboard's answer for ``state``."""
    times: dict[str, float] = {}
    started = time.perf_counter()
    key = data.run(state, placebo=False)
    times["study"] = time.perf_counter() - started
    mark = time.perf_counter()
    summary(data, key)
    dollar_headline(data, key, None)
    for name in CHARTS:
        fig = render_chart(data, name, key=key, focus=None, selected=None, text=None)
        pio.to_json(fig, validate=False)
        if name == "price_paths":  # what the page first shows: header and the Prices tab
            times["first view"] = time.perf_counter() - started
    times["charts"] = time.perf_counter() - mark
    mark = time.perf_counter()
    _, rows, _ = grid_table(data, key)
    pio.json.to_json_plotly(rows)
    times["grid"] = time.perf_counter() - mark
    times["total"] = time.perf_counter() - started
    times["firms"] = float(len(rows))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=DEFAULT_STORE)
    parser.add_argument("--runs", type=int, default=5, help=f"at most {len(DAYS)}")
    args = parser.parse_args()
    days = DAYS[: max(1, min(args.runs, len(DAYS)))]
    args.store.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        store=args.store,
        data_pack=SHARED / "market-data",
        news=SHARED / "news",
        reference=SHARED / "reference",
        offline=True,
    )
    data = DashboardData(settings, cache_dir=Path(tempfile.mkdtemp(prefix="aftershock-bench-")))
    states = {d: from_query(f"?preset=allus&date={d}")[0] for d in (WARM_UP, *days)}
    started = time.perf_counter()
    for state in states.values():  # the prices of every measured day, imported once
        data.market.ensure(state)
    print(f"prices in the store: {time.perf_counter() - started:.1f} s")
    data.news_markers(())  # the news matcher, built once at server start (prepare_demo)
    warm = answer(data, states[WARM_UP])
    print(f"warm-up {WARM_UP}: {warm['total']:.2f} s, {int(warm['firms']):,} firms")

    print(f"load average before: {_load()}")
    fresh = []
    for day in days:
        parts = answer(data, states[day])
        fresh.append(parts)
        print(
            f"  {day}: {parts['total']:.3f} s (study {parts['study']:.3f}, first view "
            f"{parts['first view']:.3f}, charts {parts['charts']:.3f}, grid {parts['grid']:.3f}; "
            f"{int(parts['firms']):,} firms)"
        )
    cached = [answer(data, states[day])["total"] for day in days]
    print(f"load average after: {_load()}")
    for what, values in (
        ("new study, whole answer", [p["total"] for p in fresh]),
        ("new study, first view", [p["first view"] for p in fresh]),
        ("cached study, whole answer", cached),
    ):
        median, worst = statistics.median(values), max(values)
        verdict = "met" if worst < TARGET_S else "not met"
        print(f"{what}: median {median:.2f} s, max {worst:.2f} s (< {TARGET_S:g} s: {verdict})")


if __name__ == "__main__":
    main()
