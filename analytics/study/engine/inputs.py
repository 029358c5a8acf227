"""What the engine reads: the price provider it is given, and the session-indexed panel of
firm, benchmark, risk-free and factor returns loaded from it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeAlias

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.errors import DataError, InsufficientDataError, SpecError, UnknownTickerError
from analytics.study.returns import daily_risk_free, price_returns, spikes
from analytics.study.spec import FACTOR_MODELS, StudySpec

__all__ = [
    "RISK_FREE",
    "Panel",
    "PriceProvider",
    "Progress",
    "factor_table",
    "load_panel",
    "symbols_known",
]

RISK_FREE = "^IRX"
"""Symbol of the risk-free yield (13-week T-bill, percent p.a.) used by CAPM."""

Progress: TypeAlias = Callable[[str, float], None]
"""Callback ``(step, fraction done)`` for progress bars."""


class PriceProvider(Protocol):
    """Where the engine gets adjusted closes (the store implements it)."""

    def panel(self, tickers: Sequence[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Wide adjusted closes: index every XNYS session in ``[start, end]``, columns the
        requested tickers in order (all-NaN for unknown ones)."""
        ...

    def coverage(self, tickers: Sequence[str]) -> pd.DataFrame:
        """What is stored per ticker: ``ticker, first, last, rows``."""
        ...


@dataclass(frozen=True, kw_only=True, eq=False)
class Panel:
    """Session-indexed inputs shared by the real study and its placebo draws."""

    sessions: pd.DatetimeIndex
    prices: np.ndarray  # (T, C) firm tickers in spec.tickers order
    returns: np.ndarray  # (T, C)
    market: np.ndarray  # (T,)
    rf: np.ndarray  # (T,) zero when the model uses none
    factors: np.ndarray  # (T, k), k = 0 unless a factor model
    spikes: np.ndarray  # (T, C) bool, implausible price spikes (all False when screening is off)


def symbols_known(prices: PriceProvider, tickers: Sequence[str]) -> np.ndarray:
    """Whether the provider stores any row of each ticker (one ``coverage`` call)."""
    coverage = prices.coverage(list(tickers))
    rows = pd.to_numeric(coverage["rows"], errors="coerce").fillna(0).to_numpy()
    stored = set(coverage.loc[rows > 0, "ticker"].astype(str))
    return np.array([t in stored for t in tickers], dtype=bool)


def factor_table(
    spec: StudySpec,
    factors: pd.DataFrame | None,
    prices: PriceProvider,
    sessions: pd.DatetimeIndex,
) -> tuple[np.ndarray, np.ndarray | None, tuple[str, ...]]:
    """Factor returns ``(T, k)`` and ``RF`` (or None) on the panel's sessions, and factor names."""
    if factors is None:
        raise SpecError(
            f"factors: model {spec.model} needs factor returns and none were given; pass "
            "factors= (Workspace.factors(spec) loads them: a factor file, Kenneth French's "
            "library or ETF proxies), or choose a model without factors",
            parameter="factors",
        )
    table = factors.set_index("date") if "date" in factors.columns else factors
    index = pd.DatetimeIndex(pd.to_datetime(table.index)).normalize()
    table = table.set_axis(index.astype("datetime64[ns]"), axis=0)
    rf_name = next((c for c in table.columns if str(c).upper() == "RF"), None)
    names = tuple(str(c) for c in table.columns if c != rf_name)
    if not names:
        raise DataError(
            f"factors: the {spec.model} table has no factor columns (found "
            f"{', '.join(map(str, table.columns)) or 'none'}); give one column per factor"
        )
    aligned = table.reindex(sessions.astype("datetime64[ns]"))
    values = aligned[list(names)].apply(pd.to_numeric, errors="coerce").to_numpy("float64")
    rf = None if rf_name is None else pd.to_numeric(aligned[rf_name]).to_numpy("float64")
    if spec.returns == "log" and rf is not None:
        rf = np.log1p(rf)
    return values, rf, names


def load_panel(
    spec: StudySpec,
    prices: PriceProvider,
    factors: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[Panel, tuple[str, ...]]:
    """Load the panel of firms, benchmark (and ^IRX for CAPM) and the model's regressors."""
    tickers = list(spec.tickers)
    extra = [RISK_FREE] if spec.model == "capm" else []
    request = list(dict.fromkeys([*tickers, spec.benchmark, *extra]))
    sessions = calendar.sessions(start, end)
    frame = prices.panel(request, start, end)
    grid = sessions.astype("datetime64[ns]")
    frame = frame.set_axis(pd.DatetimeIndex(frame.index).astype("datetime64[ns]"), axis=0)
    if not (frame.index.equals(grid) and frame.columns.tolist() == request):  # as the store's
        frame = frame.reindex(index=grid, columns=request)
    wide = frame.to_numpy(dtype="float64", na_value=np.nan)
    returns = price_returns(wide, spec.returns)
    market = returns[:, request.index(spec.benchmark)]
    if not np.isfinite(market).any():
        if not symbols_known(prices, [spec.benchmark])[0]:
            raise UnknownTickerError(
                f"benchmark: {spec.benchmark!r} has no stored prices; import it or choose "
                "another benchmark"
            )
        raise InsufficientDataError(
            f"benchmark: {spec.benchmark} has no prices between {start.date()} and {end.date()}; "
            "import that history or choose another benchmark"
        )
    rf = np.zeros(len(sessions))
    names: tuple[str, ...] = ()
    factor_values = np.empty((len(sessions), 0))
    if spec.model == "capm":
        yields = pd.Series(wide[:, request.index(RISK_FREE)], index=sessions)
        if not yields.notna().any():
            raise InsufficientDataError(
                f"model: capm needs the risk-free yield {RISK_FREE} between {start.date()} and "
                f"{end.date()}; import {RISK_FREE} or use model market"
            )
        rf = daily_risk_free(yields, spec.returns).to_numpy("float64")
    elif spec.model in FACTOR_MODELS:
        factor_values, factor_rf, names = factor_table(spec, factors, prices, sessions)
        if factor_rf is not None:
            rf = factor_rf
    # The request starts with the firms, in order: their columns are the first ones.
    firms = slice(0, len(tickers))
    screen = spec.spike_screen != "off"
    firm_returns = returns[:, firms]
    panel = Panel(
        sessions=sessions,
        prices=wide[:, firms],
        returns=firm_returns,
        market=market,
        rf=rf,
        factors=factor_values,
        spikes=(
            spikes(firm_returns, spec.returns, threshold=spec.spike_threshold, jump=spec.spike_jump)
            if screen
            else np.zeros(firm_returns.shape, dtype=bool)
        ),
    )
    return panel, names
