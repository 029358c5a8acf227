"""The one visual template of Aftershock's charts, on screen and in exported PNGs.

Importing this module registers the plotly template ``"aftershock"``: a light theme with a
14 px base font that stays readable on a laptop and on a projector, generous automargins so tick
labels are never clipped, and a colorblind-safe palette. Negative moves are red, positive moves
blue (the ColorBrewer RdBu ends, distinguishable under the common color-vision deficiencies) and
statistically insignificant values gray or faded.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

__all__ = [
    "BENCHMARK_COLOR",
    "DIVERGING_SCALE",
    "FONT_FAMILY",
    "FONT_SIZE",
    "INSIGNIFICANT_OPACITY",
    "LINE_COLORS",
    "MUTED",
    "NEGATIVE",
    "NEUTRAL",
    "POSITIVE",
    "TEMPLATE",
    "TEMPLATE_NAME",
    "sign_color",
]

TEMPLATE_NAME = "aftershock"

FONT_FAMILY = (
    "Inter, 'Segoe UI', 'Helvetica Neue', Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif"
)
FONT_SIZE = 14

NEGATIVE = "#d62728"
"""Losses and negative abnormal returns."""
POSITIVE = "#2166ac"
"""Gains and positive abnormal returns."""
NEUTRAL = "#9e9e9e"
"""Zero lines, reference lines and statistically insignificant values."""
MUTED = "#5f6368"
"""Secondary text: notes, footnotes, axis titles."""
BENCHMARK_COLOR = "#333333"
INSIGNIFICANT_OPACITY = 0.35
"""Opacity of bars whose p-value is not below the chosen significance level."""

DIVERGING_SCALE: list[list[float | str]] = [
    [0.0, "#b2182b"],
    [0.25, "#ef8a62"],
    [0.5, "#f7f7f7"],
    [0.75, "#67a9cf"],
    [1.0, "#2166ac"],
]
"""Red → white → blue, centered on zero (ColorBrewer RdBu, colorblind-safe)."""

# Okabe–Ito's colorblind-safe qualitative palette (minus black and yellow, too faint on white
# projectors) extended with Paul Tol's muted scheme, so 12 lines stay distinguishable.
LINE_COLORS: tuple[str, ...] = (
    "#0072b2",
    "#d55e00",
    "#009e73",
    "#cc79a7",
    "#56b4e9",
    "#e69f00",
    "#332288",
    "#882255",
    "#117733",
    "#aa4499",
    "#999933",
    "#44aa99",
)

_AXIS = {
    "automargin": True,
    "showline": True,
    "linecolor": "#bdbdbd",
    "gridcolor": "#ececec",
    "zerolinecolor": "#9e9e9e",
    "zerolinewidth": 1,
    "ticks": "outside",
    "tickcolor": "#bdbdbd",
    "title": {"standoff": 10, "font": {"size": FONT_SIZE, "color": MUTED}},
}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT_FAMILY, "size": FONT_SIZE, "color": "#222222"},
        "title": {
            "font": {"size": FONT_SIZE + 5},
            "x": 0.0,
            "xanchor": "left",
            "xref": "paper",
            "y": 1.0,
            "yref": "container",
            "yanchor": "top",
            "pad": {"t": 16},
            "subtitle": {"font": {"size": FONT_SIZE - 1, "color": MUTED}},
        },
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "colorway": list(LINE_COLORS),
        "margin": {"l": 70, "r": 40, "t": 100, "b": 70, "pad": 4},
        "xaxis": _AXIS,
        "yaxis": _AXIS,
        "legend": {
            "bgcolor": "rgba(255,255,255,0.85)",
            "borderwidth": 0,
            "font": {"size": FONT_SIZE - 1},
        },
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": FONT_SIZE}},
        "hovermode": "closest",
        "separators": ".,",
        "coloraxis": {"colorbar": {"outlinewidth": 0, "ticks": "outside"}},
    },
)
"""The ``"aftershock"`` plotly template, also registered in ``plotly.io.templates``."""

pio.templates[TEMPLATE_NAME] = TEMPLATE


def sign_color(value: float) -> str:
    """Color of a signed value: :data:`NEGATIVE` below zero, :data:`POSITIVE` otherwise.

    Examples
    --------
    >>> sign_color(-0.02) == NEGATIVE
    True
    """
    return NEGATIVE if value < 0 else POSITIVE
