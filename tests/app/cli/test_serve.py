"""``aftershock serve``: loopback by default, basic auth when exposed, ``--schedule``; config
errors of ``serve`` and ``refresh`` are one line and exit 2.

The auth test runs the real WSGI factory (``create_server``, as ``waitress-serve --call`` does)
under waitress in a thread on 127.0.0.1 and talks to it over HTTP.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import waitress.server
import werkzeug.serving
import werkzeug.test
from apscheduler.schedulers.background import BackgroundScheduler
from typer.testing import CliRunner
from waitress import wasyncore
from werkzeug.debug import DebuggedApplication

import app.dashboard.app
import app.jobs.scheduler
from app.cli.main import cli, main
from tests.support import DEEPSEEK_PACK, MARKET_DATA, NEWS, REFERENCE

PASSWORD = "pa:ss-W0rd"
AUTH = f"ana:{PASSWORD}"

STUDY = """
[watchlists]
chips = ["NVDA", "AMD"]

[[studies]]
name = "chips"
watchlist = "chips"
event_date = 2025-01-27
placebo = 0
"""
SCHEDULE = '\n[[schedules]]\nname = "daily"\ncron = "30 16 * * 1-5"\n'


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "AFTERSHOCK_AUTH",
        "AFTERSHOCK_CONFIG",
        "AFTERSHOCK_HOME",
        "AFTERSHOCK_TRUSTED_PROXY_AUTH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AFTERSHOCK_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_NEWS", str(NEWS))
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")


def _serve(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, ["serve", *args], env=env)


# -- exposure ------------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.4"])
def test_exposed_host_without_auth_is_refused(host: str) -> None:
    result = _serve("--host", host)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"error: --host {host} exposes the dashboard")
    assert "--auth user:password" in result.stderr


@pytest.mark.parametrize("auth", ["ana", "ana:", ":pw"])
def test_malformed_auth_is_refused_without_echoing_it(auth: str) -> None:
    result = _serve("--host", "0.0.0.0", env={"AFTERSHOCK_AUTH": auth})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "expected user:password" in result.stderr


def test_auth_from_the_environment_allows_exposure(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_server(monkeypatch)
    result = _serve("--host", "0.0.0.0", "--port", "8123", env={"AFTERSHOCK_AUTH": AUTH})
    assert result.exit_code == 0, result.stderr
    assert calls["host"] == "0.0.0.0" and calls["port"] == 8123
    assert calls["credentials"] == ("ana", PASSWORD)
    assert calls["warm_exporter"] is True  # the first PNG download finds the browser up
    assert PASSWORD not in result.stdout + result.stderr


def _fake_server(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record what serve passes to create_app and waitress instead of serving."""
    calls: dict[str, Any] = {}
    real = app.dashboard.app.create_app

    def create_app(settings: Any, **options: Any) -> Any:
        calls.update(options)
        return real(settings, **(options | {"prepare": False, "warm_exporter": False}))

    def serve(wsgi: Any, **options: Any) -> None:
        calls.update(options, wsgi=wsgi)
        scheduler = calls.get("scheduler")
        calls["scheduler_running"] = scheduler is not None and scheduler.running

    monkeypatch.setattr(app.dashboard.app, "create_app", create_app)
    monkeypatch.setattr(waitress, "serve", serve)
    return calls


# -- --schedule ----------------------------------------------------------------------------------


def test_schedule_runs_the_scheduler_while_serving(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _fake_server(monkeypatch)
    real = app.jobs.scheduler.start_scheduler

    def start(config: Any, settings: Any) -> BackgroundScheduler:
        calls["scheduler"] = real(config, settings)
        return calls["scheduler"]

    monkeypatch.setattr(app.jobs.scheduler, "start_scheduler", start)
    (tmp_path / "aftershock.toml").write_text(STUDY + SCHEDULE)
    result = _serve("--schedule")
    assert result.exit_code == 0, result.stderr
    assert calls["scheduler_running"] is True
    assert calls["scheduled"] is True
    assert calls["config"].study("chips").name == "chips"
    assert calls["scheduler"].running is False, "shut down when the server stops"
    assert "(running its schedules)" in result.stdout


def test_without_schedule_a_present_config_is_shown_not_scheduled(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _fake_server(monkeypatch)
    (tmp_path / "aftershock.toml").write_text(STUDY)
    assert _serve().exit_code == 0
    assert calls["config"] is not None and calls["scheduled"] is False
    (tmp_path / "aftershock.toml").unlink()
    assert _serve().exit_code == 0
    assert calls["config"] is None


def test_schedule_needs_a_config_file(tmp_path: Path) -> None:
    result = _serve("--schedule")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "config file not found; pass --config FILE" in result.stderr


def test_schedule_needs_schedules(tmp_path: Path) -> None:
    (tmp_path / "aftershock.toml").write_text(STUDY)
    result = _serve("--schedule", "--config", "aftershock.toml")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "schedules: none defined" in result.stderr


# -- config errors through the CLI ---------------------------------------------------------------

CONFIG_CASES: list[tuple[str, str, str]] = [
    ("unknown-top-key", STUDY + "[extras]\nx = 1\n", "extras: unknown key"),
    ("unknown-study-key", STUDY.replace("placebo", "placbo"), "did you mean 'placebo'?"),
    ("unknown-watchlist", STUDY.replace('watchlist = "chips"', 'watchlist = "chip"'),
     '"chip" is not defined'),
    ("bad-cron-field", STUDY + SCHEDULE.replace("30 16", "61 16"), "not a valid crontab"),
    ("cron-four-fields", STUDY + SCHEDULE.replace("30 16 * * 1-5", "30 16 * *"), "has 4 fields"),
    ("cron-weekday", STUDY + SCHEDULE.replace("1-5", "1-8"), "day of week '8' is not 0-7"),
    ("wrong-type-placebo", STUDY.replace("placebo = 0", 'placebo = "ten"'), "is a string"),
    ("wrong-type-tickers", STUDY.replace('["NVDA", "AMD"]', '"NVDA"'), "is a string"),
    ("wrong-type-sessions", STUDY + SCHEDULE + 'sessions_only = "yes"\n', "is a string"),
    ("wrong-type-studies", "studies = 3\n", "is a integer"),
    ("bad-timezone", STUDY + SCHEDULE + 'timezone = "Mars/Olympus"\n', "not an IANA time zone"),
    ("not-toml", "[[studies]\n", "not valid TOML"),
    ("binary", "\x00\x01\x02", "not valid TOML"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES]
)
@pytest.mark.parametrize("command", ["refresh", "serve"])
def test_bad_config_is_one_line_exit_2(
    command: str,
    text: str,
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    monkeypatch.setenv("AFTERSHOCK_DATA", str(DEEPSEEK_PACK))
    extra = ["--no-export"] if command == "refresh" else ["--schedule"]
    monkeypatch.setattr(sys, "argv", ["aftershock", command, "--config", str(path), *extra])
    with pytest.raises(SystemExit) as stop:
        main()
    captured = capsys.readouterr()
    assert stop.value.code == 2
    assert captured.out == ""
    assert captured.err.count("\n") == 1, captured.err
    assert captured.err.startswith(f"error: {path}: ")
    assert message in captured.err
    assert not (tmp_path / "store" / "results").exists()


# -- a real server -------------------------------------------------------------------------------


@contextlib.contextmanager
def _running(server: Any) -> Iterator[int]:
    """Run a waitress ``server`` in a thread; yield its port; close it."""
    closing = threading.Event()

    def run() -> None:
        # The server's own loop, one short select() at a time, until asked to stop: no
        # wake-up through its trigger pipe is needed to end it.
        while not closing.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        closing.set()
        thread.join(10)
        assert not thread.is_alive(), "the server loop did not stop"
        server.task_dispatcher.shutdown()
        # The loop has stopped: close every socket, the accepted connections too (a channel
        # left open is reported as an unclosed socket when collected).
        wasyncore.close_all(server._map)


@pytest.fixture
def live_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """create_server() under waitress on a free 127.0.0.1 port, AFTERSHOCK_AUTH set."""
    monkeypatch.setenv("AFTERSHOCK_AUTH", AUTH)
    server: Any = waitress.server.create_server(
        app.dashboard.app.create_server(), host="127.0.0.1", port=0, threads=4
    )
    with _running(server) as port:
        yield f"http://127.0.0.1:{port}"


def _status(url: str, auth: str | None = None, body: bytes | None = None) -> int:
    request = urllib.request.Request(url, data=body)
    if auth is not None:
        request.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    if body is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_real_server_requires_basic_auth_everywhere(
    live_server: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    paths = ["/", "/_dash-layout", "/_dash-dependencies", "/assets/aftershock.css"]
    for path in paths:
        assert _status(live_server + path) == 401, path
        assert _status(live_server + path, "ana:wrong") == 401, path
        assert _status(live_server + path, AUTH) == 200, path
    update = live_server + "/_dash-update-component"
    assert _status(update, None, b"{}") == 401
    assert _status(update, AUTH, b"x" * (17 * 1024 * 1024)) == 413
    assert PASSWORD not in caplog.text
    assert "refused unauthenticated request to /_dash-layout" in caplog.text


# -- issue 13 A: body limit before reading, no unauthenticated factory, debug behind auth ------

HUGE_POST = (
    b"POST /_dash-update-component HTTP/1.1\r\nHost: localhost\r\n"
    b"Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"
)


def _first_response_line(port: int, request: bytes) -> bytes:
    """Send ``request`` on a raw socket; the status line the server answers without more."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        # The body is never sent: a server waiting to read it would time out here.
        return conn.recv(4096).split(b"\r\n", 1)[0]


@pytest.mark.parametrize("auth", [None, AUTH])
def test_serve_refuses_a_huge_body_before_reading_it(
    auth: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Any] = []
    real = app.dashboard.app.create_app

    def create_app(settings: Any, **options: Any) -> Any:
        return real(settings, **(options | {"prepare": False, "warm_exporter": False}))

    def serve(wsgi: Any, **options: Any) -> None:
        # The options `aftershock serve` gives waitress, on a free port.
        started.append(waitress.server.create_server(wsgi, **(options | {"port": 0})))

    monkeypatch.setattr(app.dashboard.app, "create_app", create_app)
    monkeypatch.setattr(waitress, "serve", serve)
    result = _serve(env={"AFTERSHOCK_AUTH": auth} if auth else None)
    assert result.exit_code == 0, result.stderr
    with _running(started[0]) as port:
        assert _first_response_line(port, HUGE_POST) == b"HTTP/1.1 413 Request Entity Too Large"


def test_factory_refuses_to_serve_without_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit) as stop:
        app.dashboard.app.create_server()
    message = str(stop.value.code)
    assert message.count("\n") == 0
    assert message.startswith("error: AFTERSHOCK_AUTH is not set")
    assert "AFTERSHOCK_TRUSTED_PROXY_AUTH=1" in message
    monkeypatch.setenv("AFTERSHOCK_TRUSTED_PROXY_AUTH", "yes")
    with pytest.raises(SystemExit, match="AFTERSHOCK_TRUSTED_PROXY_AUTH: expected 1"):
        app.dashboard.app.create_server()


def test_factory_behind_an_authenticating_proxy_needs_the_explicit_opt_in(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AFTERSHOCK_TRUSTED_PROXY_AUTH", "1")
    server = app.dashboard.app.create_server()
    assert server.test_client().get("/").status_code == 200


def test_factory_with_malformed_auth_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSHOCK_AUTH", "ana")
    with pytest.raises(SystemExit, match=r"^error: AFTERSHOCK_AUTH: expected user:password"):
        app.dashboard.app.create_server()


def _fake_dev_server(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record the WSGI app the dev server would run, wrapped as werkzeug's run_simple does."""
    calls: dict[str, Any] = {}
    real = app.dashboard.app.create_app

    def create_app(settings: Any, **options: Any) -> Any:
        return real(settings, **(options | {"prepare": False, "warm_exporter": False}))

    def run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        if options.get("use_debugger"):
            application = DebuggedApplication(application, evalex=options.get("use_evalex", True))
        calls.update(options, host=host, application=application)

    monkeypatch.setenv("DASH_HOT_RELOAD", "false")
    monkeypatch.setattr(app.dashboard.app, "create_app", create_app)
    monkeypatch.setattr(werkzeug.serving, "run_simple", run_simple)
    return calls


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.4"])
def test_debug_is_refused_off_loopback(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_dev_server(monkeypatch)
    result = _serve("--debug", "--host", host, env={"AFTERSHOCK_AUTH": AUTH})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("error: --debug runs a development server")
    assert "127.0.0.1" in result.stderr
    assert calls == {}


def test_debug_server_keeps_everything_behind_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _fake_dev_server(monkeypatch)
    result = _serve("--debug", env={"AFTERSHOCK_AUTH": AUTH})
    assert result.exit_code == 0, result.stderr
    assert calls["host"] == "127.0.0.1"
    client = werkzeug.test.Client(calls["application"])
    credentials = {"Authorization": "Basic " + base64.b64encode(AUTH.encode()).decode()}
    debugger = [
        "/console",
        "/?__debugger__=yes&cmd=resource&f=style.css",
        "/?__debugger__=yes&cmd=resource&f=debugger.js",
        "/?__debugger__=yes&cmd=printpin&s=x",
    ]
    for path in debugger:
        assert client.get(path).status_code == 401, path
    assert client.get("/", headers=credentials).status_code == 200
    console = client.get("/console", headers=credentials)
    assert b"Console" not in console.data and b"__debugger__" not in console.data, "no console"


def _readme_command() -> tuple[dict[str, str], list[str]]:
    """The README's production command: its environment and its waitress-serve arguments."""
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    block = re.search(r"```bash\n([^`]*waitress-serve[^`]*)```", readme)
    assert block is not None, "the README documents a waitress-serve command"
    words = shlex.split(block.group(1).replace("\\\n", " "))
    start = words.index("waitress-serve")
    env = dict(word.split("=", 1) for word in words[:start])
    return env, words[start + 1 :]


def _local(args: list[str]) -> list[str]:
    """The same arguments on 127.0.0.1 and a free port."""
    out = []
    for arg in args:
        if arg.startswith("--host="):
            arg = "--host=127.0.0.1"
        elif arg.startswith("--port="):
            arg = "--port=0"
        out.append(arg)
    return out


@pytest.mark.slow
def test_readme_production_command_limits_bodies_and_requires_auth(tmp_path: Path) -> None:
    env, args = _readme_command()
    assert "AFTERSHOCK_AUTH" in env
    assert "--max-request-body-size=16777216" in args
    assert {a.split("=")[0] for a in args} >= {"--host", "--port"}, "--host=H --port=P here"
    base = os.environ | {"AFTERSHOCK_HOME": str(tmp_path / "srv"), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "waitress", *_local(args)]
    # Without credentials the documented command refuses to start, in one line.
    refused = subprocess.run(command, env=base, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "error: AFTERSHOCK_AUTH is not set" in refused.stderr
    assert "Traceback" not in refused.stderr
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(command, env=base | env, stderr=out)
    try:
        deadline = time.monotonic() + 120
        port = None
        while port is None and server.poll() is None and time.monotonic() < deadline:
            found = re.search(r"Serving on http://127\.0\.0\.1:(\d+)", log.read_text())
            port = int(found.group(1)) if found else None
            time.sleep(0.2)
        assert port is not None, log.read_text()
        assert _first_response_line(port, HUGE_POST) == b"HTTP/1.1 413 Request Entity Too Large"
        url = f"http://127.0.0.1:{port}/"
        assert _status(url) == 401
        assert _status(url, env["AFTERSHOCK_AUTH"]) == 200
    finally:
        server.terminate()
        server.wait(30)
