"""Front door of the event-study engine: ``run_study(spec, prices) -> StudyResult``.

The engine is pure: inputs in (a spec, a price provider, optional market caps and factor
returns), numbers out. It does no network or file I/O of its own; the study service
(:class:`analytics.workspace.Workspace`) fetches prices and loads factors for it.

The engine follows ``DESIGN.md`` ("Conventions of the event study") and is vectorized across
firm-events: one price panel is loaded, returns are computed over consecutive sessions, and
matrices with relative days in rows and firm-events in columns are gathered by fancy indexing;
every model is then fitted for all firm-events at once (see :mod:`analytics.study.models`).

Choices made here:

- **CAPM** regresses ``R_i - rf`` on ``R_m - rf`` with ``rf`` from the 13-week T-bill yield
  ``^IRX`` (see :func:`analytics.study.returns.daily_risk_free`):
  ``E[R_i] = rf + alpha + beta (R_m - rf)``.
- **Factor models** regress ``R_i - RF`` on the factor table's columns (all but ``RF``) with an
  intercept. A table without ``RF`` (ETF-proxy factors) is used on raw returns: with an intercept,
  a nearly constant risk-free rate only shifts ``alpha``. With log returns the dependent variable
  is the log return; factor returns are used as given.
- **BHAR** with log returns is ``exp(Σ r) - exp(Σ E[r])``, the same buy-and-hold quantity.
- **Exclusions**: a firm-event is dropped from every window for an unknown ticker, no prices, an
  implausible price spike (``spike_screen="exclude"``), fewer than ``min_estimation`` valid
  estimation returns, degenerate regressors or zero residual variance (constant prices); from a
  single window for a missing return (or benchmark/factor value) on one of its days. Statistics of
  firm-events excluded before fitting are NaN; spike-flagged ones keep theirs for inspection.
- **Tests** of a window run on its included firm-events via
  :func:`analytics.study.significance.window_tests` (NaN when none is included).
- **Placebo**: each draw k shifts every day 0 by the same ``δ_k`` sessions, drawn uniformly with
  replacement from :attr:`~analytics.study.spec.StudySpec.placebo_shifts`, so clustered events stay
  clustered; the pseudo study (estimation included) runs vectorized over chunks of draws on the
  firm-events included in the real window. ``p = (1 + #{|CAAR_k| >= |CAAR|}) / (K + 1)``.
- **Dollar impact**: ``ΔV_i = Σ_t AR_it · MV_{i,t-1}`` with
  ``MV_{i,t-1} = market_cap · P_{t-1} / P_anchor``; the cap nearest in date to day 0 is used, and
  ``P_anchor`` is the adjusted close of the last session on or before the cap's date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Protocol, TypeAlias

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.data.factors import ETF_PROXY_TICKERS
from analytics.errors import DataError, InsufficientDataError, SpecError, UnknownTickerError
from analytics.study.models import ModelFit, market_adjusted, ols
from analytics.study.result import STATUS_OK, StudyResult
from analytics.study.returns import align, daily_risk_free, price_returns, spikes
from analytics.study.significance import TestResult, mean_pairwise_correlation, window_tests
from analytics.study.spec import FACTOR_MODELS, StudySpec

__all__ = ["RISK_FREE", "PriceProvider", "Progress", "data_requirements", "run_study"]

logger = logging.getLogger(__name__)

RISK_FREE = "^IRX"
"""Symbol of the risk-free yield (13-week T-bill, percent p.a.) used by CAPM."""

Progress: TypeAlias = Callable[[str, float], None]
"""Callback ``(step, fraction done)`` for progress bars."""

_PLACEBO_CELLS = 4_000_000
_ZERO_SIGMA = 1e-10
_OK, _UNKNOWN, _NO_PRICES, _SPIKE, _HISTORY, _SINGULAR, _ZERO_VAR = range(7)


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
class _Panel:
    """Session-indexed inputs shared by the real study and its placebo draws."""

    sessions: pd.DatetimeIndex
    prices: np.ndarray  # (T, C) firm tickers in spec.tickers order
    returns: np.ndarray  # (T, C)
    market: np.ndarray  # (T,)
    rf: np.ndarray  # (T,) zero when the model uses none
    factors: np.ndarray  # (T, k), k = 0 unless a factor model
    spikes: np.ndarray  # (T, C) bool, implausible price spikes (all False when screening is off)


@dataclass(frozen=True, kw_only=True, eq=False)
class _Core:
    """Fitted models and event-day arrays of a set of firm-events (columns)."""

    fit: ModelFit
    ret: np.ndarray  # (W, N)
    expected: np.ndarray  # (W, N)
    ar: np.ndarray  # (W, N)
    code: np.ndarray  # (N,) status code
    spike_row: np.ndarray  # (N,) row in the estimation-to-event range, -1 if none
    spike_ratio: np.ndarray  # (N,)


def _fit(
    spec: StudySpec, panel: _Panel, day0_rows: np.ndarray, columns: np.ndarray
) -> tuple[ModelFit, np.ndarray, np.ndarray]:
    """Fit the spec's model; returns the fit, all returns (estimation start to last event day)
    and the expected event-day returns."""
    est_a, est_b = spec.estimation
    first, last = spec.event_span
    rel = np.arange(est_a, last + 1)
    est, evt = slice(0, est_b - est_a + 1), slice(first - est_a, last - est_a + 1)
    r = align(panel.returns, day0_rows, rel, columns)
    m = align(panel.market, day0_rows, rel)
    if spec.model == "market_adjusted":
        fit = market_adjusted(r[est], m[est], m[evt])
        return fit, r, fit.fitted
    rf = align(panel.rf, day0_rows, rel)
    if spec.model == "constant_mean":
        x = np.empty((*r.shape, 0))
    elif spec.model == "market":
        x = m[..., None]
    elif spec.model == "capm":
        x = (m - rf)[..., None]
    else:
        x = align(panel.factors, day0_rows, rel)
    excess = spec.model == "capm" or spec.model in FACTOR_MODELS
    y = r - rf if excess else r
    fit = ols(y[est], x[est], x[evt])
    return fit, r, fit.fitted + rf[evt] if excess else fit.fitted


def _core(spec: StudySpec, panel: _Panel, day0_rows: np.ndarray, columns: np.ndarray) -> _Core:
    """Everything per firm-event that does not depend on which firms are aggregated."""
    est_a, est_b = spec.estimation
    first, last = spec.event_span
    fit, r, expected = _fit(spec, panel, day0_rows, columns)
    ret = r[first - est_a :]
    code = np.where(np.isfinite(r).any(axis=0), _OK, _NO_PRICES)
    rel = np.arange(est_a, last + 1)
    hits = align(panel.spikes, day0_rows, rel, columns) & ((rel <= est_b) | (rel >= first))[:, None]
    spike_row = np.where(hits.any(axis=0), hits.argmax(axis=0), -1)
    jump = r[np.maximum(spike_row, 0), np.arange(len(code))]
    spike_ratio = np.where(
        spike_row >= 0, np.exp(jump) if spec.returns == "log" else 1 + jump, np.nan
    )
    estimation = r[: est_b - est_a + 1]
    seen = np.isfinite(estimation)
    constant = np.where(seen, estimation, -np.inf).max(axis=0) <= np.where(
        seen, estimation, np.inf
    ).min(axis=0)
    checks = (
        (spec.spike_screen == "exclude") & (spike_row >= 0),
        fit.n < spec.min_estimation,
        fit.singular,
        constant | ~(np.sqrt(np.where(fit.sigma2 >= 0, fit.sigma2, 0.0)) > _ZERO_SIGMA),
    )
    for status, failed in zip((_SPIKE, _HISTORY, _SINGULAR, _ZERO_VAR), checks, strict=True):
        code = np.where((code == _OK) & failed, status, code)
    return _Core(
        fit=fit,
        ret=ret,
        expected=expected,
        ar=ret - expected,
        code=code,
        spike_row=spike_row,
        spike_ratio=spike_ratio,
    )


def _window_rows(spec: StudySpec) -> list[slice]:
    first = spec.event_span[0]
    return [slice(a - first, b - first + 1) for a, b in spec.windows]


def _cars(spec: StudySpec, ar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(n_win, N)`` CARs (NaN when a day is missing) and whether every day is present."""
    car = np.stack([ar[rows].sum(axis=0) for rows in _window_rows(spec)])
    return car, np.isfinite(car)


def _symbols_known(prices: PriceProvider, tickers: Sequence[str]) -> np.ndarray:
    """Whether the provider stores any row of each ticker (one ``coverage`` call)."""
    coverage = prices.coverage(list(tickers))
    rows = pd.to_numeric(coverage["rows"], errors="coerce").fillna(0).to_numpy()
    stored = set(coverage.loc[rows > 0, "ticker"].astype(str))
    return np.array([t in stored for t in tickers], dtype=bool)


def _factor_table(
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


def _load(
    spec: StudySpec,
    prices: PriceProvider,
    factors: pd.DataFrame | None,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[_Panel, tuple[str, ...]]:
    """Load the panel of firms, benchmark (and ^IRX for CAPM) and the model's regressors."""
    tickers = list(spec.tickers)
    extra = [RISK_FREE] if spec.model == "capm" else []
    request = list(dict.fromkeys([*tickers, spec.benchmark, *extra]))
    sessions = calendar.sessions(start, end)
    frame = prices.panel(request, start, end)
    frame = frame.set_axis(pd.DatetimeIndex(frame.index).astype("datetime64[ns]"), axis=0)
    values = frame.reindex(index=sessions.astype("datetime64[ns]"), columns=request)
    wide = values.to_numpy(dtype="float64", na_value=np.nan)
    returns = price_returns(wide, spec.returns)
    market = returns[:, request.index(spec.benchmark)]
    if not np.isfinite(market).any():
        if not _symbols_known(prices, [spec.benchmark])[0]:
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
        factor_values, factor_rf, names = _factor_table(spec, factors, prices, sessions)
        if factor_rf is not None:
            rf = factor_rf
    columns = pd.Index(request).get_indexer(pd.Index(tickers))
    screen = spec.spike_screen != "off"
    firm_returns = returns[:, columns]
    panel = _Panel(
        sessions=sessions,
        prices=wide[:, columns],
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


def _param_names(spec: StudySpec, factor_names: tuple[str, ...]) -> tuple[str, ...]:
    if spec.model == "market_adjusted":
        return ()
    if spec.model == "constant_mean":
        return ("alpha",)
    if spec.model in FACTOR_MODELS:
        return ("alpha", *(f"beta_{name}" for name in factor_names))
    return ("alpha", "beta")


def _cap_anchors(events: pd.DataFrame, market_caps: pd.DataFrame) -> pd.DataFrame:
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


def _dollar_impact(
    spec: StudySpec,
    panel: _Panel,
    anchors: pd.DataFrame,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    ar: np.ndarray,
) -> np.ndarray:
    """``(n_win, N)`` dollar impact ``Σ_t AR_t · MV_{t-1}``; NaN without a market cap."""
    anchor_dates = anchors["cap_date"].to_numpy(dtype="datetime64[ns]")
    anchor_rows = panel.sessions.searchsorted(anchor_dates, side="right") - 1
    found = ~np.isnat(anchor_dates) & (anchor_rows >= 0)
    anchor_price = np.where(found, panel.prices[np.maximum(anchor_rows, 0), columns], np.nan)
    first, last = spec.event_span
    previous = align(panel.prices, day0_rows, np.arange(first - 1, last), columns)
    scale = anchors["market_cap"].to_numpy(dtype="float64") / anchor_price
    flow = ar * previous * scale
    return np.stack([flow[rows].sum(axis=0) for rows in _window_rows(spec)])


def _firm_reasons(
    spec: StudySpec, core: _Core, sessions: np.ndarray, rows: np.ndarray
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Firm-level reason per firm-event (``"ok"`` if none) and the spike flag texts."""
    rel0 = spec.estimation[0]
    flags: list[str | None] = []
    for row, ratio, day0_row in zip(core.spike_row, core.spike_ratio, rows, strict=True):
        if row < 0:
            flags.append(None)
            continue
        date = pd.Timestamp(sessions[day0_row + rel0 + row]).strftime("%Y-%m-%d")
        flags.append(f"implausible price spike on {date} (×{ratio:.0f})" if ratio >= 10 else
                     f"implausible price spike on {date} (×{ratio:.3g})")  # fmt: skip
    texts = {
        _OK: STATUS_OK,
        _UNKNOWN: "excluded: unknown ticker",
        _NO_PRICES: "excluded: no prices",
        _SINGULAR: "excluded: degenerate regressors in the estimation window",
        _ZERO_VAR: "excluded: zero return variance in the estimation window (constant prices)",
    }
    reasons = []
    for i, code in enumerate(core.code):
        if code == _SPIKE:
            reasons.append(f"excluded: {flags[i]}")
        elif code == _HISTORY:
            reasons.append(
                f"excluded: too little history ({core.fit.n[i]} valid estimation returns "
                f"< min_estimation {spec.min_estimation})"
            )
        else:
            reasons.append(texts[int(code)])
    return tuple(reasons), tuple(flags)


def _window_status(
    spec: StudySpec, core: _Core, firm_reason: tuple[str, ...], complete: np.ndarray
) -> np.ndarray:
    """``(n_win, N)`` ``"ok"`` or the reason a firm-event is left out of a window."""
    status = np.empty(complete.shape, dtype=object)
    reasons = np.asarray(firm_reason, dtype=object)
    for j, (key, rows) in enumerate(zip(spec.window_keys, _window_rows(spec), strict=True)):
        gap = ~np.isfinite(core.ret[rows]).all(axis=0)
        status[j] = np.where(
            core.code != _OK,
            reasons,
            np.where(
                gap,
                f"excluded: missing price in window {key}",
                np.where(
                    complete[j],
                    STATUS_OK,
                    f"excluded: missing benchmark or factor data in window {key}",
                ),
            ),
        )
    return status


def _firm_status(firm_reason: tuple[str, ...], status: np.ndarray) -> tuple[str, ...]:
    """``"ok"`` when usable in some window, else the firm-level or every window's reason."""
    usable = (status == STATUS_OK).any(axis=0)
    return tuple(
        STATUS_OK if usable[i] else reason if reason != STATUS_OK
        else "excluded: " + "; ".join(s.removeprefix("excluded: ") for s in status[:, i])
        for i, reason in enumerate(firm_reason)
    )  # fmt: skip


def _bhar(spec: StudySpec, ret: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """``(n_win, N)`` buy-and-hold abnormal returns ``Π(1+R) - Π(1+E)`` (exp-sum for logs)."""
    if spec.returns == "log":
        return np.stack(
            [
                np.exp(ret[r].sum(axis=0)) - np.exp(expected[r].sum(axis=0))
                for r in _window_rows(spec)
            ]
        )
    return np.stack(
        [(1 + ret[r]).prod(axis=0) - (1 + expected[r]).prod(axis=0) for r in _window_rows(spec)]
    )


def _placebo(
    spec: StudySpec,
    panel: _Panel,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    included: np.ndarray,
    caar: np.ndarray,
    report: Progress,
) -> dict[str, TestResult]:
    """Empirical p-values of each window's CAAR from ``spec.placebo`` shifted pseudo studies."""
    rng = np.random.default_rng(spec.seed)
    low, high = spec.placebo_shifts
    shifts = rng.integers(low, high, size=spec.placebo, endpoint=True)
    keep = included.any(axis=0)
    rows, cols, inside = day0_rows[keep], columns[keep], included[:, keep]
    n_fe = int(keep.sum())
    depth = spec.event_span[1] - spec.estimation[0] + 1
    chunk = max(1, _PLACEBO_CELLS // max(depth * n_fe, 1))
    caar_k = np.full((len(spec.windows), spec.placebo), np.nan)
    for start in range(0, spec.placebo if n_fe else 0, chunk):
        part = shifts[start : start + chunk]
        core = _core(spec, panel, (rows[None, :] + part[:, None]).ravel(), np.tile(cols, len(part)))
        car, complete = _cars(spec, core.ar)
        usable = complete & (core.code == _OK)[None, :] & np.tile(inside, len(part))
        shape = (len(spec.windows), len(part), n_fe)
        counts = usable.reshape(shape).sum(axis=2)
        sums = np.where(usable, car, 0.0).reshape(shape).sum(axis=2)
        caar_k[:, start : start + len(part)] = np.where(
            counts > 0, sums / np.maximum(counts, 1), np.nan
        )
        report("placebo", 0.4 + 0.4 * (start + len(part)) / spec.placebo)
    out = {}
    for j, key in enumerate(spec.window_keys):
        draws = caar_k[j][np.isfinite(caar_k[j])]
        k = len(draws)
        extreme = int((np.abs(draws) >= abs(caar[j])).sum())
        spread = float(draws.std(ddof=1)) if k > 1 else np.nan
        out[key] = TestResult(
            stat=float(caar[j] / spread) if spread > 0 else np.nan,
            pvalue=(1 + extreme) / (k + 1) if np.isfinite(caar[j]) else np.nan,
            null="the CAAR is no more extreme than the CAARs of pseudo event dates",
            name="placebo",
            k=k,
        )
    return out


def _span(
    spec: StudySpec, day0: np.ndarray, anchors: pd.DataFrame | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session the study reads (one price before the first return)."""
    back = spec.estimation[0] - 1 + (spec.placebo_shifts[0] if spec.placebo else 0)
    start = calendar.offset(pd.Timestamp(day0.min()), back)
    end = calendar.offset(pd.Timestamp(day0.max()), spec.event_span[1])
    if anchors is not None and anchors["cap_date"].notna().any():
        start = min(start, pd.Timestamp(anchors["cap_date"].min()))
        end = max(end, pd.Timestamp(anchors["cap_date"].max()))
    return start, end


def data_requirements(
    spec: StudySpec, *, market_caps: pd.DataFrame | None = None
) -> tuple[list[str], pd.Timestamp, pd.Timestamp]:
    """The tickers and the inclusive date range :func:`run_study` reads for ``spec``.

    Lets callers fetch exactly what a study needs before running it.
    """
    events = spec.events.rename(columns={"date": "event_date"})
    day0 = events["day0"].to_numpy(dtype="datetime64[ns]")
    anchors = None if market_caps is None else _cap_anchors(events, market_caps)
    start, end = _span(spec, day0, anchors)
    extra: list[str] = []
    if spec.model == "capm":
        extra = [RISK_FREE]
    elif spec.model == "etf_factors":
        extra = [*ETF_PROXY_TICKERS]
    return list(dict.fromkeys([*spec.tickers, spec.benchmark, *extra])), start, end


def run_study(
    spec: StudySpec,
    prices: PriceProvider,
    *,
    market_caps: pd.DataFrame | None = None,
    factors: pd.DataFrame | None = None,
    progress: Progress | None = None,
) -> StudyResult:
    """Run the event study ``spec`` on prices from ``prices``.

    Parameters
    ----------
    spec
        The validated specification (see :meth:`StudySpec.create`).
    prices
        Where adjusted closes come from: the store, or any :class:`PriceProvider`.
    market_caps
        Optional ``ticker, date, market_cap`` rows (market cap as of that date) for the dollar
        impact; firms without one get NaN.
    factors
        Factor returns, required by factor models (ignored by the others): indexed by date (or
        with a ``date`` column), one column per factor in decimal daily returns and an optional
        ``RF``. The engine never loads them itself: :meth:`analytics.workspace.Workspace.factors`
        does (a factor file, Kenneth French's library through a cache, or ETF proxies).
    progress
        Called with ``(step, fraction)`` as the work advances.

    Raises
    ------
    SpecError
        A factor model without ``factors`` (parameter ``factors``).
    InsufficientDataError
        When no firm-event is usable in any window, or the benchmark (or ``^IRX`` for CAPM) has
        no prices in the study's span.
    UnknownTickerError
        When the benchmark is not stored at all.
    """
    report = progress or (lambda step, fraction: None)
    events = spec.events.rename(columns={"date": "event_date"})
    day0 = events["day0"].to_numpy(dtype="datetime64[ns]")
    anchors = None if market_caps is None else _cap_anchors(events, market_caps)
    start, end = _span(spec, day0, anchors)
    report("loading prices", 0.0)
    panel, factor_names = _load(spec, prices, factors, start, end)
    tickers = list(spec.tickers)
    columns = pd.Index(tickers).get_indexer(pd.Index(events["ticker"])).astype(np.intp)
    day0_rows = panel.sessions.searchsorted(day0)
    report("estimating models", 0.2)
    core = _core(spec, panel, day0_rows, columns)
    # A ticker with a price in the panel is stored; only the others need the (slower) coverage.
    known = np.isfinite(panel.prices).any(axis=0)
    if not known.all():
        unseen = [t for t, seen in zip(tickers, known, strict=True) if not seen]
        known[~known] = _symbols_known(prices, unseen)
    known = known[columns]
    core = replace(core, code=np.where(known, core.code, _UNKNOWN))
    fit = core.fit
    fitted = (core.code == _OK) | (core.code == _SPIKE)
    expected = np.where(fitted, core.expected, np.nan)
    ar = np.where(fitted, core.ar, np.nan)
    var_ar = np.where(fitted, np.diagonal(fit.cov, axis1=1, axis2=2).T, np.nan)
    window_rows = _window_rows(spec)
    car, complete = _cars(spec, ar)
    var_car = np.stack([fit.cov[:, rows, rows].sum(axis=(1, 2)) for rows in window_rows])
    var_car = np.where(fitted, var_car, np.nan)
    firm_reason, flags = _firm_reasons(spec, core, panel.sessions.to_numpy(), day0_rows)
    status = _window_status(spec, core, firm_reason, complete)
    included = status == STATUS_OK
    if not included.any():
        reasons = sorted(set(status.ravel().tolist()))
        raise InsufficientDataError(
            f"no usable firm: every firm-event is excluded ({'; '.join(reasons[:5])}"
            f"{'; ...' if len(reasons) > 5 else ''}); check the tickers, dates and stored history"
        )
    report("testing", 0.4)
    scar = car / np.sqrt(np.where(var_car > 0, var_car, np.nan))
    # r̄ depends only on which firms a window includes, usually the same in every window.
    rbar = {
        inside.tobytes(): mean_pairwise_correlation(fit.resid[:, inside])
        for inside in np.unique(included[included.any(axis=1)], axis=0)
    }
    tests = {
        key: window_tests(
            car=car[j, inside],
            scar=scar[j, inside],
            dof=fit.dof[inside],
            est_resid=fit.resid[:, inside],
            window_ar=ar[window_rows[j]][:, inside],
            est_n=fit.n[inside],
            rbar=rbar[inside.tobytes()],
        )
        for j, (key, inside) in enumerate(zip(spec.window_keys, included, strict=True))
        if inside.any()
    }
    n_included = included.sum(axis=1)
    caar = np.where(included, car, 0.0).sum(axis=1) / np.where(n_included > 0, n_included, np.nan)
    placebo = (
        _placebo(spec, panel, day0_rows, columns, included, caar, report) if spec.placebo else {}
    )
    dollars = (
        np.full(car.shape, np.nan)
        if anchors is None
        else _dollar_impact(spec, panel, anchors, day0_rows, columns, ar)
    )
    first, last = spec.event_span
    rel_days = np.arange(first, last + 1)
    logger.info(
        "event study: %d firm-events, %s model, %d usable, day 0 %s..%s",
        len(day0), spec.model, int(included.any(axis=0).sum()),
        pd.Timestamp(day0.min()).date(), pd.Timestamp(day0.max()).date(),
    )  # fmt: skip
    report("done", 1.0)
    return StudyResult(
        spec=spec,
        events=events[["event_id", "ticker", "event_date", "timing", "day0"]],
        param_names=_param_names(spec, factor_names),
        params=np.where(fitted[:, None], fit.params, np.nan),
        sigma=np.where(fitted, np.sqrt(np.where(fit.sigma2 >= 0, fit.sigma2, np.nan)), np.nan),
        n_estimation=fit.n,
        dof=np.where(fitted, fit.dof, np.nan),
        firm_status=_firm_status(firm_reason, status),
        flags=flags,
        rel_days=rel_days,
        dates=panel.sessions.to_numpy()[day0_rows[None, :] + rel_days[:, None]],
        ret=core.ret,
        expected=expected,
        ar=ar,
        var_ar=var_ar,
        car_array=car,
        var_car=var_car,
        bhar=_bhar(spec, core.ret, expected),
        dollar_impact=dollars,
        window_status=status,
        test_results=tests,
        placebo=placebo,
    )
