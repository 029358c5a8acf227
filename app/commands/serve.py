"""``aftershock serve``: the dashboard on a local web server."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Annotated

import typer

from app.settings import load_settings

__all__ = ["serve"]


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
        str, typer.Option(help="Interface to listen on; 0.0.0.0 exposes it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8050,
    debug: Annotated[
        bool, typer.Option("--debug", help="Dash dev server with dev tools (not for sharing).")
    ] = False,
) -> None:
    """Open the dashboard on the DeepSeek demo (http://127.0.0.1:8050 by default).

    First fills the store with the demo's missing prices (data pack, then Yahoo unless offline).

    Served by waitress; in production: waitress-serve --call app.dashboard:create_server
    """
    from app.dashboard import create_app  # Dash is slow to import; keep `--help` fast.

    logging.getLogger("app").setLevel(logging.INFO)
    logging.getLogger("analytics").setLevel(logging.INFO)
    settings = load_settings(store)
    if news is not None:
        settings = dataclasses.replace(settings, news=news)
    typer.echo(f"store: {settings.store}")
    typer.echo("checking the DeepSeek demo's prices ...")
    app = create_app(settings)
    typer.echo(f"Aftershock is running on http://{host}:{port}/ (Ctrl+C to stop)")
    if debug:
        app.run(
            host=host,
            port=port,
            debug=True,
            use_reloader=False,
            dev_tools_disable_version_check=True,
        )
        return
    import waitress

    waitress.serve(app.server, host=host, port=port, threads=8, ident="aftershock")
