"""The JSON document of a study result (``aftershock study --json``).

``"day0"`` is the date when every firm-event shares one day 0, else the sorted list of
distinct day-0 dates; NaN and NaT are written as ``null``.

``"regression"`` is ``{window: {"n", "r2", "cov_type", "clusters", "terms": [{"name", "coef",
"se", "t", "p"}]}}`` (``const`` first; ``{}`` without regressors). ``"groups"`` is ``{"by",
"windows": {window: {"groups": [{"group", "n", "caar", "tests": {name: {"stat", "p"}}}],
"differences": [{"a", "b", "n_a", "n_b", "diff", "welch_t", "df", "p", "perm_p",
"permutations"}]}}}``, or ``null`` without grouping.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from analytics.study.result import StudyResult

__all__ = ["groups_json", "plain", "records", "regression_json", "result_json"]


def plain(value: Any) -> Any:
    """JSON-ready Python value: NaN and NaT become None, numpy scalars become Python ones."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(frame.columns, row, strict=True)) for row in frame.itertuples(index=False)]


def regression_json(result: StudyResult) -> dict[str, Any]:
    """The ``"regression"`` member: each window's fit and its terms."""
    return {
        key: {
            "n": fit.n,
            "r2": fit.r2,
            "cov_type": fit.cov_type,
            "clusters": fit.clusters,
            "terms": [
                {"name": t.name, "coef": t.coef, "se": t.se, "t": t.t, "p": t.p} for t in fit.terms
            ],
        }
        for key, fit in result.regression.items()
    }


def groups_json(result: StudyResult) -> dict[str, Any] | None:
    """The ``"groups"`` member: per window each group's CAAR and tests, and the comparisons."""
    groups = result.groups
    if groups is None:
        return None
    windows = {
        key: {
            "groups": [
                {
                    "group": g.label,
                    "n": g.n,
                    "caar": g.caar,
                    "tests": {name: {"stat": t.stat, "p": t.pvalue} for name, t in g.tests.items()},
                }
                for g in window.groups
            ],
            "differences": [dict(vars(d)) for d in window.differences],
        }
        for key, window in groups.windows.items()
    }
    return {"by": groups.by, "windows": windows}


def result_json(result: StudyResult) -> str:
    """``result`` as the documented JSON document (see :meth:`StudyResult.to_json`)."""
    per_firm: dict[Any, dict[str, Any]] = {}
    for w in records(result.windows):
        key, event_id = w.pop("window"), w.pop("event_id")
        del w["ticker"]
        per_firm.setdefault(event_id, {})[key] = w
    firms = [
        {**firm, "windows": per_firm.get(firm["event_id"], {})} for firm in records(result.firms)
    ]
    aggregate: dict[str, Any] = {}
    tests = result.tests
    for row in records(result.aggregate):
        key = row.pop("window")
        mine = tests[(tests["window"] == key) & (tests["test"] != "placebo")].drop(columns="n")
        row["tests"] = {t["test"]: {"stat": t["stat"], "p": t["p"]} for t in records(mine)}
        boot = result.test_results.get(key, {}).get("boot_p")
        if "boot_p" in row["tests"]:
            row["tests"]["boot_p"]["k"] = boot.k if boot is not None else 0
        placebo = result.placebo.get(key)
        row["tests"]["placebo"] = (
            {"p": placebo.pvalue, "k": placebo.k, "stat": placebo.stat}
            if placebo
            else {"p": None, "k": 0, "stat": None}
        )
        aggregate[key] = row
    document = {
        "day0": result.day0,
        "model": result.spec.model,
        **({"dimson_lags": result.spec.dimson_lags} if result.spec.model == "dimson" else {}),
        "benchmark": result.spec.benchmark,
        "standardization": result.spec.standardization,
        "firms": firms,
        "days": records(result.days),
        "aggregate": aggregate,
        "abnormal_volatility": {
            key: {"ratio": v.ratio, "lambda": v.lam, "df": v.df, "p": v.p}
            for key, v in result.volatility.items()
        },
        "abnormal_volume": None
        if result.abnormal_volume is None
        else {
            key: {"mean_sav": v.mean_sav, "z": v.z, "z_p": v.z_p, "t": v.t, "t_p": v.t_p, "n": v.n}
            for key, v in result.abnormal_volume.items()
        },
        "calendar_time": {
            key: {
                "alpha": c.alpha,
                "se": c.se,
                "t": c.t,
                "p": c.p,
                "days": c.days,
                "mean_firms": c.mean_firms,
            }
            for key, c in result.calendar_time.items()
        },
        "excluded": records(result.excluded),
        "warnings": list(result.warnings),
        "regression": regression_json(result),
        "groups": groups_json(result),
    }
    return json.dumps(plain(document), allow_nan=False)
