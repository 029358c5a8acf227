"""The tidy price schema shared by sources and the store, validated at the boundary."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.errors import DataError

__all__ = ["OPTIONAL_COLUMNS", "PRICE_COLUMNS", "REQUIRED_COLUMNS", "empty_prices", "validate_prices"]

REQUIRED_COLUMNS: tuple[str, ...] = ("ticker", "date", "adj_close")
OPTIONAL_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
PRICE_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS


def empty_prices() -> pd.DataFrame:
    """A zero-row frame with the full price schema."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in PRICE_COLUMNS})
    frame["ticker"] = pd.Series(dtype="string")
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    return frame


def _row_hint(frame: pd.DataFrame, bad: np.ndarray) -> str:
    rows = np.flatnonzero(bad)
    first = frame.iloc[rows[0]]
    more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
    return f"row {rows[0] + 1}: ticker={first.get('ticker')!r} date={first.get('date')!r}{more}"


def validate_prices(frame: pd.DataFrame, *, origin: str) -> pd.DataFrame:
    """Check and normalize a tidy price frame; raise :class:`DataError` naming what is wrong.

    Returns a new frame with the full schema: ``ticker`` (upper-case string), ``date``
    (``datetime64[ns]``, midnight), float64 prices (optional columns filled with NaN), sorted by
    ticker and date. Rejects missing columns, unparseable dates, NaN, zero or negative
    ``adj_close``, empty tickers and duplicate ``(ticker, date)`` rows. ``origin`` names the file
    or source in messages.
    """
    lower = {str(c): str(c).strip().lower().replace(" ", "_") for c in frame.columns}
    frame = frame.rename(columns=lower)
    absent = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if absent:
        raise DataError(
            f"{origin}: missing column(s) {', '.join(absent)}; found {', '.join(map(str, frame.columns))}. "
            f"Expected columns {', '.join(REQUIRED_COLUMNS)} (optional: {', '.join(OPTIONAL_COLUMNS)})"
        )
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    tickers = frame["ticker"].astype("string").str.strip().str.upper()
    bad = (tickers.isna() | (tickers == "")).to_numpy(dtype=bool)
    if bad.any():
        raise DataError(f"{origin}: empty ticker at {_row_hint(frame, bad)}")
    out["ticker"] = tickers.to_numpy()
    dates = pd.to_datetime(frame["date"], errors="coerce", format="mixed")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    bad = dates.isna().to_numpy()
    if bad.any():
        raise DataError(f"{origin}: column date has an unparseable date at {_row_hint(frame, bad)}")
    out["date"] = dates.dt.normalize().astype("datetime64[ns]").to_numpy()
    for column in ("adj_close", *OPTIONAL_COLUMNS):
        if column not in frame.columns:
            out[column] = np.nan
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy()
        bad_text = np.isnan(values) & frame[column].notna().to_numpy()
        if bad_text.any():
            raise DataError(f"{origin}: column {column} is not numeric at {_row_hint(frame, bad_text)}")
        out[column] = values
    adj = out["adj_close"].to_numpy()
    bad = ~np.isfinite(adj) | (adj <= 0)
    if bad.any():
        raise DataError(
            f"{origin}: column adj_close must be a positive number; "
            f"NaN, zero or negative at {_row_hint(frame, bad)}"
        )
    dup = out.duplicated(["ticker", "date"], keep=False).to_numpy()
    if dup.any():
        raise DataError(f"{origin}: duplicate (ticker, date) rows at {_row_hint(frame, dup)}")
    return out.sort_values(["ticker", "date"], ignore_index=True)
