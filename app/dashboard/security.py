"""Exposure rules for the dashboard server: loopback by default, HTTP basic auth otherwise.

The dashboard binds 127.0.0.1 unless told otherwise. Binding any other address needs credentials
(``--auth user:password`` or ``AFTERSHOCK_AUTH``), enforced on every request, static files
included; a client that keeps guessing them is locked out for a while. Request bodies are capped
so an oversized upload is refused before it is read. Every response carries headers that forbid
framing, MIME sniffing and scripts the page did not ship. Caches that hold pickles live in a
private directory of the server process, never in the (possibly shared) store.
"""

from __future__ import annotations

import atexit
import hashlib
import hmac
import ipaddress
import logging
import math
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from pathlib import Path

import flask

from analytics.errors import SpecError

__all__ = [
    "LOGIN_LOCKOUT_S",
    "MAX_LOGIN_FAILURES",
    "MAX_REQUEST_BYTES",
    "MAX_TRACKED_CLIENTS",
    "Credentials",
    "LoginThrottle",
    "check_debug",
    "check_exposure",
    "content_security_policy",
    "install_basic_auth",
    "install_security_headers",
    "is_loopback",
    "parse_credentials",
    "private_directory",
]

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 16 * 1024 * 1024
"""Largest request body the server reads; uploads are also limited client-side and parsed with
their own, smaller limit so that a too-large article gets an inline message, not a dropped call."""

MAX_LOGIN_FAILURES = 5
"""Failed logins in a row after which a client (IP address) is locked out."""
LOGIN_LOCKOUT_S = 60
"""Seconds a locked-out client is refused (HTTP 429), counted from its last failure."""
MAX_TRACKED_CLIENTS = 10_000
"""Clients whose failures are remembered; the oldest are forgotten first."""

Credentials = tuple[str, str]


def parse_credentials(text: str, *, name: str = "--auth") -> Credentials:
    """Parse ``user:password`` (the password may itself contain ``:``); ``name`` names the
    option or variable it came from in errors."""
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise SpecError(f"{name}: expected user:password with a non-empty user and password")
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


def check_debug(host: str, debug: bool) -> None:
    """Refuse the development server (``--debug``) on anything but a loopback address."""
    if debug and not is_loopback(host):
        raise SpecError(
            f"--debug runs a development server that must not be reachable from the network; "
            f"drop --debug to serve on --host {host}, or bind 127.0.0.1"
        )


def private_directory() -> Path:
    """A new directory only this user can enter (mode 0700), removed when the process exits.

    For caches that are unpickled: whoever can write them can run code in the server, so they
    must not live in the store, which cron jobs or a shared folder may write.
    """
    path = Path(tempfile.mkdtemp(prefix="aftershock-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


class LoginThrottle:
    """Failed logins per client; a client with :data:`MAX_LOGIN_FAILURES` in a row is locked out.

    A failure older than ``lockout_s`` is forgotten, and so are a client's failures on its next
    successful login. Memory is bounded by forgetting the least recently failed clients.

    Parameters
    ----------
    max_failures
        Failures in a row that lock a client out.
    lockout_s
        Seconds the lockout lasts after the last failure.
    clock
        Monotonic time in seconds (injectable for tests).
    """

    def __init__(
        self,
        *,
        max_failures: int = MAX_LOGIN_FAILURES,
        lockout_s: float = LOGIN_LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._max_failures = max_failures
        self._lockout_s = lockout_s
        self._clock = clock
        self._failures: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._failures)

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again; 0 when it is not locked out."""
        with self._lock:
            count, last = self._failures.get(client, (0, -math.inf))
            left = last + self._lockout_s - self._clock()
            if left <= 0:
                self._failures.pop(client, None)
                return 0
            return math.ceil(left) if count >= self._max_failures else 0

    def failed(self, client: str) -> bool:
        """Count a failed login of ``client``; whether this failure locks it out."""
        with self._lock:
            now = self._clock()
            count, last = self._failures.pop(client, (0, -math.inf))
            if now - last > self._lockout_s:
                count = 0
            self._failures[client] = (count + 1, now)
            while len(self._failures) > MAX_TRACKED_CLIENTS:
                self._failures.popitem(last=False)
            return count + 1 == self._max_failures

    def succeeded(self, client: str) -> None:
        """Forget the failures of ``client``."""
        with self._lock:
            self._failures.pop(client, None)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


def install_basic_auth(
    server: flask.Flask,
    credentials: Credentials,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Require HTTP basic auth with ``credentials`` on every request of ``server``.

    User and password are compared together, in constant time (fixed-length digests, both
    always compared). A client (IP address) that fails :data:`MAX_LOGIN_FAILURES` times in a
    row gets HTTP 429 for :data:`LOGIN_LOCKOUT_S` seconds, even with the right password.
    Requests without credentials (a browser's first request) are not failures.
    """
    user, password = credentials
    expected_user, expected_password = _digest(user), _digest(password)
    throttle = LoginThrottle(clock=clock)

    @server.before_request
    def _require_auth() -> flask.Response | None:
        client = flask.request.remote_addr or "unknown"
        wait = throttle.retry_after(client)
        if wait:
            log.debug("refused request from %s: locked out after failed logins", client)
            return flask.Response(
                "Too many failed logins; try again later", 429, {"Retry-After": str(wait)}
            )
        auth = flask.request.authorization
        if auth is not None and auth.type == "basic":
            # `&`, not `and`: the password is compared even when the user is wrong.
            user_ok = hmac.compare_digest(_digest(auth.username or ""), expected_user)
            password_ok = hmac.compare_digest(_digest(auth.password or ""), expected_password)
            if user_ok & password_ok:
                throttle.succeeded(client)
                return None
            log.info("failed login from %s to %s", client, flask.request.path)
            if throttle.failed(client):
                log.warning(
                    "%s failed %s logins in a row: locked out for %s s",
                    client,
                    MAX_LOGIN_FAILURES,
                    LOGIN_LOCKOUT_S,
                )
        else:
            log.info("refused unauthenticated request to %s", flask.request.path)
        return flask.Response(
            "Authentication required", 401, {"WWW-Authenticate": 'Basic realm="Aftershock"'}
        )


def content_security_policy(script_hashes: Iterable[str]) -> str:
    """A CSP for the Dash page: everything from this server, inline scripts only by hash.

    Dash's renderer and clientside callbacks are inline scripts, allowed by their hashes
    (``Dash.csp_hashes()``); plotly injects ``<style>`` elements, hence inline styles.
    """
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def install_security_headers(
    server: flask.Flask, script_hashes: Callable[[], Iterable[str]]
) -> None:
    """Send CSP, ``X-Frame-Options``, ``nosniff`` and no referrer on every response of ``server``.

    ``script_hashes`` gives the CSP hashes of the page's inline scripts; it is called once, on
    the first response, when every callback is registered.
    """
    policy: list[str] = []
    lock = threading.Lock()

    @server.after_request
    def _headers(response: flask.Response) -> flask.Response:
        with lock:
            if not policy:
                policy.append(content_security_policy(script_hashes()))
        response.headers["Content-Security-Policy"] = policy[0]
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response
