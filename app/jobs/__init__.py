"""Jobs that run without a browser: the refresh of saved studies, its scheduler and the run archive.

May import :mod:`analytics`, :mod:`app.settings`, :mod:`app.config` and :mod:`app.charts`;
never :mod:`app.dashboard` or :mod:`app.cli`.
"""

__all__: list[str] = []
