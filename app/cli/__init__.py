"""The ``aftershock`` command line: the Typer app (:mod:`app.cli.main`), shared options and one
module per command.

May import :mod:`analytics`, :mod:`app.settings`, :mod:`app.config`, :mod:`app.charts` and
:mod:`app.jobs`; only ``serve`` imports :mod:`app.dashboard`, lazily, to start the server.
"""

__all__: list[str] = []
