"""Front door of the event-study engine: ``run_study(spec, prices) -> StudyResult`` and
:func:`data_requirements` (what it reads)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from analytics.data.factors import ETF_PROXY_TICKERS
from analytics.errors import InsufficientDataError
from analytics.study.calendar_time import CalendarTime, daily_portfolio, portfolio_alpha
from analytics.study.engine.core import (
    param_names,
)
from analytics.study.engine.cross_section import (
    group_labels,
    market_values,
    regressions,
    regressor_table,
    subgroups,
)
from analytics.study.engine.dollars import cap_anchors
from analytics.study.engine.inputs import (
    RISK_FREE,
    Panel,
    PriceProvider,
    Progress,
)
from analytics.study.engine.placebo import placebo_tests
from analytics.study.engine.stage import firm_stage, span, study_result
from analytics.study.options import FACTOR_MODELS
from analytics.study.result import StudyResult
from analytics.study.significance import (
    mean_pairwise_correlation,
    summarize_residuals,
    window_tests,
)
from analytics.study.spec import StudySpec
from analytics.study.volatility import abnormal_volatility
from analytics.study.volume import AbnormalVolume, abnormal_volume

__all__ = ["calendar_regressors", "calendar_sums", "data_requirements", "run_study"]

logger = logging.getLogger(__name__)


def _relative(values: np.ndarray, day0_rows: np.ndarray, first: int, last: int) -> np.ndarray:
    """``(last - first + 1, N)``: column ``i`` of ``values`` on the sessions ``first..last``
    relative to ``day0_rows[i]``; NaN outside the panel."""
    rows = np.arange(first, last + 1)[:, None] + day0_rows[None, :]
    inside = (rows >= 0) & (rows < len(values))
    picked = values[np.clip(rows, 0, len(values) - 1), np.arange(values.shape[1])[None, :]]
    return np.where(inside, picked, np.nan)


def _volume_tests(
    spec: StudySpec,
    volume: pd.DataFrame,
    sessions: pd.DatetimeIndex,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    included: np.ndarray,
) -> dict[str, AbnormalVolume] | None:
    """Per window, the abnormal volume of the included firm-events; None without any volume."""
    aligned = volume.reindex(index=sessions, columns=list(spec.tickers))
    values = aligned.to_numpy(dtype="float64", na_value=np.nan)[:, columns]
    if not np.isfinite(values).any():
        return None
    est = _relative(values, day0_rows, *spec.estimation)
    return {
        key: abnormal_volume(est[:, inside], _relative(values, day0_rows, start, end)[:, inside])
        for key, (start, end), inside in zip(spec.window_keys, spec.windows, included, strict=True)
        if inside.any()
    }


def calendar_regressors(spec: StudySpec, panel: Panel) -> tuple[np.ndarray, np.ndarray | None]:
    """Per session of ``panel``, what a calendar-time portfolio is regressed on: the benchmark
    (market, CAPM in excess of the risk-free rate), nothing (constant mean; market-adjusted, in
    excess of the benchmark) or the factors; and the risk-free rate subtracted, if any."""
    # A portfolio's return is the mean of its members' simple returns: log returns (and the
    # log risk-free rate) are turned back into simple ones; factor returns are simple already.
    simple = np.expm1 if spec.returns == "log" else np.asarray
    market = simple(panel.market)
    rf = simple(panel.rf)
    if spec.model == "capm":
        return (market - rf)[:, None], rf
    if spec.model == "market_adjusted":
        return np.zeros((len(market), 0)), market
    if spec.model == "constant_mean":
        return np.zeros((len(market), 0)), None
    if spec.model in FACTOR_MODELS:
        return panel.factors, rf
    return market[:, None], None


def calendar_sums(
    spec: StudySpec,
    panel: Panel,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    included: np.ndarray,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per window, the :func:`daily_portfolio` sums and counts of its included firm-events on
    the sessions of ``panel`` (additive over chunks of firm-events)."""
    simple = np.expm1 if spec.returns == "log" else np.asarray
    n_sessions = len(panel.sessions)
    sums = {}
    for key, (start, end), inside in zip(spec.window_keys, spec.windows, included, strict=True):
        if not inside.any():
            continue
        # The cells of the firm-events' windows only: (L, N) rows and returns, never (T, N).
        rows = day0_rows[inside][None, :] + np.arange(start, end + 1)[:, None]
        cols = np.broadcast_to(columns[inside][None, :], rows.shape)
        valid = (rows >= 0) & (rows < n_sessions)
        values = simple(panel.returns[rows[valid], cols[valid]])
        sums[key] = daily_portfolio(rows[valid], values, n_sessions)
    return sums


def _calendar_time(
    spec: StudySpec,
    panel: Panel,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    included: np.ndarray,
) -> dict[str, CalendarTime]:
    """Per window, the calendar-time portfolio of the included firm-events, regressed on
    :func:`calendar_regressors`."""
    regressors, risk_free = calendar_regressors(spec, panel)
    return {
        key: portfolio_alpha(sums, counts, regressors, risk_free)
        for key, (sums, counts) in calendar_sums(spec, panel, day0_rows, columns, included).items()
    }


def data_requirements(
    spec: StudySpec, *, market_caps: pd.DataFrame | None = None
) -> tuple[list[str], pd.Timestamp, pd.Timestamp]:
    """The tickers and the inclusive date range :func:`run_study` reads for ``spec``.

    Lets callers fetch exactly what a study needs before running it.
    """
    events = spec.events.rename(columns={"date": "event_date"})
    day0 = events["day0"].to_numpy(dtype="datetime64[ns]")
    anchors = None if market_caps is None else cap_anchors(events, market_caps)
    start, end = span(spec, day0, anchors)
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
    volume: pd.DataFrame | None = None,
    sectors: pd.Series | None = None,
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
    volume
        Shares traded, wide like a price panel (dates × tickers), for the abnormal-volume tests;
        None, or no volume at all, leaves them out (:attr:`StudyResult.abnormal_volume` None).
    sectors
        Ticker → sector, for ``group_by="sector"`` when the spec has no ``sector`` covariate
        (tickers it lacks are ``"Unknown"``).
    progress
        Called with ``(step, fraction)`` as the work advances.

    Raises
    ------
    SpecError
        A factor model without ``factors`` (parameter ``factors``); ``group_by="sector"``
        without ``sectors`` or a sector covariate (parameter ``group_by``).
    InsufficientDataError
        When no firm-event is usable in any window, or the benchmark (or ``^IRX`` for CAPM) has
        no prices in the study's span.
    UnknownTickerError
        When the benchmark is not stored at all.
    """
    report = progress or (lambda step, fraction: None)
    labels = group_labels(spec, sectors)
    stage = firm_stage(spec, prices, market_caps=market_caps, factors=factors, report=report)
    day0, anchors, panel = stage.day0, stage.anchors, stage.panel
    day0_rows, columns, fit = stage.day0_rows, stage.columns, stage.core.fit
    ar, var_ar, window_rows = stage.ar, stage.var_ar, stage.window_rows
    car, status, included, factor_names = (
        stage.car,
        stage.status,
        stage.included,
        stage.factor_names,
    )
    if not included.any():
        reasons = sorted(set(status.ravel().tolist()))
        raise InsufficientDataError(
            f"no usable firm: every firm-event is excluded ({'; '.join(reasons[:5])}"
            f"{'; ...' if len(reasons) > 5 else ''}); check the tickers, dates and stored history"
        )
    report("testing", 0.4)
    scar, bhars, sigma = stage.scar, stage.bhar, stage.sigma
    # The included firms' residuals, r̄ and the sorted residuals depend only on which firms a
    # window includes, usually the same in every window (often every firm: no copy).
    shared = {}
    for inside in {row.tobytes(): row for row in included if row.any()}.values():
        resid = fit.resid if inside.all() else fit.resid[:, inside]
        shared[inside.tobytes()] = (
            resid,
            mean_pairwise_correlation(resid),
            summarize_residuals(resid),
        )
    tests = {
        key: window_tests(
            car=car[j, inside],
            scar=scar[j, inside],
            dof=fit.dof[inside],
            est_resid=shared[inside.tobytes()][0],
            window_ar=ar[window_rows[j]][:, inside],
            est_n=fit.n[inside],
            rbar=shared[inside.tobytes()][1],
            bhar=bhars[j, inside],
            sigma=sigma[inside],
            summary=shared[inside.tobytes()][2],
            bootstrap=spec.bootstrap,
            seed=spec.seed,
        )
        for j, (key, inside) in enumerate(zip(spec.window_keys, included, strict=True))
        if inside.any()
    }
    n_included = included.sum(axis=1)
    caar = np.where(included, car, 0.0).sum(axis=1) / np.where(n_included > 0, n_included, np.nan)
    placebo = (
        placebo_tests(spec, panel, day0_rows, columns, included, caar, report)
        if spec.placebo
        else {}
    )
    volatility = {
        key: abnormal_volatility(
            ar[window_rows[j]][:, inside], var_ar[window_rows[j]][:, inside], fit.dof[inside]
        )
        for j, (key, inside) in enumerate(zip(spec.window_keys, included, strict=True))
        if inside.any()
    }
    volumes = (
        None
        if volume is None
        else _volume_tests(spec, volume, panel.sessions, day0_rows, columns, included)
    )
    calendar = (
        _calendar_time(spec, panel, day0_rows, columns, included)
        if len(np.unique(day0)) > 1
        else {}
    )
    regressors = regressor_table(
        spec,
        params=stage.params,
        param_names=param_names(spec, factor_names),
        market_value=market_values(panel, anchors, day0_rows, columns),
    )
    regression = regressions(spec, car=car, included=included, regressors=regressors, day0=day0)
    groups = subgroups(
        spec,
        labels,
        car=car,
        scar=scar,
        dof=fit.dof,
        resid=fit.resid,
        ar=ar,
        window_rows=window_rows,
        included=included,
        est_n=fit.n,
        bhar=bhars,
        sigma=sigma,
    )
    dollars, value_change = stage.dollars()
    logger.info(
        "event study: %d firm-events, %s model, %d usable, day 0 %s..%s",
        len(day0), spec.model, int(included.any(axis=0).sum()),
        pd.Timestamp(day0.min()).date(), pd.Timestamp(day0.max()).date(),
    )  # fmt: skip
    report("done", 1.0)
    return study_result(
        stage,
        dollar_impact=dollars,
        test_results=tests,
        placebo=placebo,
        value_change=value_change,
        calendar_time=calendar,
        volatility=volatility,
        abnormal_volume=volumes,
        regression=regression,
        groups=groups,
        regressors=regressors if spec.regress else None,
    )
