"""Exposure rules for the dashboard server: loopback by default, HTTP basic auth otherwise.

The dashboard binds 127.0.0.1 unless told otherwise. Binding any other address needs credentials
(``--auth user:password`` or ``AFTERSHOCK_AUTH``), enforced on every request, static files
included. Request bodies are capped so an oversized upload is refused before it is parsed.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging

import flask

from analytics.errors import SpecError

__all__ = [
    "MAX_REQUEST_BYTES",
    "Credentials",
    "check_exposure",
    "install_basic_auth",
    "is_loopback",
    "parse_credentials",
]

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 * 1024 * 1024
"""Largest request body the server reads; uploads are also limited client-side and parsed with
their own, smaller limit so that a too-large article gets an inline message, not a dropped call."""

Credentials = tuple[str, str]


def parse_credentials(text: str) -> Credentials:
    """Parse ``user:password`` (the password may itself contain ``:``)."""
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise SpecError("--auth: expected user:password with a non-empty user and password")
    return user.strip(), password


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_exposure(host: str, credentials: Credentials | None) -> None:
    """Refuse to serve on a non-loopback address without credentials."""
    if not is_loopback(host) and credentials is None:
        raise SpecError(
            f"--host {host} exposes the dashboard to the network; pass --auth user:password "
            "(or set AFTERSHOCK_AUTH), or bind 127.0.0.1"
        )


def install_basic_auth(server: flask.Flask, credentials: Credentials) -> None:
    """Require HTTP basic auth with ``credentials`` on every request of ``server``."""
    user, password = credentials
    expected_user, expected_password = user.encode(), password.encode()

    @server.before_request
    def _require_auth() -> flask.Response | None:
        auth = flask.request.authorization
        if (
            auth is not None
            and auth.type == "basic"
            and hmac.compare_digest((auth.username or "").encode(), expected_user)
            and hmac.compare_digest((auth.password or "").encode(), expected_password)
        ):
            return None
        log.info("refused unauthenticated request to %s", flask.request.path)
        return flask.Response(
            "Authentication required", 401, {"WWW-Authenticate": 'Basic realm="Aftershock"'}
        )
