"""The one study service: a spec in; prices fetched, factors loaded, the study run.

A :class:`Workspace` holds what every entry point shares: the price store, the source chain after
it (built once), the reference folder (market caps, sectors), the factor cache and whether the
network may be used. The CLI, the dashboard and the scheduled refresh all run studies through
one, so they fetch the same data, use the same factors and compute the same numbers; the engine
(:func:`analytics.study.engine.run_study`) stays pure and does no I/O of its own.

>>> from analytics.data.memory import MemoryPrices
>>> from analytics.calendar import sessions
>>> import numpy as np, pandas as pd
>>> days = sessions("2024-01-02", "2025-03-31")
>>> rng = np.random.default_rng(0)
>>> wide = pd.DataFrame(
...     100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 2)), axis=0)),
...     index=days, columns=["SPY", "NVDA"])
>>> workspace = Workspace(MemoryPrices(wide), offline=True)
>>> result = workspace.run(StudySpec.create(tickers="NVDA", date="2025-01-27", placebo=0))
>>> result.firms["status"].tolist()
['ok']
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.data.factors import (
    ETF_PROXY_TICKERS,
    FRENCH_FILES,
    FactorModel,
    FrenchModel,
    french_factors,
    load_factors,
)
from analytics.data.reference import sec_companies, sectors, sp500_market_caps
from analytics.data.sources import Source
from analytics.data.sources.files import DataPackSource
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport, fetch
from analytics.errors import AftershockError, InsufficientDataError, SourceError, SpecError
from analytics.study.engine import PriceProvider, Progress, data_requirements, run_study
from analytics.study.engine.chunked import CHUNK_SIZE, ChunkedResult, Mapper, run_study_chunked
from analytics.study.reasons import explain_exclusions
from analytics.study.result import STATUS_OK, StudyResult
from analytics.study.spec import FACTOR_MODELS, StudySpec, window_key

__all__ = ["CHART_SESSIONS", "FetchProgress", "Workspace", "default_sources"]

logger = logging.getLogger(__name__)

CHART_SESSIONS = 10
"""Sessions of prices kept around the event windows, so price charts show the aftermath."""

FetchProgress = Callable[[int, int], None]
"""Callback ``(requests done, requests planned)`` of a fetch."""


def default_sources(
    store: Path, *, data_pack: Path | None = None, offline: bool = False
) -> tuple[Source, ...]:
    """The source chain after the store: the data pack when given, then Yahoo unless offline.

    Yahoo's own HTTP cache lives in ``<store>/yfinance-cache``.
    """
    chain: list[Source] = []
    if data_pack is not None:
        chain.append(DataPackSource(data_pack))
    if not offline:
        from analytics.data.sources.yahoo import YahooSource

        chain.append(YahooSource(cache_dir=store / "yfinance-cache"))
    return tuple(chain)


class Workspace:
    """Where studies get their prices, factors, market caps and sectors.

    Parameters
    ----------
    store
        The price store (any :class:`~analytics.study.engine.PriceProvider` when no source is
        given, e.g. :class:`~analytics.data.memory.MemoryPrices`).
    sources
        The chain consulted, in order, for prices the store lacks (see :func:`default_sources`).
    reference
        Folder of the reference tables (S&P 500 snapshot, SEC lists), for market caps and
        sectors; None for neither.
    factor_cache
        Folder whose ``factors/`` subfolder caches Kenneth French's zips; default the store
        directory (so ``<store>/factors``). None with a store that has no directory: no cache.
    offline
        Never use the network: French factors come from the cache only.
    factors_file
        A user's factor file, used by every factor model instead of the library.
    extra_sectors
        Sector labels for tickers the reference tables do not know (e.g. foreign listings).
    download
        ``url -> bytes`` for Kenneth French's library (default ``urllib``); tests inject one.

    Examples
    --------
    >>> workspace = Workspace.open(Path("store"), offline=True)  # doctest: +SKIP
    >>> workspace.run(StudySpec.create(tickers="NVDA", date="2025-01-27"))  # doctest: +SKIP
    """

    def __init__(
        self,
        store: PriceStore | PriceProvider,
        *,
        sources: Sequence[Source] = (),
        reference: Path | None = None,
        factor_cache: Path | None = None,
        offline: bool = False,
        factors_file: Path | None = None,
        extra_sectors: Mapping[str, str] | None = None,
        download: Callable[[str], bytes] | None = None,
    ) -> None:
        self.store = store
        self.sources = tuple(sources)
        self.reference = reference if reference is not None and reference.is_dir() else None
        root = store.root if isinstance(store, PriceStore) else None
        self.factor_cache = factor_cache if factor_cache is not None else root
        self.offline = offline
        self.factors_file = factors_file
        self._extra_sectors = dict(extra_sectors or {})
        self._download = download

    @classmethod
    def open(
        cls,
        store: Path | str,
        *,
        data_pack: Path | str | None = None,
        reference: Path | str | None = None,
        offline: bool = False,
        factors_file: Path | str | None = None,
        extra_sectors: Mapping[str, str] | None = None,
        download: Callable[[str], bytes] | None = None,
    ) -> Workspace:
        """A workspace over the store directory ``store`` with the default source chain
        (paths may be strings; ``~`` is expanded)."""

        def path(value: Path | str | None) -> Path | None:
            return None if value is None else Path(value).expanduser()

        store = Path(store).expanduser()
        return cls(
            PriceStore(store),
            sources=default_sources(store, data_pack=path(data_pack), offline=offline),
            reference=path(reference),
            offline=offline,
            factors_file=path(factors_file),
            extra_sectors=extra_sectors,
            download=download,
        )

    def __repr__(self) -> str:
        names = ", ".join(getattr(s, "name", type(s).__name__) for s in self.sources) or "none"
        return f"Workspace({self.store!r}, sources: {names}, offline={self.offline})"

    @property
    def offline_reason(self) -> str | None:
        """One note for the user when a network source of the chain is marked unreachable,
        e.g. ``"Yahoo Finance unreachable: using the data pack"``; None otherwise.

        Sources mark themselves (see :attr:`analytics.data.sources.yahoo.YahooSource.unreachable`);
        the detailed reason is logged once, when the mark is made.
        """
        for source in self.sources:
            if getattr(source, "unreachable", None):
                others = [s.name for s in self.sources if s is not source]
                fallback = "the data pack" if "data pack" in others else "the stored prices"
                return f"Yahoo Finance unreachable: using {fallback}"
        return None

    # -- reference data --------------------------------------------------------------------------

    @cached_property
    def market_caps(self) -> pd.DataFrame | None:
        """``ticker, date, market_cap`` of the S&P 500 snapshot, or None without reference data."""
        return None if self.reference is None else sp500_market_caps(self.reference)

    @cached_property
    def sector_labels(self) -> pd.Series:
        """Ticker → sector of the reference tables (empty without reference data)."""
        if self.reference is None:
            return pd.Series(dtype="str")
        return sectors(self.reference)

    @cached_property
    def known_tickers(self) -> frozenset[str]:
        """Tickers the reference tables know (SEC list, S&P 500 snapshot); empty without them.

        A known ticker without prices is "not in the data" (delisted, or absent from the pack),
        not an unknown ticker.
        """
        if self.reference is None:
            return frozenset()
        reference = self.reference
        known: set[str] = set()
        tables: dict[str, Callable[[], Sequence[str]]] = {
            "SEC ticker list": lambda: list(sec_companies(reference)["ticker"].astype(str)),
            "sectors": lambda: list(self.sector_labels.index.astype(str)),
            "market caps": lambda: (
                [] if self.market_caps is None else list(self.market_caps["ticker"].astype(str))
            ),
        }
        for what, tickers in tables.items():
            try:
                known |= set(tickers())
            except AftershockError as exc:
                # Without the table, its tickers without prices stay "unknown ticker".
                logger.warning("%s unavailable: %s", what, exc)
        return frozenset(known)

    def sectors(self, tickers: Sequence[str]) -> pd.Series:
        """Sector of each ticker: the reference tables', then ``extra_sectors``, else
        ``"Unknown"``; indexed by ``ticker`` in the given order."""
        names = pd.Index([str(t) for t in tickers])
        known = self.sector_labels
        known = known[~known.index.duplicated()].astype(object).reindex(names)
        extra = pd.Series(self._extra_sectors, dtype=object).reindex(names)
        labels = known.fillna(extra).fillna("Unknown").astype(str).to_numpy()
        return pd.Series(labels, index=pd.Index(list(tickers), name="ticker"), name="sector")

    def _sectors_for(self, spec: StudySpec) -> pd.Series | None:
        """The sectors a study grouped by sector needs (None: not grouped, or no reference)."""
        if spec.group_by != "sector" or (self.reference is None and not self._extra_sectors):
            return None
        return self.sectors(spec.tickers)

    def market_values(self, result: StudyResult) -> pd.Series:
        """Market value of each firm on the session before its day 0 (USD).

        The snapshot's market cap scaled by the adjusted-price ratio ``P(day −1) / P(snapshot)``
        (shares outstanding taken as constant, as the dollar impact does). Indexed by ticker
        (a firm with several events: its first); firms without a snapshot cap or prices are left
        out.
        """
        caps = self.market_caps
        empty = pd.Series(dtype="float64", name="market_value", index=pd.Index([], name="ticker"))
        if caps is None:
            return empty
        firms = result.firms.drop_duplicates("ticker")
        table = caps.drop_duplicates("ticker", keep="last").set_index("ticker")
        firms = firms[firms["ticker"].isin(table.index)]
        if firms.empty:
            return empty
        tickers = firms["ticker"].astype(str).tolist()
        before = [calendar.previous_session(d) for d in pd.to_datetime(firms["day0"])]
        anchors = pd.to_datetime(table.loc[tickers, "date"]).tolist()
        lo, hi = min(*before, *anchors), max(*before, *anchors)
        panel = self.store.panel(tickers, lo, hi).ffill()
        index = pd.DatetimeIndex(panel.index)
        closes = panel.to_numpy(dtype="float64")
        column = np.arange(len(tickers))

        def price(days: list[pd.Timestamp]) -> np.ndarray:
            """Each firm's last close on or before its day (NaN before the panel starts)."""
            at = np.asarray(pd.DatetimeIndex(days).values)
            rows = index.values.searchsorted(at, side="right") - 1
            found = closes[np.maximum(rows, 0), column]
            return np.where(rows >= 0, found, np.nan)

        cap = table["market_cap"].astype("float64").loc[tickers].to_numpy()
        values = cap * price(before) / price(anchors)
        out = pd.Series(values, index=pd.Index(tickers, name="ticker"), name="market_value")
        return out.dropna()

    # -- prices ----------------------------------------------------------------------------------

    def available_tickers(self) -> set[str] | None:
        """The tickers the store and the sources can price, or None when a source can be asked
        for any ticker (Yahoo Finance online)."""
        listed = getattr(self.store, "tickers", None)
        tickers = set(listed()) if callable(listed) else set()
        for source in self.sources:
            available = getattr(source, "available_tickers", None)
            if not callable(available):
                return None
            tickers |= set(available())
        return tickers

    def requirements(self, spec: StudySpec) -> tuple[list[str], pd.Timestamp, pd.Timestamp]:
        """Tickers and the date range a study reads, widened by :data:`CHART_SESSIONS` around
        its windows for the price chart and capped at today."""
        tickers, start, end = data_requirements(spec, market_caps=self.market_caps)
        day0 = pd.to_datetime(spec.events["day0"])
        first, last = spec.event_span
        today = pd.Timestamp.today().normalize()
        start = min(start, calendar.offset(day0.min(), min(first, 0) - CHART_SESSIONS))
        if end < today:
            end = max(end, calendar.offset(day0.max(), max(last, 0) + CHART_SESSIONS))
        return tickers, start, min(end, today)

    def ensure_prices(
        self, spec: StudySpec, *, progress: FetchProgress | None = None
    ) -> FetchReport:
        """Fetch through the source chain whatever the study needs that the store lacks.

        Without sources nothing is fetched; the report then lists the tickers the store has no
        price of in the study's range.
        """
        tickers, start, end = self.requirements(spec)
        if not self.sources:
            coverage = self.store.coverage(tickers)
            rows = pd.to_numeric(coverage["rows"], errors="coerce").fillna(0)
            absent = coverage.loc[rows.to_numpy() == 0, "ticker"].astype(str)
            return FetchReport(
                rows_written=0, missing=dict.fromkeys(absent, "no source configured")
            )
        if not isinstance(self.store, PriceStore):
            raise SpecError(
                "store: fetching from sources needs a PriceStore; pass sources=() to study the "
                "prices held in memory"
            )
        return fetch(self.store, tickers, start, end, sources=self.sources, progress=progress)

    # -- factors ---------------------------------------------------------------------------------

    def _offline_download(self, url: str) -> bytes:
        raise SourceError(f"offline: no cached copy of {url.rsplit('/', 1)[-1]}")

    def factors(self, spec: StudySpec, *, path: Path | None = None) -> pd.DataFrame | None:
        """Factor returns for the spec's factor model; None when its model uses none.

        A user's file (``path``, else ``factors_file``) serves any factor model; ``etf_factors``
        is built from the stored ETF prices over the study's span; ff3, ff5 and carhart come
        from Kenneth French's data library through the cache (offline: the cache only, never
        the network).

        Raises
        ------
        SpecError
            A factor file given for a model that uses no factor returns (parameter
            ``factors``).
        SourceError
            The library is unreachable (or offline) and nothing is cached.
        """
        file = path if path is not None else self.factors_file
        if spec.model not in FACTOR_MODELS:
            if file is not None:
                raise SpecError(
                    f"factors: model {spec.model} uses no factor returns; choose model ff3, "
                    "ff5, carhart, etf_factors or factors, or give no factor file",
                    parameter="factors",
                )
            return None
        model = cast(FactorModel, spec.model)
        if file is not None or model == "factors":
            return load_factors(model, path=file)
        if model == "etf_factors":
            _, start, end = data_requirements(spec, market_caps=self.market_caps)
            return load_factors(
                model, prices_wide=self.store.panel(list(ETF_PROXY_TICKERS), start, end)
            )
        if model not in FRENCH_FILES:  # pragma: no cover - every factor model is handled above
            return None
        return french_factors(
            cast(FrenchModel, model),
            cache_dir=self.factor_cache,
            download=self._offline_download if self.offline else self._download,
        )

    # -- studies ---------------------------------------------------------------------------------

    def _inputs(
        self,
        spec: StudySpec,
        fetch: bool,
        fetch_progress: FetchProgress | None,
        fetched: Callable[[FetchReport], None] | None,
        factors_file: Path | None,
    ) -> pd.DataFrame | None:
        """Fetch what ``spec`` lacks (if ``fetch``) and load its factors."""
        # ETF-proxy factors are built from prices the fetch brings; the others are loaded first,
        # so an unreachable library fails before a long fetch.
        from_prices = spec.model == "etf_factors" and (factors_file or self.factors_file) is None
        factors = None if from_prices else self.factors(spec, path=factors_file)
        if fetch:
            report = self.ensure_prices(spec, progress=fetch_progress)
            if report.missing:
                logger.info("no source had prices for %s", ", ".join(sorted(report.missing)))
            if fetched is not None:
                fetched(report)
        return self.factors(spec) if from_prices else factors

    def run(
        self,
        spec: StudySpec,
        *,
        fetch: bool = True,
        progress: Progress | None = None,
        fetch_progress: FetchProgress | None = None,
        fetched: Callable[[FetchReport], None] | None = None,
        factors_file: Path | None = None,
    ) -> StudyResult:
        """Fetch what is missing (unless ``fetch`` is false), load the factors, run the study.

        Parameters
        ----------
        spec
            The study.
        fetch
            Consult the sources first (skip it when :meth:`ensure_prices` just ran).
        progress
            The engine's ``(step, fraction)`` callback.
        fetch_progress
            The fetch's ``(requests done, requests planned)`` callback.
        fetched
            Called with the fetch's report (e.g. to show the tickers no source had).
        factors_file
            A factor file for this study (else the workspace's ``factors_file``).
        """
        factors = self._inputs(spec, fetch, fetch_progress, fetched, factors_file)
        try:
            result = run_study(
                spec,
                self.store,
                market_caps=self.market_caps,
                factors=factors,
                volume=self.volume(spec),
                sectors=self._sectors_for(spec),
                progress=progress,
            )
        except InsufficientDataError as exc:
            raise self._prices_end(spec) or exc from exc
        # Only the firm-events left out of a window need their last stored price (the reason
        # "prices end on ..."): one small query, also for thousands of firms.
        flagged = ~(result.window_status == STATUS_OK).all(axis=0)
        excluded = result.events["ticker"].astype(str).to_numpy()[flagged]
        last = self._last_stored([*excluded, spec.benchmark])
        # The benchmark's end bounds every firm's usable prices.
        bench_end = last.get(spec.benchmark)
        ends = {
            t: min(d, bench_end) if bench_end is not None else d
            for t, d in last.items()
            if t != spec.benchmark
        }
        return explain_exclusions(result, known=self.known_tickers, last_stored=ends)

    def run_chunked(
        self,
        spec: StudySpec,
        *,
        folder: Path | None = None,
        chunk_size: int = CHUNK_SIZE,
        mapper: Mapper = map,
        fetch: bool = True,
        fetched: Callable[[FetchReport], None] | None = None,
        factors_file: Path | None = None,
    ) -> ChunkedResult:
        """Like :meth:`run`, out of core (see :mod:`analytics.study.engine.chunked`): the
        per-firm tables go to ``folder``, by default a new folder under the store's
        ``results/``. ``mapper`` runs the chunks (``map``, a process pool's or a Dask client's);
        its workers open the store by its path."""
        factors = self._inputs(spec, fetch, None, fetched, factors_file)
        if folder is None:
            root = getattr(self.store, "root", None)
            if root is None:
                raise SpecError("folder: this price provider has no store folder; pass a folder")
            folder = Path(root) / "results" / f"study-{pd.Timestamp.now():%Y%m%d-%H%M%S-%f}"
        try:
            return run_study_chunked(
                spec, self.store, folder, chunk_size=chunk_size, market_caps=self.market_caps,
                factors=factors, mapper=mapper,
            )  # fmt: skip
        except InsufficientDataError as exc:
            raise self._prices_end(spec) or exc from exc

    def volume(self, spec: StudySpec) -> pd.DataFrame | None:
        """The stored shares traded of the study's firms over its span, wide (dates × tickers);
        None when the store holds no volume for them (data packs carry adjusted closes only) or
        the prices come from a provider that keeps closes only."""
        if not isinstance(self.store, PriceStore):
            return None
        _, start, end = data_requirements(spec)
        if not self.store.holds("volume", start, end):
            return None
        long = self.store.prices(list(spec.tickers), start, end, columns=("volume",))
        long = long[long["volume"].notna()]
        if long.empty:
            return None
        return long.pivot(index="date", columns="ticker", values="volume")

    def _last_stored(self, tickers: Sequence[str]) -> dict[str, pd.Timestamp]:
        """Ticker → date of its last stored price (tickers without any are left out)."""
        coverage = self.store.coverage(list(dict.fromkeys(tickers)))
        last = pd.to_datetime(coverage["last"])
        return {
            str(t): pd.Timestamp(d)
            for t, d in zip(coverage["ticker"], last, strict=True)
            if not pd.isna(d)
        }

    def _prices_end(self, spec: StudySpec) -> InsufficientDataError | None:
        """ "prices end on ..." when the prices end before the study's first event window does
        (e.g. an event date after the data ends); None when that is not why the study failed."""
        last = self._last_stored([*spec.tickers, spec.benchmark])
        firms = [d for t, d in last.items() if t != spec.benchmark]
        if spec.benchmark not in last or not firms:
            return None
        end = min(last[spec.benchmark], max(firms))
        first = pd.to_datetime(spec.events["day0"]).min()
        window = min(spec.windows, key=lambda w: w[1])
        needed = calendar.offset(first, window[1])
        if end >= needed:
            return None
        return InsufficientDataError(
            f"event_date: prices end on {end:%Y-%m-%d}, but event window {window_key(window)} "
            f"of day 0 {first:%Y-%m-%d} ends on {needed:%Y-%m-%d}; pick an earlier event date, "
            "or fetch newer prices",
            parameter="event_date",
        )
