"""Small components every feature uses: the inline alert, the single-choice picker, the data
grid and the window picker's options."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import html

from app.charts.formatting import window_label

__all__ = [
    "NUM_FORMAT",
    "PCT_FORMAT",
    "P_FORMAT",
    "SIGN_CLASSES",
    "alert",
    "grid",
    "run_row",
    "select",
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


def run_row(button: Any, *, cancel_id: str, status_id: str, **props: Any) -> dmc.Group:
    """A long job's ``button``, its Cancel button (hidden until the job runs) and status line."""
    cancel = dmc.Button(
        "Cancel", id=cancel_id, variant="subtle", color="gray", n_clicks=0, display="none"
    )
    return dmc.Group([button, cancel, html.Div(id=status_id, className="run-status")], **props)


def select(component_id: str, *, data: Iterable[Any] = (), **props: Any) -> dmc.Select:
    """A single-choice picker: once a value is picked, clicking it again keeps it.

    ``props`` are :class:`dmc.Select` properties (``label``, ``value``, ``placeholder``, ``w``...).
    """
    return dmc.Select(id=component_id, data=list(data), **{"allowDeselect": False, **props})


_GRID_COLUMNS: Final = {
    "sortable": True,
    "resizable": True,
    "minWidth": 70,
    # Long headers wrap onto a second line instead of being cut.
    "wrapHeaderText": True,
    "autoHeaderHeight": True,
}


def grid(
    component_id: str,
    *,
    height: int,
    class_name: str,
    column_defaults: Mapping[str, Any] | None = None,
    **props: Any,
) -> dag.AgGrid:
    """An empty ag-grid (callbacks fill ``columnDefs`` and ``rowData``) of ``height`` pixels.

    Columns keep the widths their definitions give (the grid scrolls sideways rather than
    squeezing them) and long headers wrap; ``column_defaults`` adds to or overrides that.
    """
    return dag.AgGrid(
        id=component_id,
        rowData=[],
        columnDefs=[],
        defaultColDef={**_GRID_COLUMNS, **(column_defaults or {})},
        dashGridOptions={"animateRows": False, **props.pop("dashGridOptions", {})},
        className=f"ag-theme-quartz {class_name}",
        style={"height": f"{height}px"},
        **props,
    )
