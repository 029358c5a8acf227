"""The Dash app factory and the WSGI entry point.

``aftershock serve`` runs :func:`create_app` on a local server. For production, serve the WSGI
factory with waitress (one process; background studies run in processes forked by a helper, see
:mod:`app.background`)::

    waitress-serve --host 127.0.0.1 --port 8050 --threads 8 --connection-limit 500 \
        --call app.dashboard:create_server

(each browser keeps up to 6 connections open; waitress' default limit of 100 is too low).

Settings come from the environment (``AFTERSHOCK_HOME``, ``AFTERSHOCK_DATA``, ...; see
:mod:`app.settings`). :func:`create_server` also reads ``AFTERSHOCK_AUTH`` (``user:password``: HTTP
basic auth on every request, which any server reachable beyond this machine needs) and
``AFTERSHOCK_CONFIG`` (the project config whose saved studies the dashboard shows).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import diskcache
from dash import Dash
from flask import Flask

from app import callbacks, layout, runs_view
from app.background import ForkingManager
from app.config import ProjectConfig, find_config, load_config
from app.data import DashboardData
from app.export import FigureExporter
from app.guard import install_guard
from app.security import MAX_REQUEST_BYTES, Credentials, install_basic_auth, parse_credentials
from app.settings import Settings, load_settings
from app.state import MODELS, ONLINE_MODELS

__all__ = ["ASSETS", "SharedExporter", "create_app", "create_server", "project_config"]

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[1] / "assets"
"""The ``assets/`` folder (CSS, logo) served by Dash."""


class SharedExporter:
    """One :class:`FigureExporter` for the server's PNG downloads, started on first use.

    It lives as long as the server process; its Chromium is stopped by kaleido's watchdog when
    the process exits (closing it from an ``atexit`` hook can stall interpreter shutdown).
    """

    def __init__(self) -> None:
        self._exporter: FigureExporter | None = None
        self._lock = threading.Lock()

    def __call__(self) -> FigureExporter:
        with self._lock:
            if self._exporter is None:
                self._exporter = FigureExporter().__enter__()
            return self._exporter


def project_config(path: Path | None) -> ProjectConfig | None:
    """The project config at ``path``; without one, ``./aftershock.toml`` if it exists, else None.

    Raises :class:`~analytics.errors.SpecError` for a missing ``path`` or an invalid file.
    """
    file = find_config(path)
    if path is None and not file.is_file():
        return None
    return load_config(file)


def create_app(
    settings: Settings | None = None,
    *,
    prepare: bool = True,
    config: ProjectConfig | None = None,
    scheduled: bool = False,
    credentials: Credentials | None = None,
) -> Dash:
    """Build the dashboard.

    Parameters
    ----------
    settings
        Data locations; default: read from the environment.
    prepare
        Fetch the DeepSeek demo's missing prices into the store before serving (the page shows
        a banner for whatever stays missing).
    config
        The project config: its saved studies can be refreshed from the page.
    scheduled
        Whether this process runs the config's schedules (shown with the saved studies).
    credentials
        ``(user, password)`` required on every request (HTTP basic auth), static files included.
    """
    settings = settings or load_settings()
    data = DashboardData(settings)
    banner = data.prepare_demo() if prepare else []
    jobs = ForkingManager(diskcache.Cache(str(settings.store / "dashboard" / "jobs")))
    app = Dash(
        __name__,
        title="Aftershock",
        update_title="",
        assets_folder=str(ASSETS),
        background_callback_manager=jobs,
    )
    app.layout = layout.page(
        articles=data.article_options(),
        sectors=sorted(data.sector_members),
        ticker_options=data.search_tickers(None),
        models={k: v for k, v in MODELS.items() if not (settings.offline and k in ONLINE_MODELS)},
        banner=banner,
        saved_studies=runs_view.drawer(),
    )
    callbacks.register(app, data, SharedExporter())
    runs_view.register(app, settings, config, scheduled=scheduled)
    jobs.start()
    server: Flask = app.server
    # An oversized body is refused before it is parsed (uploads are capped client-side too).
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    if credentials is not None:
        install_basic_auth(server, credentials)
    install_guard(app)  # after auth: a stranger learns nothing from a 400
    return app


def create_server() -> Flask:
    """WSGI application factory (``waitress-serve --call app.dashboard:create_server``).

    Binding anything but 127.0.0.1 (``--host 0.0.0.0``) needs ``AFTERSHOCK_AUTH=user:password``.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    auth = os.environ.get("AFTERSHOCK_AUTH", "")
    config_path = os.environ.get("AFTERSHOCK_CONFIG", "").strip()
    app = create_app(
        config=project_config(Path(config_path) if config_path else None),
        credentials=parse_credentials(auth) if auth else None,
    )
    server: Flask = app.server
    return server
