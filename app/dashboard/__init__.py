"""The Dash dashboard: the app factory, component ids, security, background jobs, view state,
caches over the study service, the page shell and :mod:`app.dashboard.features`.

May import :mod:`analytics`, :mod:`app.settings`, :mod:`app.config`, :mod:`app.charts` and
:mod:`app.jobs`; never :mod:`app.cli`.
"""

__all__: list[str] = []
