"""Small components every feature uses: the inline alert and the window picker's options."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final

import dash_mantine_components as dmc
from dash import html

from app.charts.formatting import window_label

__all__ = [
    "NUM_FORMAT",
    "PCT_FORMAT",
    "P_FORMAT",
    "SIGN_CLASSES",
    "alert",
    "window_options",
]

# ag-grid cell formats (JavaScript run by the grid) and the classes that colour signed values.
PCT_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('+.2%')(params.value)"}


NUM_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('.2f')(params.value)"}


P_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('.3f')(params.value)"}


SIGN_CLASSES: Final = {"negative": "params.value < 0", "positive": "params.value > 0"}

_MAX_LINE: Final = 500
"""Longest line of an alert: messages quote user input, which may be huge."""


def window_options(keys: Iterable[str]) -> list[dict[str, str]]:
    """Options of the window picker: ``{"value": "-1:1", "label": "[−1, +1]"}``."""
    return [{"value": key, "label": window_label(key)} for key in keys]


def _line(text: str) -> str:
    return text if len(text) <= _MAX_LINE else text[: _MAX_LINE - 1] + "…"


def alert(message: str | Sequence[str], *, title: str, color: str = "red") -> dmc.Alert:
    """An inline message: one line, or a short list of lines (each cut to 500 characters)."""
    body: Any = (
        _line(message)
        if isinstance(message, str)
        else html.Ul([html.Li(_line(m)) for m in message])
    )
    return dmc.Alert(body, title=title, color=color, variant="light", className="inline-alert")
