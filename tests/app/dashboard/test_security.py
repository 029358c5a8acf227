"""Server exposure rules: loopback by default, basic auth when exposed, body size cap; and the
hostile inputs of issue 13 A (login guessing, headers, planted pickles, markup in charts).

``app.figures`` is imported as a module: its ``test_statistics_table`` would otherwise be
collected by pytest as a test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import pickle
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import flask
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.data.store import PriceStore
from analytics.errors import SpecError, StoreError
from analytics.news import clean_text, parse_article
from app.charts import figures as F
from app.charts.export import FigureExporter
from app.dashboard.app import create_app
from app.dashboard.cache import DashboardData
from app.dashboard.security import (
    LOGIN_LOCKOUT_S,
    MAX_LOGIN_FAILURES,
    MAX_TRACKED_CLIENTS,
    LoginThrottle,
    check_exposure,
    install_basic_auth,
    is_loopback,
    parse_credentials,
)
from app.settings import Settings


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


# -- issue 13 A: what a hostile-input audit broke ------------------------------------------------


def _auth_client(**options: Any) -> flask.testing.FlaskClient:
    server = flask.Flask("t")

    @server.route("/")
    def index() -> str:
        return "secret dashboard"

    install_basic_auth(server, ("ana", "s3cret"), **options)
    return server.test_client()


@pytest.mark.parametrize(("user", "password"), [("bob", "wrong!"), ("bob", "s3cret"), ("ana", "x")])
def test_user_and_password_are_compared_together(
    user: str, password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A wrong user name must not skip the password comparison: the time taken would tell.
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    client = _auth_client()
    monkeypatch.setattr(hmac, "compare_digest", counting)
    assert client.get("/", headers=_basic(user, password)).status_code == 401
    assert len(compared) == 2
    # Fixed-length digests: the comparison's time does not depend on the guess's length either.
    assert {len(a) for pair in compared for a in pair} == {32}


def test_failed_logins_lock_the_client_out_for_a_while() -> None:
    now = [1000.0]
    client = _auth_client(clock=lambda: now[0])
    good, bad = _basic("ana", "s3cret"), _basic("ana", "guess")
    # Requests without credentials (a browser's first request) are not failed logins.
    for _ in range(3 * MAX_LOGIN_FAILURES):
        assert client.get("/").status_code == 401
    for _ in range(MAX_LOGIN_FAILURES):
        assert client.get("/", headers=bad).status_code == 401
    locked = client.get("/", headers=good)
    assert locked.status_code == 429, "the right password too, or the lockout tells it"
    assert b"secret dashboard" not in locked.data
    assert 0 < int(locked.headers["Retry-After"]) <= LOGIN_LOCKOUT_S
    other = client.get("/", headers=good, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200, "another client is not locked out"
    now[0] += LOGIN_LOCKOUT_S + 1
    assert client.get("/", headers=good).status_code == 200
    # A success forgets earlier failures.
    for _ in range(MAX_LOGIN_FAILURES - 1):
        assert client.get("/", headers=bad).status_code == 401
    assert client.get("/", headers=good).status_code == 200
    assert client.get("/", headers=bad).status_code == 401


def test_login_failures_of_many_clients_use_bounded_memory() -> None:
    throttle = LoginThrottle(clock=lambda: 0.0)
    for i in range(MAX_TRACKED_CLIENTS + 100):
        for _ in range(MAX_LOGIN_FAILURES):
            throttle.failed(f"client-{i}")
    assert len(throttle) == MAX_TRACKED_CLIENTS
    assert throttle.retry_after(f"client-{MAX_TRACKED_CLIENTS + 99}") == LOGIN_LOCKOUT_S
    assert throttle.retry_after("client-0") == 0, "the oldest is forgotten first"


def test_dashboard_sends_security_headers_with_a_csp_that_allows_its_own_scripts(
    settings: Settings,
) -> None:
    dash_app = create_app(settings, prepare=False)
    page = dash_app.server.test_client().get("/")
    assert page.status_code == 200
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(
        (part.split()[0], part.split()[1:])
        for part in page.headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    # Every inline script of the page (Dash's renderer, clientside callbacks) is allowed by its
    # hash, computed here from the page itself.
    # Scripts inside comments (Dash's "[if IE]" notice) are never run.
    html = re.sub(r"<!--.*?-->", "", page.get_data(as_text=True), flags=re.DOTALL)
    inline = [
        body
        for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
        if "src=" not in attrs and "application/json" not in attrs
    ]
    assert len(inline) >= 3  # the renderer and two clientside callbacks
    for body in inline:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy["script-src"], body[:80]
    with dash_app.server.test_client().get("/assets/aftershock.css") as asset:
        assert asset.headers["X-Content-Type-Options"] == "nosniff"


class _Exploit:
    """Unpickling this runs code: it creates the file ``marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def test_a_pickle_planted_in_the_store_never_runs(tmp_path: Path) -> None:
    store = tmp_path / "store"
    marker = tmp_path / "code-ran"
    settings = Settings(store=store, data_pack=None, news=None, reference=None, offline=True)
    key = "0123456789abcdef0123456789abcdef"
    # What an attacker who can write the store plants where the result cache used to live.
    planted = store / "dashboard" / "results"
    planted.mkdir(parents=True)
    (planted / hashlib.md5(key.encode()).hexdigest()).write_bytes(
        pickle.dumps(0) + pickle.dumps(_Exploit(marker))
    )
    data = DashboardData(settings)
    assert data.result(key) is None
    assert not marker.exists()
    cache = data.cache_dir
    assert not cache.resolve().is_relative_to(store.resolve())
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700


def test_background_job_cache_is_private_and_outside_the_store(tmp_path: Path) -> None:
    settings = Settings(
        store=tmp_path / "store", data_pack=None, news=None, reference=None, offline=True
    )
    dash_app = create_app(settings, prepare=False)
    manager = dash_app._background_manager
    jobs = Path(manager.handle.directory).resolve()
    assert not jobs.is_relative_to((tmp_path / "store").resolve())
    assert stat.S_IMODE(jobs.stat().st_mode) == 0o700
    assert jobs.stat().st_uid == os.getuid()


# Article markup must never become plotly markup (links, styles) in charts or exports.
HOSTILE = [
    "<\u200ba href='https://evil.example'>click</a>",
    "<\u2060span style='color:red;font-size:90px'>big</span>",
    "&lt;\u200ba href=x&gt;entity&lt;/a&gt;",
    "<\ufeffb>bold</b> & <\u200dbr>",
    "<\u202ea href=x>bidi</a>",
]


@pytest.mark.parametrize("headline", HOSTILE)
def test_invisible_characters_cannot_hide_tags_in_an_article(headline: str) -> None:
    article = parse_article(f"{headline}\nBody <\u200bi>text</i> here.")
    for text in (article.headline, *clean_text(article.body)):
        assert "<" not in text, text
        assert "\u200b" not in text and "\u2060" not in text and "\u202e" not in text


def _figure_strings(fig: go.Figure) -> list[str]:
    """Every string of ``fig`` but its hover and text templates (ours, markup on purpose)."""
    out: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in {"hovertemplate", "texttemplate", "template"}:
                    walk(v)
        elif isinstance(node, list | tuple | np.ndarray):
            for v in node:
                walk(v)
        elif isinstance(node, str):
            out.append(node)

    walk(fig.to_plotly_json())
    return out


def _hostile_figures(text: str) -> list[go.Figure]:
    """Each figure that shows article or user text, with ``text`` as headline, ticker, sector."""
    days = pd.bdate_range("2025-01-20", periods=8)
    ticker = f"X{text}"
    prices = pd.DataFrame(
        {"AAA": np.linspace(100, 90, 8), ticker: np.linspace(50, 55, 8), "SPY": 100.0},
        index=days,
    )
    windows = pd.DataFrame(
        {
            "event_id": "e1",
            "ticker": ["AAA", ticker],
            "window": "0:0",
            "car": [-0.05, 0.02],
            "var_car": 0.0004,
            "scar": [-2.5, 1.0],
            "p": [0.01, 0.3],
            "status": "ok",
            "dollar_impact": [-1e9, 2e8],
        }
    )
    day = pd.DataFrame({"ticker": ["AAA", ticker], "day": 0, "ar": [-0.05, 0.02]})
    return [
        F.price_paths(prices, day0="2025-01-27", headline=text, benchmark="SPY"),
        F.price_paths(prices, day0="2025-01-27", benchmark=ticker),
        F.abnormal_returns_bar(day, windows, window="0:0"),
        F.sector_treemap(
            windows,
            pd.Series({"AAA": text, ticker: "Tech"}),
            pd.Series({"AAA": 1e9, ticker: 2e9}),
            window="0:0",
        ),
        F.dollar_impact_bar(windows, window="0:0"),
    ]


MARKUP = re.compile(r"<\s*/?\s*(a|span|b|i|br|sup|sub|em)\b", re.IGNORECASE)
RAW_AMPERSAND = re.compile(r"&(?!(amp|lt|gt|quot|#\d+);)")


@pytest.mark.parametrize(
    "text",
    [
        "<a href='https://evil.example'>click</a>",
        "<span style='color:red;font-size:90px'>big</span>",
        "AT&T <b>bold</b> &amp; <br>",
    ],
)
def test_user_text_reaches_plotly_escaped(text: str) -> None:
    for fig in _hostile_figures(text):
        strings = _figure_strings(fig)
        shown = [s for s in strings if "&lt;" in s]
        assert shown, "the text is shown, escaped, not dropped"
        for s in strings:
            assert MARKUP.search(s.replace("<b>Day 0</b>", "")) is None, s
            assert RAW_AMPERSAND.search(s) is None, s


@pytest.mark.slow
def test_svg_export_holds_no_link_or_style_from_an_article() -> None:
    text = "<a href='https://evil.example'>click</a> <span style='fill:red'>x</span>"
    figs = _hostile_figures(text)
    with FigureExporter() as exporter:
        images = [svg.decode() for svg in exporter.render(figs[:4], fmt="svg")]
    assert "click" in images[0]
    for svg in images:
        # The markup is text (escaped as &#60;...), not an element: no link, no styled span.
        assert "<a " not in svg and "xlink:href" not in svg
        assert re.search(r"<[^<>]*fill: ?red[^<>]*>", svg) is None


def _one_year_store(root: Path) -> tuple[PriceStore, str, str]:
    store = PriceStore(root)
    days = pd.bdate_range("2025-01-02", periods=20)
    store.upsert(pd.DataFrame({"ticker": "AAA", "date": days, "adj_close": 1.0 + np.arange(20)}))
    ((year, name),) = json.loads((root / "manifest.json").read_text())["files"].items()
    return store, year, name


@pytest.mark.parametrize("how", ["absolute", "parent", "nested", "symlink"])
def test_store_refuses_manifest_entries_outside_its_prices_folder(how: str, tmp_path: Path) -> None:
    store, year, name = _one_year_store(tmp_path / "store")
    outside = tmp_path / "precious.parquet"
    shutil.copy(store.root / "prices" / name, outside)
    entry = {
        "absolute": str(outside),
        "parent": "../../precious.parquet",
        "nested": f"sub/{name}",
        "symlink": "2025.g000009.parquet",
    }[how]
    if how == "symlink":
        (store.root / "prices" / entry).symlink_to(outside)
    manifest = store.root / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc["files"][year] = entry
    manifest.write_text(json.dumps(doc))
    before = outside.read_bytes()
    damaged = r"manifest\.json is damaged.*outside .*prices.*restore it from a backup"
    with pytest.raises(StoreError, match=damaged):
        store.prices("AAA", "2025-01-01", "2025-12-31")
    more = pd.DataFrame({"ticker": "AAA", "date": [pd.Timestamp("2025-03-03")], "adj_close": 9.0})
    with pytest.raises(StoreError, match=damaged):
        store.upsert(more)
    assert outside.read_bytes() == before, "an outside file is neither read nor deleted"
    assert json.loads(manifest.read_text()) == doc
