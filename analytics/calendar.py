"""NYSE (XNYS) trading sessions: day 0 resolution and relative trading days.

Relative days count XNYS sessions, never calendar days and never a stock's own rows. Dates are
timezone-naive midnight ``pd.Timestamp``s; every function accepts anything ``pd.Timestamp``
parses and rejects dates outside the supported range with a :class:`~analytics.errors.SpecError`.

>>> day_zero("2025-01-25", "before_open")  # a Saturday
Timestamp('2025-01-27 00:00:00')
>>> offset("2025-01-27", -1)
Timestamp('2025-01-24 00:00:00')
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, TypeAlias

import exchange_calendars as xcals
import numpy as np
import pandas as pd

from analytics.errors import SpecError

__all__ = [
    "EXCHANGE_TZ",
    "FIRST_DATE",
    "LAST_DATE",
    "TIMINGS",
    "DateLike",
    "Timing",
    "day_zero",
    "day_zero_many",
    "is_session",
    "next_session",
    "offset",
    "parse_date",
    "parse_dates",
    "previous_session",
    "relative_days",
    "session_positions",
    "sessions",
]

DateLike: TypeAlias = str | dt.date | pd.Timestamp | np.datetime64
Timing: TypeAlias = Literal["before_open", "during_session", "after_close"]
TIMINGS: tuple[Timing, ...] = ("before_open", "during_session", "after_close")

FIRST_DATE = pd.Timestamp("1990-01-02")
LAST_DATE = pd.Timestamp("2030-12-31")
EXCHANGE_TZ = "America/New_York"
"""Times with a UTC offset are converted to this zone before their date is taken."""

# Numeric dates not led by a four-digit year: 05/02/2025, 5.2.25, 05-02-2025.
_AMBIGUOUS = re.compile(r"\s*\d{1,2}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{2,4}\b")
# ISO text with a clock and a UTC offset (or Z): parsed one by one, in New York time.
_OFFSET = r"\d[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+\-]\d{2}(?::?\d{2})?)\s*$"


@lru_cache(maxsize=1)
def _sessions() -> np.ndarray:
    """All XNYS sessions in the supported range as sorted ``datetime64[D]``."""
    with warnings.catch_warnings():
        # exchange_calendars reads Series.values of tz-aware columns, deprecated in pandas 3.1.
        warnings.filterwarnings("ignore", "Series.values returning", DeprecationWarning)
        cal = xcals.get_calendar("XNYS", start=FIRST_DATE, end=LAST_DATE)
    return cal.sessions.tz_localize(None).values.astype("datetime64[D]")


def _not_a_date(name: str, value: object) -> SpecError:
    return SpecError(f"{name}: {value!r} is not a date; use YYYY-MM-DD, e.g. 2025-01-27")


def _out_of_range(name: str, ts: pd.Timestamp) -> SpecError:
    return SpecError(
        f"{name}: {ts.date()} is outside the supported range "
        f"{FIRST_DATE.date()} .. {LAST_DATE.date()}"
    )


def parse_date(value: DateLike, *, name: str = "date") -> pd.Timestamp:
    """Parse a date once at the boundary; errors name the parameter and the accepted range.

    A time with a UTC offset (``2025-01-27T19:30:00-05:00``) is converted to New York time
    first: the event's date is the exchange's local date. Numeric dates that do not start with
    the year (``05/02/2025``: 5 February or May 2?) are refused as ambiguous.
    """
    if isinstance(value, str) and _AMBIGUOUS.match(value):
        raise SpecError(
            f"{name}: {value!r} is ambiguous (day and month could be either way round); "
            "use YYYY-MM-DD, e.g. 2025-01-27"
        )
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _not_a_date(name, value) from exc
    if ts is pd.NaT or pd.isna(ts):
        raise _not_a_date(name, value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(EXCHANGE_TZ).tz_localize(None)
    ts = ts.normalize()
    if not FIRST_DATE <= ts <= LAST_DATE:
        raise _out_of_range(name, ts)
    return ts


def parse_dates(
    values: Sequence[object] | pd.Index | pd.Series | np.ndarray, *, name: str = "date"
) -> pd.DatetimeIndex:
    """Parse many dates as :func:`parse_date` does each, in one vectorized pass.

    ISO 8601 text, dates, timestamps and ``datetime64`` are parsed together; anything else
    (e.g. ``"Jan 27 2025"``) falls back to :func:`parse_date` one value at a time. An error names
    the parameter and the first bad row (0-based position).

    >>> parse_dates(["2025-01-27", "2025-01-28T09:30"]).strftime("%Y-%m-%d").tolist()
    ['2025-01-27', '2025-01-28']
    """
    if isinstance(values, pd.Series):
        values = values.to_numpy()
    items = values if isinstance(values, (pd.Index, np.ndarray)) else np.asarray(values, object)
    if isinstance(items, pd.DatetimeIndex) and items.tz is not None:
        items = items.tz_convert(EXCHANGE_TZ).tz_localize(None)
    try:
        parsed = pd.to_datetime(items, errors="coerce", utc=True, format="ISO8601")
    except (TypeError, ValueError, OverflowError):
        parsed = pd.DatetimeIndex(np.full(len(items), np.datetime64("NaT", "us")), tz="UTC")
    days = pd.DatetimeIndex(parsed).tz_localize(None).normalize()
    missing = np.asarray(days.isna())
    if getattr(items, "dtype", None) is np.dtype(object) and len(items):
        # Times with an offset take their date in New York (see parse_date): one by one.
        missing |= np.fromiter(
            (isinstance(v, dt.datetime) and v.tzinfo is not None for v in items), bool, len(items)
        )
        text = np.fromiter((isinstance(v, str) for v in items), bool, len(items))
        if text.any():
            aware = pd.Series(np.asarray(items)[text], dtype="str").str.contains(_OFFSET)
            missing[np.flatnonzero(text)[aware.to_numpy(bool)]] = True
    outside = np.flatnonzero(~missing & np.asarray((days < FIRST_DATE) | (days > LAST_DATE)))
    first_outside = int(outside[0]) if outside.size else len(days)
    unparsed = np.flatnonzero(missing)
    unparsed = unparsed[unparsed < first_outside]
    # Each fallback either parses its value or raises: it is the first bad row.
    fixed = [parse_date(items[int(i)], name=f"{name} in row {i}") for i in unparsed]
    if first_outside < len(days):
        raise _out_of_range(f"{name} in row {first_outside}", days[first_outside])
    answer = days.as_unit("ns").to_numpy().copy()
    answer[unparsed] = [ts.to_datetime64() for ts in fixed]
    return pd.DatetimeIndex(answer)


def _day(value: DateLike, name: str) -> np.datetime64:
    return np.datetime64(parse_date(value, name=name).date(), "D")


def _at(position: int, what: str) -> pd.Timestamp:
    all_sessions = _sessions()
    if not 0 <= position < len(all_sessions):
        raise SpecError(f"{what} falls outside the supported calendar range")
    return pd.Timestamp(all_sessions[position])


def sessions(start: DateLike, end: DateLike) -> pd.DatetimeIndex:
    """XNYS sessions in ``[start, end]`` (both inclusive)."""
    lo, hi = _day(start, "start"), _day(end, "end")
    all_sessions = _sessions()
    i = int(np.searchsorted(all_sessions, lo, side="left"))
    j = int(np.searchsorted(all_sessions, hi, side="right"))
    return pd.DatetimeIndex(all_sessions[i:j].astype("datetime64[ns]"), name="date")


def is_session(date: DateLike) -> bool:
    """Whether ``date`` is an XNYS trading session."""
    day = _day(date, "date")
    all_sessions = _sessions()
    i = int(np.searchsorted(all_sessions, day))
    return i < len(all_sessions) and all_sessions[i] == day


def next_session(date: DateLike) -> pd.Timestamp:
    """The first session strictly after ``date``."""
    position = int(np.searchsorted(_sessions(), _day(date, "date"), side="right"))
    return _at(position, f"the session after {date}")


def previous_session(date: DateLike) -> pd.Timestamp:
    """The last session strictly before ``date``."""
    position = int(np.searchsorted(_sessions(), _day(date, "date"), side="left")) - 1
    return _at(position, f"the session before {date}")


def day_zero(date: DateLike, timing: Timing = "before_open") -> pd.Timestamp:
    """Resolve an event's calendar date and timing to its day-0 session.

    ``before_open``/``during_session``: the date itself if it is a session, else the next one;
    ``after_close``: the next session after the date.
    """
    if timing not in TIMINGS:
        raise SpecError(f"timing: {timing!r} is not one of {', '.join(TIMINGS)}")
    day = _day(date, "event date")
    side: Literal["left", "right"] = "right" if timing == "after_close" else "left"
    position = int(np.searchsorted(_sessions(), day, side=side))
    return _at(position, f"day 0 of {date}")


def day_zero_many(
    dates: pd.DatetimeIndex | np.ndarray | Sequence[DateLike],
    timings: Timing | Sequence[str] | np.ndarray | pd.Series,
) -> pd.DatetimeIndex:
    """:func:`day_zero` of many events at once (one ``searchsorted`` on the session array).

    ``timings`` is one timing for every date or one per date. Errors name the first bad row.

    >>> day_zero_many(["2025-01-24", "2025-01-25"], ["after_close", "before_open"]).day.tolist()
    [27, 27]
    """
    days = parse_dates(dates, name="event date").to_numpy().astype("datetime64[D]")
    given = np.asarray(timings, dtype=object)
    if given.ndim and given.shape != days.shape:
        raise SpecError(f"timings: {given.size} timings for {days.size} dates; give one per date")
    how = np.broadcast_to(given, days.shape)
    unknown = np.flatnonzero(~np.isin(how, TIMINGS))
    if unknown.size:
        row = int(unknown[0])
        raise SpecError(f"timing in row {row}: {how[row]!r} is not one of {', '.join(TIMINGS)}")
    all_sessions = _sessions()
    positions = np.where(
        how == "after_close",
        np.searchsorted(all_sessions, days, side="right"),
        np.searchsorted(all_sessions, days, side="left"),
    )
    beyond = np.flatnonzero(positions >= len(all_sessions))
    if beyond.size:
        row = int(beyond[0])
        raise SpecError(
            f"day 0 of {pd.Timestamp(days[row]).date()} (row {row}) falls outside the supported "
            "calendar range"
        )
    return pd.DatetimeIndex(all_sessions[positions].astype("datetime64[ns]"), name="day0")


def offset(session: DateLike, n: int) -> pd.Timestamp:
    """The session ``n`` sessions after ``session`` (before, for negative ``n``).

    ``session`` must itself be a session.
    """
    day = _day(session, "session")
    all_sessions = _sessions()
    position = int(np.searchsorted(all_sessions, day))
    if position >= len(all_sessions) or all_sessions[position] != day:
        raise SpecError(f"session: {pd.Timestamp(day).date()} is not an XNYS trading session")
    return _at(position + int(n), f"{n} sessions from {pd.Timestamp(day).date()}")


def session_positions(dates: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Index of each date in the global session list; -1 where a date is not a session."""
    days = np.asarray(dates, dtype="datetime64[D]")
    all_sessions = _sessions()
    pos = np.searchsorted(all_sessions, days)
    clipped = np.minimum(pos, len(all_sessions) - 1)
    return np.where(all_sessions[clipped] == days, pos, -1)


def relative_days(day0: DateLike, dates: pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Relative trading day of each session in ``dates`` with respect to the session ``day0``."""
    anchor = session_positions(np.array([_day(day0, "day 0")]))[0]
    if anchor < 0:
        raise SpecError(f"day 0: {day0} is not an XNYS trading session")
    positions = session_positions(dates)
    if (positions < 0).any():
        bad = pd.DatetimeIndex(np.asarray(dates)[positions < 0])[:3]
        raise SpecError(f"dates {', '.join(str(d.date()) for d in bad)} are not XNYS sessions")
    return positions - anchor
