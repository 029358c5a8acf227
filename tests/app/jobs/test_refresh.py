"""The refresh: watchlists kept current, studies re-run and saved, failures isolated, one at a time.

Runs on a store pre-filled from the DeepSeek pack up to mid-2025, with that pack as the only
source (offline), both in-process and through the real ``aftershock`` console script.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import subprocess
import sys
import zoneinfo
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from analytics import calendar
from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from analytics.errors import SpecError
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from app.config import load_config
from app.jobs.archive import RunRecord, last_refresh, list_runs, load_run
from app.jobs.refresh import (
    WATCHLIST_SESSIONS,
    RefreshBusyError,
    last_completed_session,
    refresh,
    refresh_owner,
)
from app.settings import Settings, load_settings
from tests.support import AFTERSHOCK, DEEPSEEK_PACK, FILLED_UNTIL, REPO, cli_env

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
CHIPS = ("NVDA", "AMD", "AVGO", "MU", "TSM")

CONFIG = """
[watchlists]
chips = ["NVDA", "AMD", "AVGO", "MU", "TSM"]
extra = ["NOPE"]

[[studies]]
name = "chips"
watchlist = "chips"
event_date = 2025-01-27
windows = ["0:0", "-1:1", "-5:5"]
placebo = {placebo}

[[studies]]
name = "broken"
tickers = ["ZZZZ"]
event_date = 2025-01-27
placebo = 0

[export]
dir = "charts"
width = 400
height = 300
scale = 1
"""


def write_config(directory: Path, text: str = CONFIG, *, placebo: int = 0) -> Path:
    path = directory / "aftershock.toml"
    path.write_text(text.replace("{placebo}", str(placebo)), encoding="utf-8")
    return path


def settings_for(store: Path) -> Settings:
    return Settings(store=store, data_pack=DEEPSEEK_PACK, news=None, reference=None, offline=True)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("2025-01-27 15:59", "2025-01-24"),  # Monday before the close: Friday
        ("2025-01-27 16:00", "2025-01-27"),
        ("2025-01-25 12:00", "2025-01-24"),  # Saturday
        ("2025-01-09 17:00", "2025-01-08"),  # national day of mourning (Carter): closed
        ("2025-07-04 18:00", "2025-07-03"),
        ("2025-03-10 16:30", "2025-03-10"),  # first Monday of daylight saving time
    ],
)
def test_last_completed_session(local: str, expected: str) -> None:
    now = pd.Timestamp(local).tz_localize(NEW_YORK).to_pydatetime()
    assert last_completed_session(now) == pd.Timestamp(expected)
    assert last_completed_session(now.astimezone(dt.UTC)) == pd.Timestamp(expected)


def test_refresh_saves_runs_and_isolates_a_failing_study(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    seen: list[RunRecord] = []
    report = refresh(config, settings_for(store), export=False, on_run=seen.append)
    chips, broken = report.runs
    assert list(seen) == [chips, broken]
    assert chips.status == "ok" and chips.errors == ()
    assert (chips.n_ok, chips.n_excluded) == (5, 0)
    assert broken.status == "failed" and report.failed == (broken,)
    assert re.match(r"no usable firm: every firm-event is excluded", broken.errors[-1])
    assert any("ZZZZ" in e for e in broken.errors)

    saved = load_run(store, "chips")
    assert saved.record == chips
    days = saved.frames["days"]
    nvda = days[(days["ticker"] == "NVDA") & (days["day"] == 0)].iloc[0]
    # README of the shared data: NVDA 142.41 -> 118.24 on 2025-01-27.
    assert nvda["ret"] == pytest.approx(118.24 / 142.41 - 1, abs=1e-4)
    windows = saved.frames["windows"]
    for key, caar in chips.caar.items():
        assert caar == pytest.approx(windows.loc[windows["window"] == key, "car"].mean(), rel=1e-12)
    # One price before the first estimation return (-250) through the end of the last window.
    assert chips.data_start == calendar.offset("2025-01-27", -251).date()
    assert chips.data_end == calendar.offset("2025-01-27", 5).date()
    assert load_run(store, "broken").record == broken and load_run(store, "broken").frames == {}

    record = last_refresh(store)
    assert record == report.record
    assert record.status == "failed"
    assert record.runs == {"chips": chips.run_id, "broken": broken.run_id}
    assert any(e.startswith("watchlists: no prices for NOPE: ") for e in record.errors)
    assert any(e.startswith("broken: no usable firm") for e in record.errors)
    assert list_runs(store)["study"].tolist() == ["broken", "chips"]
    assert refresh_owner(store) is None and not (store / ".refresh.owner.json").exists()


def test_watchlists_are_brought_up_to_the_last_session(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    refresh(config, settings_for(store), studies=["chips"], export=False)
    end = last_completed_session(dt.datetime.now(dt.UTC))
    start = calendar.offset(end, -WATCHLIST_SESSIONS)
    pack = read_pack(DEEPSEEK_PACK)
    expected = pack[pack["ticker"].isin(CHIPS) & pack["date"].between(start, end)]
    stored = PriceStore(store).prices(list(CHIPS), start, end)
    assert len(expected) > 0 or start > pd.Timestamp("2026-08-03")
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True),
        expected[["ticker", "date", "adj_close"]]
        .sort_values(["ticker", "date"])
        .reset_index(drop=True),
        check_dtype=False,
    )
    # Tickers of no watchlist are left alone.
    assert PriceStore(store).coverage(["QQQ"])["last"].iloc[0] == pd.Timestamp(FILLED_UNTIL)


def test_rerun_on_unchanged_data_reproduces_the_numbers(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, placebo=50))
    first = refresh(config, settings_for(store), studies=["chips"], export=False).runs[0]
    second = refresh(config, settings_for(store), studies=["chips"], export=False).runs[0]
    assert first.run_id != second.run_id and first.caar == second.caar
    a, b = load_run(store, "chips", first.run_id), load_run(store, "chips", second.run_id)
    assert a.result_json == b.result_json
    assert json.loads(b.result_json or "")["aggregate"]["-1:1"]["tests"]["placebo"]["k"] == 50


def test_a_refresh_inside_a_refresh_is_refused(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    settings = settings_for(store)
    refused: list[RefreshBusyError] = []

    def again(run: RunRecord) -> None:
        owner = refresh_owner(store)
        assert owner is not None and owner.pid == os.getpid()
        with pytest.raises(RefreshBusyError) as info:
            refresh(config, settings, export=False)
        refused.append(info.value)

    refresh(config, settings, studies=["chips"], export=False, on_run=again)
    (error,) = refused
    assert error.owner is not None and error.owner.pid == os.getpid()
    assert re.fullmatch(
        rf"another refresh is running since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
        rf"\(pid {os.getpid()}\); try again later",
        str(error),
    )
    assert len(list_runs(store)) == 1


def test_a_stale_owner_file_is_ignored(store: Path, tmp_path: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    owner = {"pid": int(dead.stdout), "started": "2025-01-27T21:00:00+00:00"}
    (store / ".refresh.owner.json").write_text(json.dumps(owner))
    assert refresh_owner(store) is None
    config = load_config(write_config(tmp_path))
    assert refresh(config, settings_for(store), studies=["chips"], export=False).runs


def test_a_bug_in_one_study_does_not_stop_the_others(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    again = '[[studies]]\nname = "chips-again"\nwatchlist = "chips"\nevent_date = 2025-01-27\n'
    config = load_config(write_config(tmp_path, CONFIG + again))
    real = Workspace.run
    calls: list[str] = []

    def buggy_once(self: Workspace, spec: StudySpec, *args: object, **kwargs: object) -> object:
        calls.append(spec.tickers[0])
        if len(calls) == 1:
            raise KeyError("boom")
        return real(self, spec, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Workspace, "run", buggy_once)
    with caplog.at_level(logging.ERROR, logger="app.jobs.refresh"):
        report = refresh(
            config, settings_for(store), studies=["chips", "chips-again"], export=False
        )
    first, second = report.runs
    assert first.status == "failed" and first.errors == ("KeyError: 'boom'",)
    assert second.status == "ok"
    assert "refresh chips: unexpected error" in caplog.text and "Traceback" in caplog.text


def test_an_export_failure_makes_the_run_partial(
    store: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # BROWSER_PATH reaches the exporter through the settings (the only reader of the environment).
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chromium"))
    settings = replace(settings_for(store), browser_path=load_settings(store).browser_path)
    config = load_config(write_config(tmp_path))
    (run,) = refresh(config, settings, studies=["chips"]).runs
    assert run.status == "partial" and run.exports == ()
    assert re.match(r"export: no Chrome/Chromium found \(looked at .*no-chromium\)", run.errors[0])
    assert load_run(store, "chips").frames["aggregate"]["caar"].tolist() == list(run.caar.values())
    assert last_refresh(store).status == "partial"  # type: ignore[union-attr]


def test_no_source_is_a_config_error(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    offline = Settings(store=store, data_pack=None, news=None, reference=None, offline=True)
    with pytest.raises(SpecError, match=r"AFTERSHOCK_OFFLINE: is set and AFTERSHOCK_DATA is not"):
        refresh(config, offline)
    with pytest.raises(SpecError, match=r"'chip' is not a study .*did you mean 'chips'"):
        refresh(config, settings_for(store), studies=["chip"])
    assert list_runs(store).empty


@pytest.mark.slow
def test_refresh_exports_the_charts(store: Path, tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    (run,) = refresh(config, settings_for(store), studies=["chips"]).runs
    charts = tmp_path / "charts"
    assert run.status == "ok", run.errors
    names = {"abnormal_returns", "caar", "sector_treemap", "dollar_impact", "tests"}
    expected = {"chips/price_paths.png"} | {
        f"chips/{name}_{key.replace(':', '_')}.png" for name in names for key in run.caar
    }
    assert set(run.exports) == expected
    assert {p.relative_to(charts).as_posix() for p in charts.rglob("*.png")} == expected
    header = (charts / "chips" / "caar_-1_1.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(header[16:20]), int.from_bytes(header[20:24])) == (400, 300)
    assert not [p for p in charts.rglob("*") if p.name.startswith(".")]


def run_cli(
    *args: str, store: Path, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(AFTERSHOCK), "refresh", *args],
        cwd=cwd,
        env=cli_env(store) | (env or {}),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_cli_prints_one_line_per_study_and_fails_if_one_failed(store: Path, tmp_path: Path) -> None:
    write_config(tmp_path)
    done = run_cli("--no-export", store=store, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    assert re.match(
        r"ok +chips +run \d{8}T\d{12}Z-[0-9a-f]{4} +5 ok, 0 excluded +CAAR 0:0 -", lines[0]
    )
    assert re.match(r"failed +broken +no usable firm: ", lines[1])
    assert "watchlists: no prices for NOPE" in done.stderr
    only = run_cli("--study", "chips", "--no-export", "--config", "aftershock.toml",
                   store=store, cwd=tmp_path)  # fmt: skip
    assert only.returncode == 0, only.stderr
    assert only.stdout.startswith("ok ")
    assert list_runs(store)["study"].tolist() == ["chips", "broken", "chips"]


@pytest.mark.slow
def test_cli_config_errors_are_one_line_exit_2(store: Path, tmp_path: Path) -> None:
    path = write_config(tmp_path, CONFIG.replace("placebo = {placebo}", "placbo = 3"))
    done = run_cli(store=store, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"error: {path}: studies[0] (chips).placbo: unknown key (did you mean 'placebo'?); "
        "allowed keys are benchmark, bootstrap, dimson_lags, estimation, event_date, group_by, "
        "min_estimation, model, name, placebo, regress, returns, seed, spike_jump, spike_screen, "
        "spike_threshold, standardization, tickers, timing, watchlist, windows"
    )
    from_env = run_cli(store=store, cwd=REPO, env={"AFTERSHOCK_CONFIG": str(path)})
    assert from_env.returncode == 2 and from_env.stderr == done.stderr
    unknown = run_cli("--study", "chip", "--config", str(write_config(tmp_path)),
                      store=store, cwd=REPO)  # fmt: skip
    assert unknown.returncode == 2
    assert "'chip' is not a study" in unknown.stderr and "did you mean 'chips'?" in unknown.stderr
    assert list_runs(store).empty


@pytest.mark.slow
def test_two_refreshes_started_together_one_runs(store: Path, tmp_path: Path) -> None:
    # 30,000 placebo draws hold the lock for seconds, far longer than start-up jitter.
    config = write_config(tmp_path, placebo=30_000)
    command = [
        str(AFTERSHOCK),
        "refresh",
        "--config",
        str(config),
        "--study",
        "chips",
        "--no-export",
    ]
    procs = [
        subprocess.Popen(command, cwd=tmp_path, env=cli_env(store), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    outputs = [proc.communicate(timeout=300) for proc in procs]
    codes = sorted(proc.returncode for proc in procs)
    assert codes == [0, 3], outputs
    winner = next(p for p in procs if p.returncode == 0)
    _, loser_err = outputs[[p.returncode for p in procs].index(3)]
    assert re.fullmatch(
        rf"error: another refresh is running since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC "
        rf"\(pid {winner.pid}\); try again later\n",
        loser_err,
    )
    assert len(list_runs(store)) == 1
