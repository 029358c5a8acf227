"""Market data: the price schema, the local store and its fetch log, sources, sync, factors.

Modules: :mod:`~analytics.data.schema` (the one validation of price rows; :class:`ValidatedPrices`),
:mod:`~analytics.data.store` (:class:`PriceStore`, Parquet + DuckDB),
:mod:`~analytics.data.snapshot` (the store's manifest, year files, writer lock and commit),
:mod:`~analytics.data.cells` (the store's cell queries and argument checks),
:mod:`~analytics.data.fetchlog` (what was already asked of which source),
:mod:`~analytics.data.sync` (fill the store from the source chain store → pack → Yahoo),
:mod:`~analytics.data.sources` (Yahoo Finance, data-pack files),
:mod:`~analytics.data.factors` (Fama-French/Carhart, factor files, ETF proxies),
:mod:`~analytics.data.reference` (S&P 500 constituents, sectors, market caps, aliases) and
:mod:`~analytics.data.memory` (an in-memory price provider for tests, benches and notebooks).

May import: the standard library, numpy/pandas/pyarrow/duckdb, :mod:`analytics.calendar`,
:mod:`analytics.atomic`, :mod:`analytics.errors` and :mod:`analytics.tickers`; never
``analytics.study``, ``analytics.news`` or ``app``.
"""

from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch

__all__ = ["FetchReport", "PriceStore", "fetch"]
