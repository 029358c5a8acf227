"""The tidy price schema shared by sources and the store, validated at the boundary.

A price frame has one row per ``(ticker, date)``: ``ticker`` (upper-case ``str``), ``date``
(``datetime64[ns]`` at midnight, the exchange's local date), ``adj_close`` and the optional
``open``, ``high``, ``low``, ``close``, ``volume`` (all float64, NaN where unknown), sorted by
ticker and date. The optional prices are as the source gives them: Yahoo with ``auto_adjust``
adjusts them (``close == adj_close``); a classic Yahoo CSV export keeps the raw close.

Two front doors share one set of rules: :func:`validate_prices` is strict and raises
:class:`~analytics.errors.DataError` on the first bad row; :func:`split_invalid` is lenient and
returns the valid rows plus the rejected ones with a ``reason``. A row is invalid when its ticker is
empty, its date is not a date (ISO text, or a ``YYYYMMDD`` integer) or lies outside the calendar's
range, a price is not a number, ``adj_close`` is missing, infinite, zero or
negative (symbols starting with ``^`` are yields and indices: they only need to be finite), an
optional price is zero, negative or infinite, ``volume`` is negative, or its ``(ticker, date)``
repeats an earlier valid row.

Rows are validated once, where they enter: a source returns a :class:`ValidatedPrices` (built
only by :meth:`ValidatedPrices.check` or :meth:`ValidatedPrices.split`), which the fetcher and
:meth:`~analytics.data.store.PriceStore.upsert` trust without checking again; a plain frame given
to ``upsert`` is validated in full.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analytics.calendar import FIRST_DATE, LAST_DATE
from analytics.errors import DataError

__all__ = [
    "OPTIONAL_COLUMNS",
    "PRICE_COLUMNS",
    "REQUIRED_COLUMNS",
    "ValidatedPrices",
    "empty_prices",
    "split_invalid",
    "validate_prices",
]

REQUIRED_COLUMNS: tuple[str, ...] = ("ticker", "date", "adj_close")
OPTIONAL_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
_VALUE_COLUMNS: tuple[str, ...] = ("adj_close", *OPTIONAL_COLUMNS)
_RANGE = f"{FIRST_DATE.date()} .. {LAST_DATE.date()}"
_FIX = "fix the data, or pass drop_invalid=True to skip such rows"


def empty_prices() -> pd.DataFrame:
    """A zero-row frame with the full price schema."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PRICE_COLUMNS})
    frame["ticker"] = pd.Series(dtype="str")
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    return frame


@dataclass(frozen=True)
class _Rule:
    """One way a row can be invalid: the column it concerns, what is wrong, and where."""

    column: str
    problem: str
    rows: np.ndarray


@dataclass(frozen=True)
class _Checked:
    """A frame's rows as given, normalized, and judged; ``key`` orders rows by (ticker, date)."""

    raw: pd.DataFrame
    normalized: pd.DataFrame
    key: np.ndarray
    rules: list[_Rule]
    invalid: np.ndarray
    first_seen: np.ndarray


def _rename(frame: pd.DataFrame, origin: str) -> pd.DataFrame:
    names = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise DataError(
            f"{origin}: column(s) {', '.join(repeated)} appear more than once "
            f"(found {', '.join(map(str, frame.columns))}); keep one of each"
        )
    renamed = frame.set_axis(names, axis=1)
    absent = [c for c in REQUIRED_COLUMNS if c not in renamed.columns]
    if absent:
        raise DataError(
            f"{origin}: missing column(s) {', '.join(absent)}; found "
            f"{', '.join(map(str, frame.columns)) or 'no columns'}. Expected columns "
            f"{', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})"
        )
    return renamed.reset_index(drop=True)


def _tickers(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Sorted codes of the normalized tickers (-1 for missing) and the code -> ticker index."""
    codes, uniques = pd.factorize(column)
    cleaned = pd.Index(uniques.astype("str")).str.strip().str.upper()
    merged, tickers = pd.factorize(cleaned, sort=True)
    codes = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
    empty = np.flatnonzero(tickers == "")
    if len(empty):
        codes[codes == empty[0]] = -1
    return codes, tickers


def _dates(column: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Midnight ``datetime64[ns]`` dates, NaT where a value is not a date or is outside the
    calendar's range; and the mask of the latter (dates no study could read).

    Text must be ISO (``YYYY-MM-DD``, optionally with a clock); integers are ``YYYYMMDD``
    (``20250127``), never nanoseconds since 1970.
    """
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_localize(None)
    elif pd.api.types.is_integer_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
        column = pd.to_datetime(
            column.astype("Int64").astype("string"), format="%Y%m%d", errors="coerce"
        )
    elif not pd.api.types.is_datetime64_dtype(column.dtype):
        if pd.api.types.infer_dtype(column, skipna=True) in {"string", "empty"}:
            text = column.astype("str").str.strip()
            # Keep the exchange-local date of timestamps such as "2024-01-02 00:00:00-05:00".
            clock = text.str.len().gt(10) & ~text.str.slice(10, 11).isin([" ", "T"])
            column = pd.to_datetime(text.str.slice(0, 10), format="%Y-%m-%d", errors="coerce")
            column = column.mask(clock.fillna(False).astype(bool))
        else:
            column = pd.to_datetime(column, errors="coerce")
            if isinstance(column.dtype, pd.DatetimeTZDtype):
                column = column.dt.tz_localize(None)
    column = column.dt.normalize()
    outside = (column.notna() & ((column < FIRST_DATE) | (column > LAST_DATE))).to_numpy(bool)
    return column.mask(outside).astype("datetime64[ns]"), outside


def _check(frame: pd.DataFrame, origin: str) -> _Checked:
    raw = _rename(frame, origin)
    n = len(raw)
    codes, tickers = _tickers(raw["ticker"])
    dates, outside = _dates(raw["date"])
    safe_codes = np.maximum(codes, 0)
    out = pd.DataFrame(
        {"ticker": tickers.take(safe_codes) if len(tickers) else [""] * n},
        index=pd.RangeIndex(n),
    ).astype({"ticker": "str"})
    out["date"] = dates.to_numpy()
    days = out["date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    days = np.where(dates.isna().to_numpy(), 0, days)
    span = int(days.max() - days.min()) + 1 if n else 1
    key = safe_codes.astype(np.int64) * span + (days - (days.min() if n else 0))
    rules = [
        _Rule("ticker", "is empty", codes < 0),
        _Rule("date", "is not a date (use YYYY-MM-DD)", dates.isna().to_numpy() & ~outside),
        _Rule("date", f"is outside the supported range {_RANGE}", outside),
    ]
    # Absent optional columns are added (as NaN) only to the output, after rows are chosen.
    for column in [c for c in _VALUE_COLUMNS if c in raw.columns]:
        values = pd.to_numeric(raw[column], errors="coerce").astype("float64").to_numpy()
        rules.append(
            _Rule(column, "is not a number", np.isnan(values) & raw[column].notna().to_numpy())
        )
        out[column] = values
    # One entry per code, plus one so that an all-missing ticker column still indexes.
    starts_caret = np.append(np.asarray(tickers.str.startswith("^"), dtype=bool), False)
    index_like = starts_caret[safe_codes] & (codes >= 0)
    adj = out["adj_close"].to_numpy()
    rules.append(_Rule("adj_close", "is missing or infinite", ~np.isfinite(adj)))
    rules.append(_Rule("adj_close", "is zero or negative", (adj <= 0) & ~index_like))
    for column in [c for c in ("open", "high", "low", "close") if c in out.columns]:
        values = out[column].to_numpy()
        rules.append(_Rule(column, "is infinite", np.isinf(values)))
        rules.append(_Rule(column, "is zero or negative", (values <= 0) & ~index_like))
    if "volume" in out.columns:
        volume = out["volume"].to_numpy()
        rules.append(_Rule("volume", "is negative or infinite", (volume < 0) | np.isinf(volume)))
    invalid = np.logical_or.reduce([rule.rows for rule in rules]) if n else np.zeros(0, bool)
    duplicate, conflicting, first_seen = _duplicates(out, key, invalid)
    rules.append(_Rule("date", "repeats an earlier row of this ticker (identical)", duplicate))
    rules.append(
        _Rule("date", "repeats an earlier row of this ticker (different values)", conflicting)
    )
    invalid = invalid | duplicate | conflicting
    return _Checked(raw, out, key, rules, invalid, first_seen)


def _duplicates(
    out: pd.DataFrame, all_keys: np.ndarray, invalid: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks of identical and conflicting repeats among valid rows, and each repeat's first row."""
    n = len(out)
    duplicate, conflicting = np.zeros(n, bool), np.zeros(n, bool)
    first_seen = np.full(n, -1)
    valid = np.flatnonzero(~invalid)
    key = all_keys[valid]
    if np.all(np.diff(key) > 0):
        return duplicate, conflicting, first_seen
    position = np.argsort(key, kind="stable")
    order, sorted_key = valid[position], key[position]
    repeat = np.flatnonzero(sorted_key[1:] == sorted_key[:-1]) + 1
    rows, previous = order[repeat], order[repeat - 1]
    values = out.drop(columns=["ticker", "date"]).to_numpy()
    a, b = values[rows], values[previous]
    same = np.all((a == b) | (np.isnan(a) & np.isnan(b)), axis=1)
    duplicate[rows[same]] = True
    conflicting[rows[~same]] = True
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    group_first = order[starts[np.searchsorted(starts, repeat, side="right") - 1]]
    first_seen[rows] = group_first
    return duplicate, conflicting, first_seen


def _valid_sorted(checked: _Checked) -> pd.DataFrame:
    """The valid normalized rows ordered by (ticker, date), without copying if already sorted."""
    rows = np.flatnonzero(~checked.invalid)
    key = checked.key[rows]
    if not np.all(np.diff(key) > 0):
        rows = rows[np.argsort(key, kind="stable")]
    frame = checked.normalized
    if not np.array_equal(rows, np.arange(len(frame))):
        frame = frame.take(rows).reset_index(drop=True)
    columns = {
        c: frame[c].to_numpy() if c in frame.columns else np.full(len(frame), np.nan)
        for c in PRICE_COLUMNS
    }
    columns["ticker"] = frame["ticker"].array
    return pd.DataFrame(columns, copy=False)


def _show(value: object) -> str:
    """A cell as a user would type it: ``-1.5``, ``'abc'``, ``2024-01-02``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, pd.Timestamp) and value == value.normalize():
        return str(value.date())
    return repr(value)


def _first_problem(checked: _Checked, origin: str, first_row: int) -> str:
    rows = np.flatnonzero(checked.invalid)
    row = int(rows[0])
    rule = next(rule for rule in checked.rules if rule.rows[row])
    ticker = _show(checked.raw["ticker"].iloc[row])
    date = _show(checked.raw["date"].iloc[row])
    where = f"row {row + first_row} (ticker {ticker}, date {date})"
    if checked.first_seen[row] >= 0:
        detail = f"first seen at row {int(checked.first_seen[row]) + first_row}"
    else:
        detail = f"got {_show(checked.raw[rule.column].iloc[row])}"
    more = f" ({len(rows)} invalid rows in total)" if len(rows) > 1 else ""
    return f"{origin}: {where}: column {rule.column} {rule.problem}, {detail}{more}; {_FIX}"


def validate_prices(frame: pd.DataFrame, *, origin: str, first_row: int = 1) -> pd.DataFrame:
    """Check and normalize a tidy price frame; raise on the first invalid row.

    Parameters
    ----------
    frame
        Long prices with at least ``ticker``, ``date``, ``adj_close`` (names are matched
        case-insensitively, ``Adj Close`` counts as ``adj_close``).
    origin
        The file or source named in error messages.
    first_row
        The number messages give the frame's first row (2 for a CSV file under a header line).

    Returns
    -------
    pandas.DataFrame
        A new frame with the full schema, sorted by ticker and date.

    Raises
    ------
    DataError
        On a missing column or any invalid row (see the module docstring); the message names
        ``origin``, the column, the row, its ticker and date, and the fix.
    """
    checked = _check(frame, origin)
    if checked.invalid.any():
        raise DataError(_first_problem(checked, origin, first_row))
    return _valid_sorted(checked)


def split_invalid(
    frame: pd.DataFrame, *, origin: str, first_row: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Separate valid from invalid rows instead of raising (the lenient twin of validate_prices).

    Parameters
    ----------
    frame, origin, first_row
        As for :func:`validate_prices`; a missing required column still raises
        :class:`DataError`, since no row could be valid.

    Returns
    -------
    valid : pandas.DataFrame
        The valid rows, normalized and sorted as :func:`validate_prices` returns them. Of rows
        repeating a ``(ticker, date)``, the first valid one is kept.
    invalid : pandas.DataFrame
        The rejected rows as given (columns renamed), plus ``row`` (numbered from ``first_row``)
        and ``reason`` (e.g. ``"adj_close is zero or negative"``).
    """
    checked = _check(frame, origin)
    bad = checked.invalid
    reason = np.select(
        [rule.rows[bad] for rule in checked.rules],
        [f"{rule.column} {rule.problem}" for rule in checked.rules],
        default="",
    )
    invalid = checked.raw.loc[bad].reset_index(drop=True)
    invalid["row"] = np.flatnonzero(bad) + first_row
    invalid["reason"] = pd.Series(reason, dtype="str")
    return _valid_sorted(checked), invalid


_TOKEN = object()


class ValidatedPrices:
    """Price rows that passed :func:`validate_prices` once: normalized, sorted by ticker and
    date, each ``(ticker, date)`` once; whoever receives one needs not check them again.

    Built only by :meth:`check` (strict), :meth:`split` (lenient), or from other validated
    rows (:meth:`where`, :meth:`concat`); ``frame`` is not to be modified.

    >>> rows = pd.DataFrame({"ticker": ["spy"], "date": ["2025-01-27"], "adj_close": [599.37]})
    >>> ValidatedPrices.check(rows, origin="example").frame["ticker"].tolist()
    ['SPY']
    """

    __slots__ = ("frame",)

    def __init__(self, frame: pd.DataFrame, *, _token: object = None) -> None:
        if _token is not _TOKEN:
            raise TypeError("build ValidatedPrices with ValidatedPrices.check or .split")
        self.frame = frame

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        return f"ValidatedPrices({len(self.frame)} rows)"

    @classmethod
    def check(cls, frame: pd.DataFrame, *, origin: str, first_row: int = 1) -> ValidatedPrices:
        """:func:`validate_prices` of ``frame``: raises on the first invalid row."""
        return cls(validate_prices(frame, origin=origin, first_row=first_row), _token=_TOKEN)

    @classmethod
    def split(
        cls, frame: pd.DataFrame, *, origin: str, first_row: int = 1
    ) -> tuple[ValidatedPrices, pd.DataFrame]:
        """:func:`split_invalid` of ``frame``: the valid rows, and the rejected ones."""
        valid, invalid = split_invalid(frame, origin=origin, first_row=first_row)
        return cls(valid, _token=_TOKEN), invalid

    @classmethod
    def empty(cls) -> ValidatedPrices:
        """No rows."""
        return cls(empty_prices(), _token=_TOKEN)

    def where(self, keep: np.ndarray | pd.Series) -> ValidatedPrices:
        """The rows where ``keep`` is true (a subset of valid rows is valid)."""
        mask = np.asarray(keep, dtype=bool)
        return ValidatedPrices(self.frame.loc[mask].reset_index(drop=True), _token=_TOKEN)

    @classmethod
    def concat(cls, parts: list[ValidatedPrices]) -> ValidatedPrices:
        """Validated rows of several answers as one, sorted; of a ``(ticker, date)`` given twice
        the later part's row is kept."""
        frames = [p.frame for p in parts if len(p.frame)]
        if not frames:
            return cls.empty()
        frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        if len(frames) > 1:
            frame = frame.drop_duplicates(["ticker", "date"], keep="last")
            frame = frame.sort_values(["ticker", "date"], kind="stable", ignore_index=True)
        return cls(frame, _token=_TOKEN)
