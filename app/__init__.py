"""Aftershock's applications over :mod:`analytics`: the dashboard, the CLI and the refresh job.

- :mod:`app.settings` — the only place environment variables are read; builds the study service;
- :mod:`app.config` — the TOML project config (watchlists, saved studies, schedules, export);
- :mod:`app.charts` — theme, formatting, the chart families, the one figure assembly, PNG/SVG;
- :mod:`app.dashboard` — the Dash app: factory, ids, state, caches and ``features/``;
- :mod:`app.cli` — the ``aftershock`` command line;
- :mod:`app.jobs` — refresh of saved studies, its scheduler and the run archive.

Imports point one way (``tests/test_import_direction.py``): ``app`` may import ``analytics``, never
the reverse; ``charts`` imports neither ``dashboard``, ``cli`` nor ``jobs``; ``jobs`` never imports
``dashboard`` or ``cli``; only ``cli.serve`` imports ``dashboard``.
"""

__all__: list[str] = []
