"""Aftershock analytics: market data, the local price store and the event-study engine.

The front door a notebook needs: a spec, the study service (or the pure engine), the result, the
store, fetching from the sources, and the errors.

>>> from analytics import StudySpec, Workspace
>>> workspace = Workspace.open("store", offline=True)  # doctest: +SKIP
>>> spec = StudySpec.create(tickers="NVDA,AVGO", date="2025-01-27")  # doctest: +SKIP
>>> result = workspace.run(spec)  # doctest: +SKIP
>>> print(result.summary())  # doctest: +SKIP

An article proposes its own study and has its claims checked:
:func:`~analytics.article_study.propose_study` and :func:`~analytics.article_study.analyze_article`.

Without a store, :func:`run_study` (the pure engine) runs on any price provider, e.g.
:class:`MemoryPrices` over a frame of closes.

Packages: :mod:`analytics.data` (schema, store, fetch log, sync, sources, factors, reference),
:mod:`analytics.study` (spec, returns, models, significance, engine, result) and
:mod:`analytics.news` (articles, cleaning, dates, companies); modules :mod:`analytics.errors`,
:mod:`analytics.calendar`, :mod:`analytics.atomic` and :mod:`analytics.tickers` are used by all.

May import: the standard library and the scientific stack; never ``app``.
"""

from analytics.article_study import analyze_article, propose_study
from analytics.data.memory import MemoryPrices
from analytics.data.sources import Source, SourceResult
from analytics.data.sources.files import DataPackSource
from analytics.data.sources.yahoo import YahooSource
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch
from analytics.errors import (
    AftershockError,
    ConfigError,
    DataError,
    InsufficientDataError,
    RenderError,
    SourceError,
    SpecError,
    StoreError,
    UnknownTickerError,
)
from analytics.study.engine import data_requirements, run_study
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace

__all__ = [
    "AftershockError",
    "ConfigError",
    "DataError",
    "DataPackSource",
    "FetchReport",
    "InsufficientDataError",
    "MemoryPrices",
    "PriceStore",
    "RenderError",
    "Source",
    "SourceError",
    "SourceResult",
    "SpecError",
    "StoreError",
    "StudyResult",
    "StudySpec",
    "UnknownTickerError",
    "Workspace",
    "YahooSource",
    "analyze_article",
    "data_requirements",
    "fetch",
    "propose_study",
    "run_study",
]
