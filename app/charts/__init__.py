"""Charts: the plotly theme, number formatting, one module per chart family and PNG/SVG export.

Figures are pure functions of a study result and its chart inputs; the dashboard, the CLI export
and the refresh job all draw through the one assembly here. May import :mod:`analytics` and
:mod:`app.settings`; never :mod:`app.dashboard`, :mod:`app.cli` or :mod:`app.jobs`.
"""

__all__: list[str] = []
