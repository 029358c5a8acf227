"""The cross-section of a study's firms: CARs regressed on firm characteristics, and subgroups.

Regressors (:attr:`StudySpec.regress`): ``beta``, the estimation-window market loading (for
factor models the first factor's); ``log_mcap``, ``log MV_{i,-1}`` with
``MV_{i,-1} = market_cap · P_{-1} / P_anchor`` (the cap nearest in date to day 0, scaled by the
adjusted-price ratio, as the dollar impact scales it); any numeric covariate of the spec.
Groups (:attr:`StudySpec.group_by`): a covariate, or the reference ``sector`` of each ticker.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.errors import SpecError
from analytics.study.covariates import SECTOR
from analytics.study.engine.inputs import Panel
from analytics.study.groups import (
    PERMUTATIONS,
    Groups,
    GroupStats,
    WindowGroups,
    group_differences,
)
from analytics.study.regression import Regression, regress_cars
from analytics.study.significance import (
    ResidualSummary,
    mean_pairwise_correlation,
    summarize_residuals,
    window_tests,
)
from analytics.study.spec import StudySpec

__all__ = ["group_labels", "market_values", "regressions", "regressor_table", "subgroups"]


def market_values(
    panel: Panel, anchors: pd.DataFrame | None, day0_rows: np.ndarray, columns: np.ndarray
) -> np.ndarray:
    """``(N,)`` market value on the session before day 0 (NaN without a cap or a price)."""
    if anchors is None:
        return np.full(len(columns), np.nan)
    anchor_dates = anchors["cap_date"].to_numpy(dtype="datetime64[ns]")
    anchor_rows = panel.sessions.searchsorted(anchor_dates, side="right") - 1
    found = ~np.isnat(anchor_dates) & (anchor_rows >= 0)
    anchor_price = np.where(found, panel.prices[np.maximum(anchor_rows, 0), columns], np.nan)
    before = day0_rows - 1
    previous = np.where(before >= 0, panel.prices[np.maximum(before, 0), columns], np.nan)
    return anchors["market_cap"].to_numpy(dtype="float64") * previous / anchor_price


def regressor_table(
    spec: StudySpec,
    *,
    params: np.ndarray,
    param_names: tuple[str, ...],
    market_value: np.ndarray,
) -> pd.DataFrame:
    """``N`` rows, one float column per regressor of ``spec.regress`` (NaN where missing)."""
    covariates = spec.covariate_frame
    table: dict[str, np.ndarray] = {}
    for name in spec.regress:
        if name == "beta":
            loadings = [k for k, p in enumerate(param_names) if p.startswith("beta")]
            table[name] = params[:, loadings[0]] if loadings else np.full(len(params), np.nan)
        elif name == "log_mcap":
            with np.errstate(divide="ignore", invalid="ignore"):
                table[name] = np.where(market_value > 0, np.log(market_value), np.nan)
        else:
            table[name] = pd.to_numeric(
                covariates[name].replace("", None), errors="coerce"
            ).to_numpy("float64")
    return pd.DataFrame(table, index=pd.RangeIndex(len(params)))


def regressions(
    spec: StudySpec,
    *,
    car: np.ndarray,
    included: np.ndarray,
    regressors: pd.DataFrame,
    day0: np.ndarray,
) -> dict[str, Regression]:
    """Window key → the regression of its included firms' CARs (empty without regressors)."""
    if not spec.regress:
        return {}
    return {
        key: regress_cars(np.where(included[j], car[j], np.nan), regressors, dates=day0)
        for j, key in enumerate(spec.window_keys)
    }


def group_labels(spec: StudySpec, sectors: pd.Series | None) -> np.ndarray:
    """``(N,)`` group label of each firm-event (None when it has none)."""
    names = dict(spec.covariates)
    if spec.group_by in names:
        values = names[spec.group_by]
    elif spec.group_by == SECTOR:
        if sectors is None:
            raise SpecError(
                "group_by: sector needs the reference tables (set AFTERSHOCK_REFERENCE) or a "
                "sector column in the universe file",
                parameter="group_by",
            )
        known = {str(k): str(v) for k, v in sectors.items()}
        values = tuple(known.get(e.ticker, "Unknown") for e in spec.firm_events)
    else:
        return np.full(len(spec.firm_events), None, dtype=object)
    return np.array([v if v else None for v in values], dtype=object)


def subgroups(
    spec: StudySpec,
    labels: np.ndarray,
    *,
    car: np.ndarray,
    scar: np.ndarray,
    dof: np.ndarray,
    resid: np.ndarray,
    ar: np.ndarray,
    window_rows: list[slice],
    included: np.ndarray,
    est_n: np.ndarray,
    bhar: np.ndarray,
    sigma: np.ndarray,
) -> Groups | None:
    """Each window's groups (the study's tests on each group's firms) and their comparisons."""
    if spec.group_by is None:
        return None
    labelled = labels != None  # noqa: E711 - elementwise on an object array
    windows: dict[str, WindowGroups] = {}
    shared: dict[bytes, tuple[float, ResidualSummary]] = {}
    for j, key in enumerate(spec.window_keys):
        inside = included[j] & labelled
        present = sorted({str(v) for v in labels[inside]})
        stats: list[GroupStats] = []
        for label in present:
            mine = inside & (labels == label)
            token = mine.tobytes()
            if token not in shared:
                shared[token] = (
                    mean_pairwise_correlation(resid[:, mine]),
                    summarize_residuals(resid[:, mine]),
                )
            tests = window_tests(
                car=car[j, mine],
                scar=scar[j, mine],
                dof=dof[mine],
                est_resid=resid[:, mine],
                window_ar=ar[window_rows[j]][:, mine],
                est_n=est_n[mine],
                rbar=shared[token][0],
                bhar=bhar[j, mine],
                sigma=sigma[mine],
                summary=shared[token][1],
                bootstrap=spec.bootstrap,
                seed=spec.seed,
            )
            stats.append(
                GroupStats(
                    label=label, n=int(mine.sum()), caar=float(car[j, mine].mean()), tests=tests
                )
            )
        differences = group_differences(
            car[j, inside], labels[inside], permutations=PERMUTATIONS, seed=spec.seed
        )
        windows[key] = WindowGroups(groups=tuple(stats), differences=differences)
    return Groups(by=spec.group_by, windows=windows)
