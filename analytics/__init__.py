"""Aftershock analytics: market data, the local price store and the event-study engine.

>>> from analytics import PriceStore, StudySpec, run_study
>>> spec = StudySpec.create(tickers="NVDA,AVGO", date="2025-01-27")  # doctest: +SKIP
>>> print(run_study(spec, PriceStore("store")).summary())  # doctest: +SKIP
"""

from analytics.errors import (
    AftershockError,
    DataError,
    InsufficientDataError,
    SourceError,
    SpecError,
    StoreError,
    UnknownTickerError,
)
from analytics.result import StudyResult
from analytics.spec import StudySpec
from analytics.store import PriceStore
from analytics.study import data_requirements, run_study

__all__ = [
    "AftershockError",
    "DataError",
    "InsufficientDataError",
    "PriceStore",
    "SourceError",
    "SpecError",
    "StoreError",
    "StudyResult",
    "StudySpec",
    "UnknownTickerError",
    "data_requirements",
    "run_study",
]
