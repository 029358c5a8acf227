"""Server exposure rules: loopback by default, basic auth when exposed, body size cap."""

from __future__ import annotations

import base64

import flask
import pytest

from analytics.errors import SpecError
from app.dashboard.security import (
    check_exposure,
    install_basic_auth,
    is_loopback,
    parse_credentials,
)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
def test_loopback_hosts_need_no_credentials(host: str) -> None:
    assert is_loopback(host)
    check_exposure(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.4", "example.org"])
def test_exposed_hosts_require_credentials(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(SpecError, match="--auth user:password"):
        check_exposure(host, None)
    check_exposure(host, ("ana", "s3cret"))


@pytest.mark.parametrize("text", ["", "ana", "ana:", ":pw", "  :pw"])
def test_malformed_credentials(text: str) -> None:
    with pytest.raises(SpecError, match="user:password"):
        parse_credentials(text)


def test_password_may_contain_colons() -> None:
    assert parse_credentials("ana:a:b:c") == ("ana", "a:b:c")


def _client() -> flask.testing.FlaskClient:
    server = flask.Flask("t")

    @server.route("/")
    def index() -> str:
        return "secret dashboard"

    install_basic_auth(server, ("ana", "s3cret"))
    return server.test_client()


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_auth_enforced(caplog: pytest.LogCaptureFixture) -> None:
    client = _client()
    refused = client.get("/")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic")
    assert b"secret dashboard" not in refused.data
    assert client.get("/", headers=_basic("ana", "wrong")).status_code == 401
    assert client.get("/", headers=_basic("bob", "s3cret")).status_code == 401
    ok = client.get("/", headers=_basic("ana", "s3cret"))
    assert ok.status_code == 200 and ok.data == b"secret dashboard"
    assert "s3cret" not in caplog.text
