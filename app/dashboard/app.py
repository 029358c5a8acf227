"""The Dash app factory and the WSGI entry point.

``aftershock serve`` runs :func:`create_app` on a local server. For production, serve the WSGI
factory with waitress (one process; background studies run in processes forked by a helper, see
:mod:`app.dashboard.background`)::

    AFTERSHOCK_AUTH=user:password waitress-serve --host=127.0.0.1 --port=8050 --threads=8 \
        --connection-limit=500 --max-request-body-size=16777216 \
        --call app.dashboard.app:create_server

(each browser keeps up to 6 connections open; waitress' default limit of 100 is too low; and
waitress' default body limit of 1 GiB would let anyone make it spool a huge body to disk before
the app, or its auth, sees the request).

Settings come from the environment (``AFTERSHOCK_HOME``, ``AFTERSHOCK_DATA``, ...; see
:mod:`app.settings`). :func:`create_server` also reads ``AFTERSHOCK_AUTH`` (``user:password``: HTTP
basic auth on every request), ``AFTERSHOCK_TRUSTED_PROXY_AUTH`` (``1``: serve without auth
because an authenticating proxy stands in front) and ``AFTERSHOCK_CONFIG`` (the project config
whose saved studies the dashboard shows). It cannot know the address waitress binds, so it
refuses to build an app without one of the first two.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import diskcache
from dash import Dash
from flask import Flask

from analytics.errors import AftershockError, SpecError
from app.charts.export import FigureExporter
from app.config import ProjectConfig, find_config, load_config
from app.dashboard import layout
from app.dashboard.background import ForkingManager
from app.dashboard.cache import DashboardData
from app.dashboard.features import article, controls, downloads, news, results, saved_studies
from app.dashboard.guard import install_guard
from app.dashboard.lazy import defer_grid_bundle, use_plotly_bundle
from app.dashboard.security import (
    MAX_REQUEST_BYTES,
    Credentials,
    install_basic_auth,
    install_security_headers,
    parse_credentials,
    private_directory,
)
from app.dashboard.state import ALL_SECTORS
from app.settings import Settings, load_settings

__all__ = ["ASSETS", "SharedExporter", "create_app", "create_server", "project_config"]

logger = logging.getLogger(__name__)

ASSETS = Path(__file__).resolve().parents[2] / "assets"
"""The ``assets/`` folder (CSS, logo) served by Dash."""


class SharedExporter:
    """One :class:`FigureExporter` for the server's PNG downloads, started on first use.

    It lives as long as the server process; its Chromium is stopped by kaleido's watchdog when
    the process exits (closing it from an ``atexit`` hook can stall interpreter shutdown).
    """

    def __init__(self, browser_path: Path | None = None) -> None:
        self._browser_path = browser_path
        self._exporter: FigureExporter | None = None
        self._lock = threading.Lock()

    def __call__(self) -> FigureExporter:
        with self._lock:
            if self._exporter is None:
                self._exporter = FigureExporter(browser_path=self._browser_path).__enter__()
            return self._exporter

    def warm_up(self) -> threading.Thread:
        """Start the browser in a background thread, so that the first PNG download does not
        wait for Chromium to start (most of a cold download); a failure is logged, and said
        again on the first download."""

        def start() -> None:
            try:
                self()
            except AftershockError as exc:
                logger.warning("PNG export browser not started: %s", exc)

        thread = threading.Thread(target=start, name="aftershock-kaleido-warm-up", daemon=True)
        thread.start()
        return thread


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
    warm_exporter: bool = False,
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
    warm_exporter
        Start the PNG export browser in the background now instead of on the first download.
    """
    settings = settings or load_settings()
    data = DashboardData(settings)
    banner = data.prepare_demo() if prepare else []
    # Dash's job cache is pickled, like the results: private to this process, not in the store.
    jobs = ForkingManager(diskcache.Cache(str(private_directory())))
    app = Dash(
        __name__,
        title="Aftershock",
        update_title="",
        assets_folder=str(ASSETS),
        background_callback_manager=jobs,
        compress=True,
    )
    use_plotly_bundle(app)
    defer_grid_bundle(app)
    app.layout = layout.page(
        articles=data.article_options(),
        sectors=[ALL_SECTORS, *sorted(data.sector_members)],
        ticker_options=data.search_tickers(None),
        models=data.model_options(),
        banner=banner,
        offline_note=data.workspace().offline_reason if prepare else None,
        saved_studies=saved_studies.drawer(config),
    )
    # Each feature owns its layout (composed by layout.page) and registers its own callbacks.
    controls.register(app, data)
    news.register(app, data)
    article.register(app, data)
    results.register(app, data)
    exporter = SharedExporter(settings.browser_path)
    if warm_exporter:
        exporter.warm_up()
    downloads.register(app, data, exporter)
    saved_studies.register(app, settings, config, scheduled=scheduled, data=data)
    jobs.start()
    server: Flask = app.server
    # An oversized body is refused before it is parsed (uploads are capped client-side too).
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    # Compress whole responses only (Dash's scripts, callbacks): flask-compress's streaming mode
    # leaves the files of streamed responses (assets/) open.
    server.config["COMPRESS_STREAMS"] = False
    install_security_headers(server, app.csp_hashes)
    if credentials is not None:
        install_basic_auth(server, credentials)
    install_guard(app)  # after auth: a stranger learns nothing from a 400
    return app


def create_server() -> Flask:
    """WSGI application factory (``waitress-serve --call app.dashboard.app:create_server``).

    Needs ``AFTERSHOCK_AUTH=user:password``, or ``AFTERSHOCK_TRUSTED_PROXY_AUTH=1`` when a proxy
    in front authenticates every request; otherwise it exits with one error line.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = load_settings()
    proxy = settings.trusted_proxy_auth
    try:
        if proxy not in ("", "0", "1"):
            raise SpecError(
                f"AFTERSHOCK_TRUSTED_PROXY_AUTH: expected 1 (a proxy authenticates every "
                f"request) or 0, got {proxy!r}"
            )
        if not settings.auth and proxy != "1":
            raise SpecError(
                "AFTERSHOCK_AUTH is not set: the server would answer anyone who can reach it; "
                "set AFTERSHOCK_AUTH=user:password, or AFTERSHOCK_TRUSTED_PROXY_AUTH=1 if an "
                "authenticating proxy stands in front of it"
            )
        credentials = (
            parse_credentials(settings.auth, name="AFTERSHOCK_AUTH") if settings.auth else None
        )
        config = project_config(settings.config)
    except AftershockError as exc:
        raise SystemExit(f"error: {exc}") from None
    if credentials is None:
        logger.warning("serving without auth: AFTERSHOCK_TRUSTED_PROXY_AUTH=1 says a proxy checks")
    app = create_app(settings, config=config, credentials=credentials)
    server: Flask = app.server
    return server
