"""``aftershock serve``: loopback by default, basic auth when exposed, ``--schedule``; config
errors of ``serve`` and ``refresh`` are one line and exit 2.

The auth test runs the real WSGI factory (``create_server``, as ``waitress-serve --call`` does)
under waitress in a thread on 127.0.0.1 and talks to it over HTTP.
"""

from __future__ import annotations

import base64
import logging
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import waitress.server
from apscheduler.schedulers.background import BackgroundScheduler
from typer.testing import CliRunner

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
    for name in ("AFTERSHOCK_AUTH", "AFTERSHOCK_CONFIG", "AFTERSHOCK_HOME"):
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
    assert PASSWORD not in result.stdout + result.stderr


def _fake_server(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record what serve passes to create_app and waitress instead of serving."""
    calls: dict[str, Any] = {}
    real = app.dashboard.app.create_app

    def create_app(settings: Any, **options: Any) -> Any:
        calls.update(options)
        return real(settings, **(options | {"prepare": False}))

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


@pytest.fixture
def live_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """create_server() under waitress on a free 127.0.0.1 port, AFTERSHOCK_AUTH set."""
    monkeypatch.setenv("AFTERSHOCK_AUTH", AUTH)
    server: Any = waitress.server.create_server(
        app.dashboard.app.create_server(), host="127.0.0.1", port=0, threads=4
    )
    closing = threading.Event()

    def run() -> None:
        try:
            server.run()
        except OSError:
            # Closing the server under its select() loop can surface EBADF there: that is
            # the shutdown, not a failure.
            if not closing.is_set():
                raise

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        closing.set()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(10)


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
