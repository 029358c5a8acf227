"""One path from a study spec to a result: make sure the store has the prices, then run.

Shared by the CLI (`study`, `export`), the dashboard and the scheduled refresh, so every entry
point fetches the same data and computes the same numbers. Factor models read a user's factor
file, or Kenneth French's data library cached under ``<store>/factors/`` (offline: the cache only).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import cast

import pandas as pd

from analytics import calendar
from analytics.data.factors import (
    FRENCH_FILES,
    FactorModel,
    FrenchModel,
    french_factors,
    load_factors,
)
from analytics.data.reference import sp500_market_caps
from analytics.data.sources import Source
from analytics.data.sources.files import DataPackSource
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch
from analytics.errors import SourceError, SpecError
from analytics.study.engine import data_requirements, run_study
from analytics.study.result import StudyResult
from analytics.study.spec import FACTOR_MODELS, StudySpec
from app.settings import Settings

__all__ = ["ensure_prices", "factors_for", "market_caps", "run", "sources_for"]

log = logging.getLogger(__name__)

CHART_SESSIONS = 10
"""Sessions shown on the price chart before and after the event windows."""


def sources_for(settings: Settings) -> list[Source]:
    """The source chain after the store: the data pack when configured, then Yahoo when online."""
    chain: list[Source] = []
    if settings.data_pack is not None:
        chain.append(DataPackSource(settings.data_pack))
    if not settings.offline:
        from analytics.data.sources.yahoo import YahooSource

        chain.append(YahooSource(cache_dir=settings.store / "yfinance-cache"))
    return chain


def market_caps(reference: Path | None) -> pd.DataFrame | None:
    """Market caps for the dollar impact (S&P 500 snapshot), or None without reference data."""
    if reference is None or not reference.is_dir():
        return None
    return sp500_market_caps(reference)


def _offline_download(url: str) -> bytes:
    raise SourceError("offline (AFTERSHOCK_OFFLINE) and no cached copy")


def factors_for(
    spec: StudySpec, settings: Settings, path: Path | None = None
) -> pd.DataFrame | None:
    """Factor returns for the spec's factor model, or None when the engine needs none.

    A user's file (``path``) serves any factor model; otherwise ff3, ff5 and carhart come from
    Kenneth French's data library through the cache ``<store>/factors/``, and etf_factors is left
    to the engine (built from stored ETF prices).

    Raises
    ------
    SpecError
        ``path`` given for a model without factors.
    SourceError
        The library is unreachable (or offline) and nothing is cached.
    """
    if path is not None:
        if spec.model not in FACTOR_MODELS:
            raise SpecError(
                f"--factors: model {spec.model} uses no factor returns; pass --model ff3, ff5, "
                "carhart or etf_factors, or leave out --factors"
            )
        return load_factors(cast(FactorModel, spec.model), path=path)
    if spec.model not in FRENCH_FILES:
        return None
    return french_factors(
        cast(FrenchModel, spec.model),
        cache_dir=settings.store,
        download=_offline_download if settings.offline else None,
    )


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
    # A few sessions past the last window so the price chart shows the aftermath too.
    chart_end = calendar.offset(end, CHART_SESSIONS) if end < pd.Timestamp.today() else end
    end = min(chart_end, pd.Timestamp.today().normalize())
    return fetch(store, tickers, start, end, sources=sources, progress=progress)


def run(
    spec: StudySpec,
    settings: Settings,
    *,
    progress: Callable[[int, int], None] | None = None,
    factors_file: Path | None = None,
) -> tuple[StudyResult, FetchReport]:
    """Fetch what is missing, then run the study on the store (factors: see :func:`factors_for`)."""
    store = PriceStore(settings.store)
    caps = market_caps(settings.reference)
    factors = factors_for(spec, settings, factors_file)
    report = ensure_prices(spec, store, sources_for(settings), caps=caps, progress=progress)
    if report.missing:
        log.info("no source had prices for %s", ", ".join(sorted(report.missing)))
    return run_study(spec, store, market_caps=caps, factors=factors), report
