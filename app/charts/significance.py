"""The table of cross-sectional significance tests with their plain-language readings."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from app.charts.base import base_figure, check_columns, empty_figure, in_window, rgba
from app.charts.formatting import format_p, signed_number, window_label
from app.charts.readings import TEST_LABELS, describe_test
from app.charts.theme import FONT_SIZE, NEUTRAL, sign_color

__all__ = ["test_statistics_table"]

_READING_CHARS_PER_LINE = 42
"""Characters of a reading that fit on one table line at the dashboard's narrowest width."""


def test_statistics_table(tests: pd.DataFrame, *, window: str, alpha: float = 0.05) -> go.Figure:
    """Table of the cross-sectional significance tests with a plain-language reading.

    Parameters
    ----------
    tests
        The study's ``tests`` frame (window, test, stat, p and, if present, n: a
        cross-sectional test on fewer than 10 firms is read as unreliable).
    window
        Window key.
    alpha
        Rows with p below ``alpha`` are tinted by the sign of their statistic.

    Returns
    -------
    go.Figure
        One ``go.Table``: test, statistic, p-value, reading (see :func:`describe_test`).
    """
    title = f"Is it real or noise? Tests for CAAR {window_label(window)}"
    check_columns(tests, ["window", "test", "stat", "p"], "tests")
    rows = in_window(tests, window)
    if rows.empty:
        return empty_figure(title)
    order = {name: i for i, name in enumerate(TEST_LABELS)}
    rows = rows.assign(_order=rows["test"].map(order).fillna(len(order))).sort_values(
        ["_order", "test"], kind="stable"
    )
    names = rows["test"].astype(str).tolist()
    stats = rows["stat"].astype("float64").tolist()
    ps = rows["p"].astype("float64").tolist()
    # The firms behind each test (saved runs before the column existed have none).
    counts = rows["n"].astype("int64").tolist() if "n" in rows else [None] * len(names)
    readings = []
    fills = []
    for name, stat, p, n in zip(names, stats, ps, counts, strict=True):
        sentence = describe_test(name, stat, p, n)
        readings.append(sentence.split(": ", 1)[1] if ": " in sentence else sentence)
        significant = math.isfinite(p) and math.isfinite(stat) and p < alpha
        # Wilcoxon's W is a rank sum, always positive: it carries no direction.
        tint = rgba(NEUTRAL, 0.2) if name == "wilcoxon" else rgba(sign_color(stat), 0.12)
        fills.append(tint if significant else "white")
    fig = base_figure(title, f"Two-sided p-values · tinted: p < {alpha:g}, red/blue = direction")
    fig.add_table(
        columnwidth=[1.5, 0.9, 0.9, 3.4],
        header={
            "values": ["<b>Test</b>", "<b>Statistic</b>", "<b>p-value</b>", "<b>Reading</b>"],
            "fill": {"color": "#f1f3f4"},
            "line": {"color": "#dadce0"},
            "align": ["left", "right", "right", "left"],
            "font": {"size": FONT_SIZE},
            "height": 34,
        },
        cells={
            "values": [
                [TEST_LABELS.get(n, n) for n in names],
                [
                    signed_number(s, 0 if n == "wilcoxon" else 2) if math.isfinite(s) else "n/a"
                    for n, s in zip(names, stats, strict=True)
                ],
                [format_p(p).removeprefix("p ").removeprefix("= ") for p in ps],
                readings,
            ],
            "fill": {"color": [fills]},
            "line": {"color": "#e8eaed"},
            "align": ["left", "right", "right", "left"],
            "font": {"size": FONT_SIZE},
            "height": 32,
        },
    )
    # Readings wrap in narrow containers (the dashboard's right column): budget their lines so
    # the last rows are never clipped.
    lines = [max(1, math.ceil(len(r) / _READING_CHARS_PER_LINE)) for r in readings]
    fig.update_layout(
        margin={"l": 20, "r": 20, "t": 100, "b": 20},
        height=100 + 34 + sum(12 + 20 * n for n in lines) + 40,
    )
    return fig
