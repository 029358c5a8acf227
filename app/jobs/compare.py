"""Comparing two saved runs of a study: CAAR per window and CAR per firm-event, and their
difference."""

from __future__ import annotations

import pandas as pd

from analytics.errors import SpecError
from analytics.study.result import STATUS_OK
from app.jobs.records import (
    SavedRun,
)

__all__ = ["compare_runs"]


def _values(run: SavedRun) -> pd.DataFrame:
    """CAAR per window and CAR per usable firm-event of a run (NaN where excluded)."""
    if "aggregate" not in run.frames:
        raise SpecError(
            f"run: {run.record.run_id} of {run.record.study} has no result "
            f"({run.record.status}); compare runs that computed one"
        )
    aggregate = run.frames["aggregate"]
    caar = pd.DataFrame(
        {
            "window": aggregate["window"].astype("str"),
            "measure": "caar",
            "ticker": "",
            "day0": pd.NaT,
            "value": aggregate["caar"].astype("float64"),
        }
    )
    windows = run.frames["windows"]
    day0 = run.frames["firms"].set_index("event_id")["day0"]
    car = pd.DataFrame(
        {
            "window": windows["window"].astype("str"),
            "measure": "car",
            "ticker": windows["ticker"].astype("str"),
            "day0": pd.to_datetime(windows["event_id"].map(day0)),
            "value": windows["car"].where(windows["status"] == STATUS_OK).astype("float64"),
        }
    )
    return pd.concat([caar, car], ignore_index=True)


def compare_runs(a: SavedRun, b: SavedRun) -> pd.DataFrame:
    """CAAR per window and CAR per firm-event in two runs, and how they differ.

    Returns
    -------
    pandas.DataFrame
        Columns ``window, measure`` (``caar`` or ``car``), ``ticker`` (empty for ``caar``),
        ``day0``, ``a``, ``b`` and ``diff`` (``b - a``); NaN where a run lacks the row or the
        firm-event was excluded. CAAR rows come first, then firms, in ``b``'s window order.
    """
    keys = ["window", "measure", "ticker", "day0"]
    left, right = _values(a), _values(b)
    merged = right.merge(left, on=keys, how="outer", suffixes=("_b", "_a"), sort=False)
    order = list(dict.fromkeys([*right["window"], *left["window"]]))
    merged["_w"] = merged["window"].map(order.index)
    merged["_m"] = (merged["measure"] == "car").astype("int64")
    merged = merged.sort_values(["_w", "_m", "ticker", "day0"], ignore_index=True)
    return pd.DataFrame(
        {
            **{key: merged[key] for key in keys},
            "a": merged["value_a"],
            "b": merged["value_b"],
            "diff": merged["value_b"] - merged["value_a"],
        }
    )
