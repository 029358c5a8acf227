"""The exported tables: the results grid as numbers and ``study.json`` with the study's settings.

Exports hold numbers, never display strings: returns are plain fractions (``-0.1697``, not
``−16.97%``), one header row, ASCII minus signs, no byte-order mark, so that
``pandas.read_csv`` or a spreadsheet reads every value back as the number the study computed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analytics.study.result import StudyResult
from app.charts.captions import version

__all__ = ["results_csv", "results_table", "study_document", "study_settings"]


def _suffix(window: str) -> str:
    """``"-1:1"`` → ``"-1_1"``: the window part of a column or file name."""
    return window.replace(":", "_")


def results_table(result: StudyResult, sectors: pd.Series | None = None) -> pd.DataFrame:
    """One row per firm-event, the numbers of the dashboard's results grid.

    Columns: ``event_id, ticker, sector, day0, beta, ar_day0``, then per window ``car_<a>_<b>``,
    ``t_<a>_<b>``, ``p_<a>_<b>`` (e.g. ``car_-1_1``), then ``status``. ``ar_day0`` and the CARs
    are fractional returns (``-0.17`` is −17%); missing values are empty cells.
    """
    firms = result.firms
    table = pd.DataFrame(
        {
            "event_id": firms["event_id"].to_numpy(),
            "ticker": firms["ticker"].astype(str).to_numpy(),
        }
    )
    if sectors is not None:
        named = sectors.rename(index=str)
        table["sector"] = [str(named.get(t, "Unknown")) for t in table["ticker"]]
    table["day0"] = pd.to_datetime(firms["day0"]).dt.strftime("%Y-%m-%d").to_numpy()
    table["beta"] = firms["beta"].astype("float64").to_numpy()
    days = result.days
    day0 = days[days["day"] == 0].drop_duplicates("event_id").set_index("event_id")["ar"]
    table["ar_day0"] = table["event_id"].map(day0).astype("float64")
    windows = result.windows.drop_duplicates(["event_id", "window"])
    for window in result.spec.window_keys:
        rows = windows[windows["window"] == window].set_index("event_id")
        for column in ("car", "t", "p"):
            values = table["event_id"].map(rows[column]).astype("float64")
            table[f"{column}_{_suffix(window)}"] = values
    table["status"] = firms["status"].astype(str).to_numpy()
    return table


def results_csv(result: StudyResult, sectors: pd.Series | None = None) -> str:
    """:func:`results_table` as CSV text (full float precision, ``.`` decimals)."""
    return results_table(result, sectors).to_csv(index=False, lineterminator="\n")


def study_settings(
    result: StudyResult,
    *,
    universe: str | None = None,
    sources: Sequence[str] = (),
) -> dict[str, Any]:
    """The settings the study ran with, enough to re-run it: model, benchmark, windows,
    estimation, tests, placebo, the firm-events and where the universe and prices came from."""
    spec = result.spec
    events = spec.events
    tests = [str(t) for t in result.tests["test"].drop_duplicates()]
    settings: dict[str, Any] = {
        "model": spec.model,
        **({"dimson_lags": spec.dimson_lags} if spec.model == "dimson" else {}),
        "benchmark": spec.benchmark,
        "estimation": f"{spec.estimation[0]}:{spec.estimation[1]}",
        "windows": list(spec.window_keys),
        "returns": spec.returns,
        "min_estimation": spec.min_estimation,
        "tests": tests,
        "placebo": {"draws": spec.placebo, "seed": spec.seed},
        "spike_screen": {
            "mode": spec.spike_screen,
            "threshold": spec.spike_threshold,
            "jump": spec.spike_jump,
        },
        "universe": {
            "name": universe,
            "tickers": list(spec.tickers),
            "events": [
                {"ticker": str(ticker), "date": date, "timing": str(timing), "day0": day0}
                for ticker, date, timing, day0 in zip(
                    events["ticker"],
                    pd.to_datetime(events["date"]).dt.strftime("%Y-%m-%d"),
                    events["timing"],
                    pd.to_datetime(events["day0"]).dt.strftime("%Y-%m-%d"),
                    strict=True,
                )
            ],
        },
        "data_sources": list(sources),
        "aftershock_version": version(),
    }
    # The cross-section options and the universe's covariates, only when the study used them.
    if spec.regress:
        settings["regress"] = list(spec.regress)
    if spec.group_by is not None:
        settings["group_by"] = spec.group_by
    if spec.covariates:
        for k, event in enumerate(settings["universe"]["events"]):
            event.update({name: values[k] for name, values in spec.covariates})
    return settings


def study_document(
    result: StudyResult,
    *,
    universe: str | None = None,
    sources: Sequence[str] = (),
) -> str:
    """``study.json``: the result's JSON (:meth:`StudyResult.to_json`) with a ``settings``
    object (:func:`study_settings`) first."""
    document = {
        "settings": study_settings(result, universe=universe, sources=sources),
        **json.loads(result.to_json()),
    }
    return json.dumps(document, allow_nan=False)
