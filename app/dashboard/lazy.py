"""Load dash-ag-grid's JavaScript where the grids are, not with the page.

dash-ag-grid's bundle (1.3 MB) is most of what a first visit downloads, yet its grids only show
in the "Results grid" tab and the saved-studies drawer. :func:`defer_grid_bundle` leaves the
bundle out of the page's scripts (Dash still serves it: a ``dynamic`` resource stays registered)
and tells ``assets/aftershock.js`` where it is, in a ``<meta>`` tag (an inline script would need
its own exception in the page's Content-Security-Policy); the script there stands in for the grid
component and fetches the real one the first time a grid is drawn (or once the page is idle).
"""

from __future__ import annotations

import html
import os
from typing import Final

import dash_ag_grid
from dash import Dash
from dash.fingerprint import build_fingerprint

__all__ = ["GRID_BUNDLE", "defer_grid_bundle"]

GRID_BUNDLE: Final = "dash_ag_grid.min.js"
"""The bundle left out of the first page load."""

_MARK: Final = "{%metas%}"


def defer_grid_bundle(app: Dash) -> None:
    """Serve dash-ag-grid's bundle on demand only (idempotent; call after ``Dash(...)``)."""
    for entry in dash_ag_grid._js_dist:
        if entry.get("relative_package_path") == GRID_BUNDLE:
            entry["dynamic"] = True
    folder = os.path.dirname(dash_ag_grid.__file__)
    modified = int(os.stat(os.path.join(folder, GRID_BUNDLE)).st_mtime)
    name = build_fingerprint(GRID_BUNDLE, dash_ag_grid.__version__, modified)
    prefix = app.config.requests_pathname_prefix
    url = f"{prefix}_dash-component-suites/dash_ag_grid/{name}"
    setting = f'<meta name="aftershock-grid-bundle" content="{html.escape(url, quote=True)}">'
    if setting not in app.index_string:
        app.index_string = app.index_string.replace(_MARK, setting + _MARK, 1)
