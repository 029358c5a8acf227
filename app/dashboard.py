"""The Dash app factory and the WSGI entry point.

``aftershock serve`` runs :func:`create_app` on a local server. For production, serve the WSGI
factory with waitress (one process; background studies run in worker processes it spawns)::

    waitress-serve --host 127.0.0.1 --port 8050 --call app.dashboard:create_server

Settings come from the environment (``AFTERSHOCK_HOME``, ``AFTERSHOCK_DATA``, ...; see
:mod:`app.settings`).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import diskcache
from dash import Dash, DiskcacheManager
from flask import Flask

from app import callbacks, layout
from app.data import DashboardData
from app.export import FigureExporter
from app.settings import Settings, load_settings
from app.state import MODELS, ONLINE_MODELS

__all__ = ["ASSETS", "SharedExporter", "create_app", "create_server"]

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


def create_app(settings: Settings | None = None, *, prepare: bool = True) -> Dash:
    """Build the dashboard.

    Parameters
    ----------
    settings
        Data locations; default: read from the environment.
    prepare
        Fetch the DeepSeek demo's missing prices into the store before serving (the page shows
        a banner for whatever stays missing).
    """
    settings = settings or load_settings()
    data = DashboardData(settings)
    banner = data.prepare_demo() if prepare else []
    jobs = diskcache.Cache(str(settings.store / "dashboard" / "jobs"))
    app = Dash(
        __name__,
        title="Aftershock",
        update_title="",
        assets_folder=str(ASSETS),
        background_callback_manager=DiskcacheManager(jobs),
    )
    app.layout = layout.page(
        articles=data.article_options(),
        sectors=sorted(data.sector_members),
        ticker_options=data.search_tickers(None),
        models={k: v for k, v in MODELS.items() if not (settings.offline and k in ONLINE_MODELS)},
        banner=banner,
    )
    callbacks.register(app, data, SharedExporter())
    return app


def create_server() -> Flask:
    """WSGI application factory (``waitress-serve --call app.dashboard:create_server``)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    server: Flask = create_app().server
    return server
