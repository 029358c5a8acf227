"""``aftershock serve``: the dashboard on a local web server, optionally running the schedules."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated

import typer

from analytics.errors import AftershockError
from app.cli import exits, output
from app.dashboard.security import MAX_REQUEST_BYTES, check_debug, check_exposure, parse_credentials
from app.settings import load_settings

__all__ = ["CONNECTION_LIMIT", "EXIT_USAGE", "THREADS", "serve"]

EXIT_USAGE = exits.USAGE
"""Exit code for a bad option or config (as ``aftershock`` exits for every user error)."""
THREADS = 8
"""waitress worker threads."""
CONNECTION_LIMIT = 500
"""Open connections waitress accepts. A browser keeps up to 6 open per site, so waitress' default
of 100 makes the 17th simultaneous visitor wait until an idle connection times out (2 min)."""


def serve(
    store: Annotated[
        Path | None,
        typer.Option(
            "--store", help="Store directory (default: AFTERSHOCK_HOME or user data dir)."
        ),
    ] = None,
    news: Annotated[
        Path | None,
        typer.Option(
            "--news",
            help="News folder with index.json and .txt articles (default: AFTERSHOCK_NEWS).",
            exists=True,
            file_okay=False,
            resolve_path=True,
        ),
    ] = None,
    host: Annotated[
        str,
        typer.Option(help="Interface to listen on; anything but 127.0.0.1 needs --auth."),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8050,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help="user:password required on every request (HTTP basic auth). Prefer the "
            "environment variable: a command line is visible to other users of the machine.",
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Project config (TOML) whose saved studies the dashboard shows and refreshes. "
            "Default: AFTERSHOCK_CONFIG, else ./aftershock.toml if present.",
            show_default=False,
        ),
    ] = None,
    schedule: Annotated[
        bool,
        typer.Option("--schedule", help="Also run the config's [[schedules]] in this process."),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Dash dev server with dev tools, on 127.0.0.1 only (no interactive debugger).",
        ),
    ] = False,
) -> None:
    """Open the dashboard on the DeepSeek demo (http://127.0.0.1:8050 by default).

    First fills the store with the demo's missing prices (data pack, then Yahoo unless offline).

    Served by waitress; in production: waitress-serve --call app.dashboard.app:create_server
    """
    # Dash is slow to import: keep `--help` and option errors fast.
    from app.dashboard.app import create_app, project_config
    from app.jobs.scheduler import start_scheduler

    settings = load_settings(store)
    # The variables are read by app.settings only; a flag wins over its variable.
    auth = auth or settings.auth
    config = config or settings.config
    if news is not None:
        settings = dataclasses.replace(settings, news=news)
    try:
        credentials = parse_credentials(auth) if auth else None
        check_exposure(host, credentials)
        check_debug(host, debug)
        # --schedule needs a config: the default file must then exist.
        project = project_config(Path("aftershock.toml") if schedule and not config else config)
        scheduler = start_scheduler(project, settings) if schedule and project else None
    except AftershockError as exc:
        output.error(exits.with_flag(exc))
        raise typer.Exit(EXIT_USAGE) from None
    logging.getLogger("app").setLevel(logging.INFO)
    logging.getLogger("analytics").setLevel(logging.INFO)
    typer.echo(f"store: {settings.store}")
    if project is not None:
        typer.echo(f"config: {project.path}" + (" (running its schedules)" if scheduler else ""))
    try:
        typer.echo("checking the DeepSeek demo's prices ...")
        app = create_app(
            settings,
            config=project,
            scheduled=scheduler is not None,
            credentials=credentials,
            warm_exporter=True,
        )
        typer.echo(f"Aftershock is running on http://{host}:{port}/ (Ctrl+C to stop)")
        if debug:
            # Werkzeug's debugger would sit outside the app, so outside its auth: its console
            # and resources would answer anyone. Dash's dev tools (inside the app) stay.
            app.run(
                host=host,
                port=port,
                debug=True,
                use_reloader=False,
                use_debugger=False,
                dev_tools_disable_version_check=True,
            )
            return
        import waitress

        waitress.serve(
            app.server,
            host=host,
            port=port,
            threads=THREADS,
            connection_limit=CONNECTION_LIMIT,
            # Refuse a larger body on its Content-Length, before reading (and spooling) it:
            # waitress would otherwise accept 1 GiB before the app and its auth see the request.
            max_request_body_size=MAX_REQUEST_BYTES,
            ident="aftershock",
        )
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)
