"""Aftershock analytics: market data, the local price store and the event-study engine.

The front door a notebook needs: a spec, the study service (or the pure engine), the result, the
store, fetching from the sources, and the errors.

>>> from analytics import PriceStore, StudySpec, run_study
>>> spec = StudySpec.create(tickers="NVDA,AVGO", date="2025-01-27")  # doctest: +SKIP
>>> print(run_study(spec, PriceStore("store")).summary())  # doctest: +SKIP

Packages: :mod:`analytics.data` (schema, store, fetch log, sync, sources, factors, reference),
:mod:`analytics.study` (spec, returns, models, significance, engine, result) and
:mod:`analytics.news` (articles, cleaning, dates, companies); modules :mod:`analytics.errors`,
:mod:`analytics.calendar`, :mod:`analytics.atomic` and :mod:`analytics.tickers` are used by all.

May import: the standard library and the scientific stack; never ``app``.
"""

from analytics.data.sources import Source, SourceResult
from analytics.data.sources.files import DataPackSource
from analytics.data.sources.yahoo import YahooSource
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch
from analytics.errors import (
    AftershockError,
    DataError,
    InsufficientDataError,
    SourceError,
    SpecError,
    StoreError,
    UnknownTickerError,
)
from analytics.study.engine import data_requirements, run_study
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec

__all__ = [
    "AftershockError",
    "DataError",
    "DataPackSource",
    "FetchReport",
    "InsufficientDataError",
    "PriceStore",
    "Source",
    "SourceError",
    "SourceResult",
    "SpecError",
    "StoreError",
    "StudyResult",
    "StudySpec",
    "UnknownTickerError",
    "YahooSource",
    "data_requirements",
    "fetch",
    "run_study",
]
