"""The drawer's run history of one saved study and the comparison of two of its runs."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

import pandas as pd
from dash.development.base_component import Component

from analytics.errors import AftershockError
from app.charts.formatting import window_label
from app.config import ProjectConfig
from app.dashboard.components import PCT_FORMAT, SIGN_CLASSES, alert
from app.dashboard.features.saved_studies.status import STATUS_COLORS
from app.jobs.archive import compare_runs, list_runs, load_run

__all__ = ["comparison", "history", "study_choices"]


def _studies(store_dir: Path, config: ProjectConfig | None) -> list[str]:
    saved = [s.name for s in config.studies] if config is not None else []
    runs = list_runs(store_dir)
    return list(dict.fromkeys([*saved, *runs["study"].astype(str)]))


def study_choices(
    store_dir: Path, config: ProjectConfig | None, current: str | None
) -> tuple[list[str], str | None]:
    """The study picker's options (config studies, then others with saved runs) and value."""
    names = _studies(store_dir, config)
    return names, current if current in names else (names[0] if names else None)


def _time(value: Any) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M:%S}"


def _day(value: Any) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def _number(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def history(
    store_dir: Path, config: ProjectConfig | None, study: str | None
) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[dict[str, str]], str | None, str | None
]:
    """The run history of ``study``: ``(columnDefs, rowData, run options, run A, run B)``.

    Runs are newest first; A and B default to the two newest runs that computed a result.
    """
    if not study or study not in _studies(store_dir, config):
        return [], [], [], None, None
    records = list_runs(store_dir, study).to_dict("records")
    if not records:
        return [], [], [], None, None
    windows = [str(c).removeprefix("caar ") for c in records[0] if str(c).startswith("caar ")]
    rows = [
        {
            "run_id": run["run_id"],
            "started": _time(run["started"]),
            "status": run["status"],
            "n_ok": int(run["n_ok"]),
            "n_excluded": int(run["n_excluded"]),
            "data_end": _day(run["data_end"]),
            "errors": run["errors"],
            **{f"caar{i}": _number(run[f"caar {w}"]) for i, w in enumerate(windows)},
        }
        for run in records
    ]
    columns: list[dict[str, Any]] = [
        {"field": "started", "headerName": "Started (UTC)", "width": 175, "sort": "desc"},
        {
            "field": "status",
            "headerName": "Status",
            "width": 95,
            "cellClassRules": {f"status-{s}": f"params.value == '{s}'" for s in STATUS_COLORS},
        },
        {"field": "n_ok", "headerName": "Firms", "width": 85},
        {"field": "n_excluded", "headerName": "Excluded", "width": 100},
        {"field": "data_end", "headerName": "Prices to", "width": 115},
        *(
            {
                "field": f"caar{i}",
                "headerName": f"CAAR {window_label(w)}",
                "valueFormatter": PCT_FORMAT,
                "cellClassRules": SIGN_CLASSES,
                "width": 125,
            }
            for i, w in enumerate(windows)
        ),
        {
            "field": "errors",
            "headerName": "Problems",
            "flex": 1,
            "minWidth": 220,
            "tooltipField": "errors",
            "wrapText": True,
            "autoHeight": True,
        },
    ]
    options = [
        {"value": row["run_id"], "label": f"{row['started']} UTC · {row['status']}"} for row in rows
    ]
    usable = [row["run_id"] for row in rows if row["status"] != "failed"]
    return columns, rows, options, usable[1] if len(usable) > 1 else None, next(iter(usable), None)


_COMPARE_COLUMNS: Final = [
    {"field": "window", "headerName": "Window", "width": 110},
    {"field": "firm", "headerName": "Firm", "width": 150},
    {"field": "day0", "headerName": "Day 0", "width": 115},
    *(
        {
            "field": field,
            "headerName": name,
            "valueFormatter": PCT_FORMAT,
            "cellClassRules": SIGN_CLASSES,
            "width": 130,
        }
        for field, name in (("a", "Run A"), ("b", "Run B"), ("diff", "Change (B − A)"))
    ),
]


def comparison(
    store_dir: Path, config: ProjectConfig | None, study: str | None, a: str | None, b: str | None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], Component | None]:
    """Runs ``a`` and ``b`` of ``study`` side by side: ``(columnDefs, rowData, alert)``.

    One row per window with the CAAR of both runs, then one per firm-event with its CAR; the
    change is B − A.
    """
    if not study or study not in _studies(store_dir, config):
        return [], [], None
    if not a or not b:
        listed = list_runs(store_dir, study)
        usable = int((listed["status"] != "failed").sum()) if len(listed) else 0
        if usable > 1:
            message = f"Pick two runs of {study} to compare."
        elif usable == 1:
            message = f"{study} has one run with a result so far: compare after its next refresh."
        else:
            message = f"No run of {study} has a result yet (see Problems above); fix, refresh."
        return [], [], alert(message, title="Two runs needed", color="gray")
    try:
        table = compare_runs(load_run(store_dir, study, a), load_run(store_dir, study, b))
    except AftershockError as exc:
        return [], [], alert(str(exc), title="These runs cannot be compared", color="yellow")
    rows = [
        {
            "window": window_label(str(row["window"])),
            "firm": "All firms (CAAR)" if row["measure"] == "caar" else str(row["ticker"]),
            "day0": _day(row["day0"]),
            "caar": row["measure"] == "caar",
            **{k: _number(row[k]) for k in ("a", "b", "diff")},
        }
        for row in table.to_dict("records")
    ]
    note = (
        alert("A and B are the same run: every change is zero.", title="Same run", color="gray")
        if a == b
        else None
    )
    return _COMPARE_COLUMNS, rows, note
