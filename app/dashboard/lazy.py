"""What JavaScript the first page load carries: a partial plotly.js, dash-ag-grid on demand.

plotly.js as Dash ships it (4.8 MB, every trace type) is the largest script of the page and most
of the time the browser spends before the first chart. :func:`use_plotly_bundle` serves instead
``vendor/plotly-aftershock.min.js`` (1.4 MB, 0.45 MB compressed): plotly.js's core with only
the traces in :data:`BUNDLE_TRACES`, built by ``tools/plotly-bundle`` (its README says how).
``dcc.Graph`` draws with the ``window.Plotly`` that script defines; a test keeps the list in
step with the traces ``app/`` draws.

dash-ag-grid's bundle (1.3 MB) is most of what a first visit downloads, yet its grids only show
in the "Results grid" tab and the saved-studies drawer. :func:`defer_grid_bundle` leaves the
bundle out of the page's scripts (Dash still serves it: a ``dynamic`` resource stays registered)
and tells ``assets/aftershock.js`` where it is, in a ``<meta>`` tag (an inline script would need
its own exception in the page's Content-Security-Policy); the script there stands in for the grid
component and fetches the real one the first time a grid is drawn (or once the page is idle).
"""

from __future__ import annotations

import hashlib
import html
import os
from pathlib import Path
from typing import Final

import dash_ag_grid
from dash import Dash, dcc
from dash.fingerprint import build_fingerprint
from flask import Response

__all__ = ["BUNDLE_TRACES", "GRID_BUNDLE", "defer_grid_bundle", "use_plotly_bundle"]

GRID_BUNDLE: Final = "dash_ag_grid.min.js"
"""The bundle left out of the first page load."""
BUNDLE_TRACES: Final = ("bar", "box", "heatmap", "histogram", "scatter", "table", "treemap")
"""The plotly trace types in :data:`PLOTLY_BUNDLE` (``tools/plotly-bundle/entry.js``)."""
PLOTLY_BUNDLE: Final = Path(__file__).with_name("vendor") / "plotly-aftershock.min.js"
"""The partial plotly.js (built by ``tools/plotly-bundle``)."""
_FOREVER: Final = "public, max-age=31536000, immutable"

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


def use_plotly_bundle(app: Dash) -> None:
    """Serve the partial plotly.js in place of Dash's full one (call after ``Dash(...)``, which
    adds the full one to ``dcc``'s scripts every time).

    The bundle is served from memory under a name that holds its hash, cached for a year, and
    compressed like Dash's own scripts (``Dash(compress=True)``); ``dcc.Graph`` then finds
    ``window.Plotly`` defined and loads nothing more.
    """
    dcc._js_dist[:] = [entry for entry in dcc._js_dist if entry.get("namespace") != "plotly"]
    body = PLOTLY_BUNDLE.read_bytes()
    route = f"/_aftershock/plotly-{hashlib.sha256(body).hexdigest()[:16]}.min.js"
    url = app.config.requests_pathname_prefix.rstrip("/") + route
    if url in app.config.external_scripts:
        return

    def bundle() -> Response:
        return Response(body, mimetype="text/javascript", headers={"Cache-Control": _FOREVER})

    app.server.add_url_rule(
        app.config.routes_pathname_prefix.rstrip("/") + route, "aftershock_plotly", bundle
    )
    app.config.external_scripts.append(url)
