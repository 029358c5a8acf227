"""Firm-events: one ticker, one event date and its timing; parsed from lists and tables.

The column parsers (:func:`tickers_of`, :func:`timings_of`, :func:`event_columns`) check many
values at once and name the first bad one (and its row), for
:meth:`analytics.study.spec.StudySpec.create`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np
import pandas as pd

from analytics import tickers as tickers_grammar
from analytics.calendar import TIMINGS, Timing, day_zero
from analytics.errors import SpecError

__all__ = [
    "FirmEvent",
    "event_columns",
    "firm_events_of",
    "parse_tickers",
    "split_tickers",
    "ticker_of",
    "tickers_of",
    "timestamps",
    "timing_of",
    "timings_of",
]


def ticker_of(value: object, name: str) -> str:
    return tickers_grammar.ticker(value, name=name)


def timing_of(value: object, name: str) -> Timing:
    if value not in TIMINGS:
        raise SpecError(f"{name}: {value!r} is not one of {', '.join(TIMINGS)}")
    return cast(Timing, value)


def _label(name: str, row: int, by_row: bool) -> str:
    return f"{name} in row {row}" if by_row else name


def _objects(values: Iterable[object]) -> pd.Series:
    """Values as an object Series, each kept whole (``np.array`` would unpack tuples)."""
    return pd.Series(np.fromiter(values, dtype=object))


def tickers_of(values: Iterable[object], name: str, *, by_row: bool) -> np.ndarray:
    """:func:`ticker_of` of many values at once; an error names the first bad one (and its row).

    Each distinct value is checked once: a million firm-events name a few thousand tickers.
    """
    raw = np.fromiter(values, dtype=object)
    try:
        codes, distinct = pd.factorize(raw, use_na_sentinel=False)  # first-seen order
    except TypeError:  # an unhashable value: check them all
        codes, distinct = np.arange(len(raw)), raw
    values = distinct.tolist()
    if tickers_grammar.all_normalized(values):
        return np.asarray(distinct, dtype=object)[codes]
    symbols = np.empty(len(distinct), dtype=object)
    for code, value in enumerate(values):
        try:
            symbols[code] = ticker_of(value, name)
        except SpecError:
            row = int(np.argmax(codes == code))
            ticker_of(raw[row], _label(name, row, by_row))
            raise
    return symbols[codes]


def timings_of(values: Iterable[object], name: str, *, by_row: bool) -> np.ndarray:
    """:func:`timing_of` of many values at once; an error names the first bad one (and its row)."""
    raw = _objects(values)
    bad = np.flatnonzero(~raw.isin(TIMINGS).to_numpy())
    if bad.size:
        row = int(bad[0])
        timing_of(raw.iloc[row], _label(name, row, by_row))
    return raw.to_numpy()


@dataclass(frozen=True, kw_only=True)
class FirmEvent:
    """One firm-event: a ticker, the event's calendar date and its timing."""

    event_id: int
    ticker: str
    date: pd.Timestamp
    timing: Timing = "before_open"

    @cached_property
    def day0(self) -> pd.Timestamp:
        """The resolved day-0 session (see :func:`analytics.calendar.day_zero`), computed once."""
        return day_zero(self.date, self.timing)


def firm_events_of(
    tickers: Iterable[str],
    dates: Iterable[pd.Timestamp],
    timings: Iterable[Timing],
    day0s: Iterable[pd.Timestamp],
) -> tuple[FirmEvent, ...]:
    """``FirmEvent(event_id=k, ...)`` of each row, numbered from 0, with its resolved ``day0``
    (the cached property's value) already in place: the values are checked, so each event's
    fields are written directly, without the frozen dataclass's per-field ``__init__`` (a
    million firm-events take seconds there)."""
    events = []
    new = object.__new__
    for k, (t, d, m, day) in enumerate(zip(tickers, dates, timings, day0s, strict=True)):
        event = new(FirmEvent)
        event.__dict__.update(event_id=k, ticker=t, date=d, timing=m, day0=day)
        events.append(event)
    return tuple(events)


def split_tickers(tickers: str | Iterable[str]) -> list[object]:
    return tickers_grammar.split_tickers(tickers)


def parse_tickers(tickers: str | Iterable[str], *, name: str = "tickers") -> list[str]:
    """Validate and normalize ticker symbols (text split on commas/spaces, or a list).

    >>> parse_tickers("nvda, brk.b NVDA")
    ['NVDA', 'BRK-B']
    """
    symbols = list(dict.fromkeys(ticker_of(t, name) for t in split_tickers(tickers)))
    if not symbols:
        raise SpecError(f"{name}: {tickers!r} names no ticker; pass symbols like NVDA,SPY")
    return symbols


def timestamps(dates: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The dates as ``Timestamp`` objects, each distinct date boxed once (events share days)."""
    codes, distinct = pd.factorize(dates)
    boxed = list(distinct)
    return [boxed[c] for c in codes.tolist()]


def event_columns(
    events: pd.DataFrame | Iterable[Sequence[object]], timing: Timing
) -> tuple[np.ndarray, np.ndarray | pd.Series, np.ndarray]:
    """Tickers, dates and timings of an events table (or rows), ``timing`` where absent."""
    if isinstance(events, pd.DataFrame):
        columns = {str(c).strip().lower(): c for c in events.columns}
        absent = [c for c in ("ticker", "date") if c not in columns]
        if absent:
            raise SpecError(
                f"events: missing column(s) {', '.join(absent)}; "
                "give a table with columns ticker, date and optionally timing"
            )
        timings = (
            events[columns["timing"]].to_numpy(dtype=object)
            if "timing" in columns
            else np.full(len(events), timing, dtype=object)
        )
        return events[columns["ticker"]].to_numpy(dtype=object), events[columns["date"]], timings
    rows: list[tuple[object, object, object]] = []
    for row in events:
        if isinstance(row, str) or len(row) not in (2, 3):
            raise SpecError(f"events: {row!r} is not a (ticker, date[, timing]) row")
        rows.append((row[0], row[1], row[2] if len(row) == 3 else timing))
    tickers, dates, timings = (
        np.fromiter((r[k] for r in rows), object, len(rows)) for k in range(3)
    )
    return tickers, dates, timings
