"""The firm stage of a study: everything per firm-event (the fitted model, ARs, CARs, SCARs,
BHARs, status) before any firm is aggregated, and the :class:`StudyResult` built from it.

The in-memory engine (:func:`~analytics.study.engine.run.run_study`) runs it once on all
firm-events; the out-of-core engine (:mod:`~analytics.study.engine.chunked`) once per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from analytics import calendar
from analytics.study.engine.core import (
    OK,
    SPIKE,
    UNKNOWN,
    Core,
    bhar,
    cars,
    estimate,
    param_names,
    standardized_cars,
    window_slices,
)
from analytics.study.engine.dollars import cap_anchors, dollar_impact
from analytics.study.engine.exclusions import firm_reasons, firm_status, window_status
from analytics.study.engine.inputs import Panel, PriceProvider, Progress, load_panel, symbols_known
from analytics.study.result import STATUS_OK, StudyResult
from analytics.study.spec import StudySpec

__all__ = ["Stage", "firm_stage", "span", "study_result"]


def span(
    spec: StudySpec, day0: np.ndarray, anchors: pd.DataFrame | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last session the study reads (one price before the first return)."""
    lags = spec.market_lags
    back = spec.estimation[0] - 1 - lags + (spec.placebo_shifts[0] if spec.placebo else 0)
    start = calendar.offset(pd.Timestamp(day0.min()), back)
    end = calendar.offset(
        pd.Timestamp(day0.max()), max(spec.event_span[1], spec.estimation[1] + lags)
    )
    if anchors is not None and anchors["cap_date"].notna().any():
        start = min(start, pd.Timestamp(anchors["cap_date"].min()))
        end = max(end, pd.Timestamp(anchors["cap_date"].max()))
    return start, end


@dataclass(frozen=True, kw_only=True, eq=False)
class Stage:
    """Per firm-event arrays of a study (columns in ``spec.firm_events`` order)."""

    spec: StudySpec
    events: pd.DataFrame
    day0: np.ndarray
    anchors: pd.DataFrame | None
    panel: Panel
    factor_names: tuple[str, ...]
    day0_rows: np.ndarray
    columns: np.ndarray
    core: Core
    fitted: np.ndarray
    expected: np.ndarray
    ar: np.ndarray
    var_ar: np.ndarray
    window_rows: list[slice]
    car: np.ndarray
    var_car: np.ndarray
    firm_reason: tuple[str, ...]
    flags: tuple[str | None, ...]
    status: np.ndarray
    included: np.ndarray
    scar: np.ndarray
    bhar: np.ndarray
    sigma: np.ndarray

    @property
    def params(self) -> np.ndarray:
        return np.where(self.fitted[:, None], self.core.fit.params, np.nan)

    def dollars(self) -> tuple[np.ndarray, np.ndarray]:
        """``(n_win, N)`` dollar impact and raw market-value change (NaN without caps)."""
        if self.anchors is None:
            return np.full(self.car.shape, np.nan), np.full(self.car.shape, np.nan)
        ret = self.core.ret
        simple = np.expm1(ret) if self.spec.returns == "log" else ret
        parts = (self.spec, self.panel, self.anchors, self.day0_rows, self.columns)
        return dollar_impact(*parts, self.ar), dollar_impact(*parts, simple)


def firm_stage(
    spec: StudySpec,
    prices: PriceProvider,
    *,
    market_caps: pd.DataFrame | None = None,
    factors: pd.DataFrame | None = None,
    report: Progress | None = None,
) -> Stage:
    """Load the panel and compute every per firm-event quantity of ``spec``."""
    say = report or (lambda step, fraction: None)
    events = spec.events.rename(columns={"date": "event_date"})
    day0 = events["day0"].to_numpy(dtype="datetime64[ns]")
    anchors = None if market_caps is None else cap_anchors(events, market_caps)
    start, end = span(spec, day0, anchors)
    say("loading prices", 0.0)
    panel, factor_names = load_panel(spec, prices, factors, start, end)
    tickers = list(spec.tickers)
    columns = (
        np.arange(len(tickers))  # every firm-event its own ticker, in first-seen order
        if len(tickers) == len(events)
        else pd.Index(tickers).get_indexer(pd.Index(events["ticker"])).astype(np.intp)
    )
    day0_rows = panel.sessions.searchsorted(day0)
    say("estimating models", 0.2)
    core = estimate(spec, panel, day0_rows, columns)
    # A ticker with a price in the panel is stored; only the others need the (slower) coverage.
    known = np.isfinite(panel.prices).any(axis=0)
    if not known.all():
        unseen = [t for t, seen in zip(tickers, known, strict=True) if not seen]
        known[~known] = symbols_known(prices, unseen)
    known = known[columns]
    core = replace(core, code=np.where(known, core.code, UNKNOWN))
    fit = core.fit
    fitted = (core.code == OK) | (core.code == SPIKE)
    expected = np.where(fitted, core.expected, np.nan)
    ar = np.where(fitted, core.ar, np.nan)
    var_ar = np.where(fitted, np.diagonal(fit.cov, axis1=1, axis2=2).T, np.nan)
    window_rows = window_slices(spec)
    car, complete = cars(spec, ar)
    var_car = np.stack([fit.cov[:, rows, rows].sum(axis=(1, 2)) for rows in window_rows])
    var_car = np.where(fitted, var_car, np.nan)
    firm_reason, flags = firm_reasons(spec, core, panel.sessions.to_numpy(), day0_rows)
    status = window_status(spec, core, firm_reason, complete)
    return Stage(
        spec=spec,
        events=events,
        day0=day0,
        anchors=anchors,
        panel=panel,
        factor_names=factor_names,
        day0_rows=day0_rows,
        columns=columns,
        core=core,
        fitted=fitted,
        expected=expected,
        ar=ar,
        var_ar=var_ar,
        window_rows=window_rows,
        car=car,
        var_car=var_car,
        firm_reason=firm_reason,
        flags=flags,
        status=status,
        included=status == STATUS_OK,
        scar=standardized_cars(spec, car, var_car, ar, var_ar),
        bhar=bhar(spec, core.ret, expected),
        sigma=np.sqrt(np.where(fit.sigma2 > 0, fit.sigma2, np.nan)),
    )


def study_result(stage: Stage, **parts: Any) -> StudyResult:
    """The :class:`StudyResult` of ``stage`` with the aggregate ``parts`` (tests, placebo,
    dollar impact, ...) as :class:`StudyResult` names them."""
    spec, fit = stage.spec, stage.core.fit
    first, last = spec.event_span
    rel_days = np.arange(first, last + 1)
    return StudyResult(
        spec=spec,
        events=stage.events[["event_id", "ticker", "event_date", "timing", "day0"]],
        param_names=param_names(spec, stage.factor_names),
        params=stage.params,
        sigma=np.where(
            stage.fitted, np.sqrt(np.where(fit.sigma2 >= 0, fit.sigma2, np.nan)), np.nan
        ),
        n_estimation=fit.n,
        dof=np.where(stage.fitted, fit.dof, np.nan),
        firm_status=firm_status(stage.firm_reason, stage.status),
        flags=stage.flags,
        rel_days=rel_days,
        dates=stage.panel.sessions.to_numpy()[stage.day0_rows[None, :] + rel_days[:, None]],
        ret=stage.core.ret,
        expected=stage.expected,
        ar=stage.ar,
        var_ar=stage.var_ar,
        car_array=stage.car,
        var_car=stage.var_car,
        scar_values=stage.scar,
        bhar=stage.bhar,
        window_status=stage.status,
        **parts,
    )
