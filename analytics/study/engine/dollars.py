"""Dollar impact: ``ΔV_i = Σ_t AR_it · MV_{i,t-1}`` with market values scaled from the cap
nearest in date to day 0 by the adjusted-price ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.errors import DataError
from analytics.study.engine.core import (
    window_slices,
)
from analytics.study.engine.inputs import (
    Panel,
)
from analytics.study.returns import align
from analytics.study.spec import StudySpec

__all__ = ["cap_anchors", "dollar_impact"]


def cap_anchors(events: pd.DataFrame, market_caps: pd.DataFrame) -> pd.DataFrame:
    """Per firm-event (in event order) the market cap nearest in date to day 0 and its date."""
    columns = {str(c).strip().lower(): c for c in market_caps.columns}
    absent = [c for c in ("ticker", "date", "market_cap") if c not in columns]
    if absent:
        raise DataError(
            f"market_caps: missing column(s) {', '.join(absent)}; give ticker, date, market_cap"
        )
    caps = pd.DataFrame(
        {
            "ticker": market_caps[columns["ticker"]].astype(str).str.strip().str.upper(),
            "cap_date": pd.to_datetime(market_caps[columns["date"]]).astype("datetime64[ns]"),
            "market_cap": pd.to_numeric(market_caps[columns["market_cap"]], errors="coerce"),
        }
    )
    caps = caps[caps["market_cap"] > 0].sort_values("cap_date")
    left = pd.DataFrame(
        {
            "order": np.arange(len(events)),
            "ticker": events["ticker"].astype(str).to_numpy(),
            "day0": events["day0"].astype("datetime64[ns]").to_numpy(),
        }
    ).sort_values("day0")
    merged = pd.merge_asof(
        left, caps, left_on="day0", right_on="cap_date", by="ticker", direction="nearest"
    )
    return merged.sort_values("order", ignore_index=True)[["market_cap", "cap_date"]]


def dollar_impact(
    spec: StudySpec,
    panel: Panel,
    anchors: pd.DataFrame,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    ar: np.ndarray,
) -> np.ndarray:
    """``(n_win, N)`` dollar impact ``Σ_t AR_t · MV_{t-1}``; NaN without a market cap.

    Given simple raw returns instead of ``ar``, the sum is the raw change of market value over
    the window (``MV_t = MV_{t-1} (1 + R_t)``).
    """
    anchor_dates = anchors["cap_date"].to_numpy(dtype="datetime64[ns]")
    anchor_rows = panel.sessions.searchsorted(anchor_dates, side="right") - 1
    found = ~np.isnat(anchor_dates) & (anchor_rows >= 0)
    anchor_price = np.where(found, panel.prices[np.maximum(anchor_rows, 0), columns], np.nan)
    first, last = spec.event_span
    previous = align(panel.prices, day0_rows, np.arange(first - 1, last), columns)
    scale = anchors["market_cap"].to_numpy(dtype="float64") / anchor_price
    flow = ar * previous * scale
    return np.stack([flow[rows].sum(axis=0) for rows in window_slices(spec)])
