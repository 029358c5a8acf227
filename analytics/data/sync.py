"""Fill the store's missing prices from a chain of sources (data pack first, then Yahoo).

Each source is asked only for what is still missing after the sources before it, and never again
for sessions its fetch log already settles (see :meth:`PriceStore.missing_ranges`). Every answer
is upserted and logged before the next request, so a crash keeps everything fetched so far.

>>> report = fetch(store, ["NVDA", "SPY"], "2024-01-02", "2025-06-30",
...                sources=[DataPackSource(pack), YahooSource()])  # doctest: +SKIP
>>> report.missing  # doctest: +SKIP
{}
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from analytics.calendar import DateLike, parse_date
from analytics.data.schema import ValidatedPrices
from analytics.data.sources import Source
from analytics.data.store import PriceStore
from analytics.errors import DataError, SourceError, SpecError

__all__ = ["FetchReport", "fetch"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class FetchReport:
    """What a :func:`fetch` did.

    Attributes
    ----------
    rows_written
        Rows that were new or changed in the store.
    fetched
        Rows received per ticker (over all sources), for tickers that received any.
    missing
        Tickers without any stored price in the range afterwards, with each source's reason.
    errors
        Failures of sources (``"source: message"``); the chain went on to the next source.
    """

    rows_written: int
    fetched: Mapping[str, int] = field(default_factory=dict)
    missing: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Request:
    """One call of a source: tickers sharing a missing range."""

    source: Source
    tickers: list[str]
    start: pd.Timestamp
    end: pd.Timestamp


def _plan(source: Source, gaps: pd.DataFrame, batch_size: int) -> list[_Request]:
    """Group missing ranges into requests: tickers sharing a range, at most ``batch_size`` each."""
    requests = []
    for _, group in gaps.groupby(["start", "end"], sort=True):
        first, last = pd.Timestamp(group["start"].iloc[0]), pd.Timestamp(group["end"].iloc[0])
        names = group["ticker"].tolist()
        for i in range(0, len(names), batch_size):
            requests.append(_Request(source, names[i : i + batch_size], first, last))
    return requests


@dataclass
class _Run:
    """One fetch in progress: answers not yet stored, and what the report will say."""

    store: PriceStore
    flush_rows: int
    pending: list[tuple[_Request, ValidatedPrices, dict[str, int]]] = field(default_factory=list)
    pending_rows: int = 0
    written: int = 0
    fetched: dict[str, int] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    unreachable: dict[str, str] = field(default_factory=dict)

    def _failed(self, request: _Request, message: str) -> None:
        """Note a failed request once in the errors, and as every ticker's reason."""
        line = f"{request.source.name}: {message}"
        if line not in self.errors:
            self.errors.append(line)
        for ticker in request.tickers:
            self.reasons.setdefault(ticker, []).append(line)

    def ask(self, request: _Request) -> None:
        """Call the source; keep its answer for the next flush, or its failure for the report."""
        name = request.source.name
        if name in self.unreachable:
            self._failed(request, self.unreachable[name])
            return
        try:
            result = request.source.get(request.tickers, request.start, request.end)
            valid = result.valid_prices(origin=name)
        except (SourceError, DataError) as exc:
            if isinstance(exc, SourceError) and exc.parameter == "offline":
                # Unreachable: the source's other requests would fail the same way.
                self.unreachable[name] = str(exc)
            self._failed(request, str(exc))
            return
        rows = valid.frame
        asked = rows["ticker"].isin(request.tickers) & rows["date"].between(
            request.start, request.end
        )
        prices = valid.where(asked)
        rows = prices.frame
        counts = {str(t): int(n) for t, n in rows["ticker"].value_counts().items()}
        span = f"{request.start.date()}..{request.end.date()}"
        for ticker in request.tickers:
            if ticker in counts:
                self.fetched[ticker] = self.fetched.get(ticker, 0) + counts[ticker]
            else:
                why = result.missing.get(ticker, f"no prices {span}")
                self.reasons.setdefault(ticker, []).append(f"{name}: {why}")
        self.pending.append((request, prices, counts))
        self.pending_rows += len(prices)
        if self.pending_rows >= self.flush_rows:
            self.flush()

    def flush(self) -> None:
        """Upsert the pending answers, then log their requests as asked."""
        if self.pending_rows:
            frames = [prices for _, prices, _ in self.pending]
            self.written += self.store.upsert(ValidatedPrices.concat(frames), origin="fetch")
        for request, _, counts in self.pending:
            self.store.record_fetch(
                request.tickers, request.start, request.end, source=request.source.name, rows=counts
            )
        self.pending, self.pending_rows = [], 0

    def report(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> FetchReport:
        covered = self.store.coverage(tickers, start=start, end=end)
        missing = {
            t: "; ".join(self.reasons.get(t, []))
            or "every source was asked before and had no prices"
            for t in covered.loc[covered["rows"] == 0, "ticker"]
        }
        return FetchReport(
            rows_written=self.written,
            fetched=self.fetched,
            missing=missing,
            errors=tuple(self.errors),
        )


def _ranges(gaps: pd.DataFrame, shown: int = 5) -> str:
    """Missing ranges as text: ``NVDA 2025-01-28..2025-02-10, ... and 3 more``."""
    text = [
        f"{t} {pd.Timestamp(a).date()}..{pd.Timestamp(b).date()}"
        for t, a, b in gaps[["ticker", "start", "end"]].head(shown).itertuples(index=False)
    ]
    more = f" and {len(gaps) - shown:,} more" if len(gaps) > shown else ""
    return ", ".join(text) + more


def fetch(
    store: PriceStore,
    tickers: Sequence[str],
    start: DateLike,
    end: DateLike,
    *,
    sources: Sequence[Source],
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 100,
    flush_rows: int = 200_000,
) -> FetchReport:
    """Fetch the prices of ``tickers`` over ``[start, end]`` that the store lacks.

    Parameters
    ----------
    store
        The store to fill.
    tickers
        Symbols to fetch (upper-cased).
    start, end
        Inclusive date range.
    sources
        Sources to consult in order; each is asked only for ranges still missing.
    progress
        Called after each request with (requests done, requests planned so far); the total
        grows when a later source is planned.
    batch_size
        Most tickers per request.
    flush_rows
        Answers are upserted (and their requests logged) once this many rows are pending, and
        before moving to the next source; a crash loses at most that many downloaded rows.

    Returns
    -------
    FetchReport
        Rows written, rows per fetched ticker, tickers left without prices and source errors.
    """
    lo, hi = parse_date(start, name="start"), parse_date(end, name="end")
    if lo > hi:
        raise SpecError(f"start: {lo.date()} is after end {hi.date()}; pass start <= end")
    if batch_size < 1 or flush_rows < 1:
        raise SpecError(f"batch_size, flush_rows: {batch_size}, {flush_rows} must be at least 1")
    names = list(dict.fromkeys(str(t).strip().upper() for t in tickers))
    if not sources:
        # Only what the store lacks needs a source: a complete store answers offline.
        gaps = store.missing_ranges(names, lo, hi)
        if len(gaps):
            raise SpecError(
                f"sources: none given, and the store lacks {_ranges(gaps)}; pass a data "
                "pack or Yahoo Finance source"
            )
    run = _Run(store, flush_rows)
    done = planned = 0
    for source in sources:
        requests = _plan(
            source, store.missing_ranges(names, lo, hi, source=source.name), batch_size
        )
        planned += len(requests)
        for request in requests:
            run.ask(request)
            done += 1
            if progress is not None:
                progress(done, planned)
        run.flush()
    report = run.report(names, lo, hi)
    logger.info(
        "fetch %s..%s: %s tickers, %s requests, %s rows written, %s missing, %s source errors",
        lo.date(),
        hi.date(),
        len(names),
        done,
        report.rows_written,
        len(report.missing),
        len(report.errors),
    )
    return report
