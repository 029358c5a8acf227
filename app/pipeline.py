"""One path from a study spec to a result: make sure the store has the prices, then run.

Shared by the CLI (`study`, `export`), the dashboard and the scheduled refresh, so every entry
point fetches the same data and computes the same numbers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analytics.fetch import FetchReport, fetch
from analytics.reference import sp500_market_caps
from analytics.result import StudyResult
from analytics.sources import Source
from analytics.sources.files import DataPackSource
from analytics.spec import StudySpec
from analytics.store import PriceStore
from analytics.study import data_requirements, run_study
from app.settings import Settings

__all__ = ["ensure_prices", "market_caps", "run", "sources_for"]

log = logging.getLogger(__name__)


def sources_for(settings: Settings) -> list[Source]:
    """The source chain after the store: the data pack when configured, then Yahoo when online."""
    chain: list[Source] = []
    if settings.data_pack is not None:
        chain.append(DataPackSource(settings.data_pack))
    if not settings.offline:
        from analytics.sources.yahoo import YahooSource

        chain.append(YahooSource(cache_dir=settings.store / "yfinance-cache"))
    return chain


def market_caps(reference: Path | None) -> pd.DataFrame | None:
    """Market caps for the dollar impact (S&P 500 snapshot), or None without reference data."""
    if reference is None or not reference.is_dir():
        return None
    return sp500_market_caps(reference)


def ensure_prices(
    spec: StudySpec,
    store: PriceStore,
    sources: list[Source],
    *,
    caps: pd.DataFrame | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Fetch whatever the study needs that the store lacks (a no-op when all is stored)."""
    tickers, start, end = data_requirements(spec, market_caps=caps)
    return fetch(store, tickers, start, end, sources=sources, progress=progress)


def run(
    spec: StudySpec,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[StudyResult, FetchReport]:
    """Fetch what is missing, then run the study on the store."""
    store = PriceStore(settings.store)
    caps = market_caps(settings.reference)
    report = ensure_prices(spec, store, sources_for(settings), caps=caps, progress=progress)
    if report.missing:
        log.info("no source had prices for %s", ", ".join(sorted(report.missing)))
    return run_study(spec, store, market_caps=caps), report
