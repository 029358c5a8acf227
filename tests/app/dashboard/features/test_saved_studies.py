"""The Saved-studies drawer's callbacks as plain functions, on runs saved by real refreshes.

The store holds the DeepSeek pack up to mid-2025 and that pack is the only source (offline).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import dash_mantine_components as dmc
import pytest

from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from app.config import ProjectConfig, load_config
from app.dashboard.features import saved_studies as runs_view
from app.dashboard.features.saved_studies import (
    comparison,
    history,
    refresh_now,
    refresh_status,
    study_choices,
)
from app.jobs.archive import RunRecord, list_runs
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import DEEPSEEK_PACK, SAVED_STUDIES_CONFIG, component_nodes, component_text

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)  # a Friday (after Thanksgiving)

CONFIG = SAVED_STUDIES_CONFIG


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> ProjectConfig:
    path = tmp_path_factory.mktemp("config") / "aftershock.toml"
    path.write_text(CONFIG)
    return load_config(path)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, config: ProjectConfig) -> Path:
    """A store with two refreshes (chips ok twice, broken failed twice)."""
    root = tmp_path_factory.mktemp("template") / "store"
    pack = read_pack(DEEPSEEK_PACK)
    PriceStore(root).upsert(pack[pack["date"] <= "2025-06-30"])
    for _ in range(2):
        refresh(config, _settings(root), export=False)
    return root


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(template, root)
    return root


def _settings(store: Path) -> Settings:
    return Settings(store=store, data_pack=DEEPSEEK_PACK, news=None, reference=None, offline=True)


# -- status --------------------------------------------------------------------------------------


def test_status_shows_last_refresh_errors_and_next_runs(store: Path, config: ProjectConfig) -> None:
    panel, stamp = refresh_status(store, config, scheduled=False, now=dt.datetime.now(dt.UTC))
    text = component_text(panel)
    badge = next(c for c in component_nodes(panel) if isinstance(c, dmc.Badge))
    assert (badge.children, badge.color) == ("failed", "red")
    assert "UTC (just now) · 2 studies in " in text
    assert "2 problem(s) in the last refresh" in text
    assert "broken: no prices for ZZZZ" in text and "broken: no usable firm" in text
    assert "A refresh is running now" not in text
    finished = json.loads((store / "results" / "last-refresh.json").read_text())["finished"]
    assert stamp == f"{dt.datetime.fromisoformat(finished).isoformat()}|"


def test_status_shows_the_next_scheduled_runs(store: Path, config: ProjectConfig) -> None:
    panel, _ = refresh_status(store, config, scheduled=False, now=NOW)
    text = component_text(panel)
    # Friday 27 Nov 2026 12:00 UTC is 07:00 in New York: the next run is that day at 16:30.
    assert "after-close (30 16 * * 1-5, America/New_York): next Fri 27 Nov 2026 16:30 EST" in text
    assert "(in 9 h); studies: all" in text
    assert "This server does not run them" in text
    scheduled, _ = refresh_status(store, config, scheduled=True, now=NOW)
    assert "This server runs these schedules." in component_text(scheduled)


def test_status_shows_a_running_refresh(store: Path, config: ProjectConfig) -> None:
    started = NOW - dt.timedelta(minutes=3)
    owner = {"pid": os.getpid(), "started": started.isoformat()}
    (store / ".refresh.owner.json").write_text(json.dumps(owner))
    panel, stamp = refresh_status(store, config, scheduled=False, now=NOW)
    assert f"pid {os.getpid()}, started Fri 27 Nov 2026 11:57 UTC (3 min ago)" in component_text(
        panel
    )
    assert stamp.endswith(f"|{os.getpid()}")


def test_status_without_config_or_refresh_says_how_to_configure(tmp_path: Path) -> None:
    panel, stamp = refresh_status(tmp_path, None, scheduled=False, now=NOW)
    text = component_text(panel)
    assert "No refresh has finished yet." in text
    assert "aftershock serve --config aftershock.toml" in text and "AFTERSHOCK_CONFIG" in text
    assert stamp == "|"


def test_unreadable_refresh_record_is_an_alert(store: Path, config: ProjectConfig) -> None:
    (store / "results" / "last-refresh.json").write_text("{garbage")
    panel, _ = refresh_status(store, config, scheduled=False, now=NOW)
    assert "cannot be read" in component_text(panel)


# -- refresh now ---------------------------------------------------------------------------------


def test_refresh_now_reports_each_study(store: Path, config: ProjectConfig) -> None:
    lines: list[str] = []
    report = refresh_now(config, _settings(store), lines.append, export=False)
    assert report.color == "red" and report.title == "Refresh finished: failed"
    text = component_text(report)
    assert "chips: ok, 5 firms; CAAR day 0 −9.90%, CAAR [−1, +1] −9.46%" in text
    assert "broken: failed: no usable firm" in text
    assert lines[0] == "Updating prices, then 2 stud(ies)"
    assert lines[-1] == "Refreshed 2 of 2: chips ok, broken failed"
    assert len(list_runs(store, "chips")) == 3


def test_refresh_now_while_another_runs_is_inline(store: Path, config: ProjectConfig) -> None:
    settings = _settings(store)
    answers: list[Any] = []

    def again(run: RunRecord) -> None:
        answers.append(refresh_now(config, settings, lambda line: None, export=False))

    refresh(config, settings, studies=["chips"], export=False, on_run=again)
    (answer,) = answers
    assert answer.color == "yellow" and answer.title == "Refresh not started"
    assert "another refresh is running since 20" in component_text(answer)
    assert f"(pid {os.getpid()}); try again later" in component_text(answer)


def test_refresh_now_without_config_says_how_to_configure(store: Path) -> None:
    answer = refresh_now(None, _settings(store), lambda line: None)
    assert answer.title == "Nothing to refresh"
    assert runs_view.NO_CONFIG in component_text(answer)


# -- history and comparison ----------------------------------------------------------------------


def test_study_choices_list_config_studies_and_keep_the_pick(
    store: Path, config: ProjectConfig
) -> None:
    assert study_choices(store, config, None) == (["chips", "broken"], "chips")
    assert study_choices(store, config, "broken") == (["chips", "broken"], "broken")
    assert study_choices(store, None, "nope") == (["broken", "chips"], "broken")
    assert study_choices(store.parent / "empty", None, None) == ([], None)


def test_history_lists_runs_newest_first(store: Path, config: ProjectConfig) -> None:
    columns, rows, options, a, b = history(store, config, "chips")
    runs = list_runs(store, "chips")
    assert [r["run_id"] for r in rows] == runs["run_id"].tolist()
    assert (a, b) == (rows[1]["run_id"], rows[0]["run_id"])
    assert [o["value"] for o in options] == runs["run_id"].tolist()
    assert options[0]["label"].endswith(" UTC · ok")
    headers = [c["headerName"] for c in columns]
    assert headers[:5] == ["Started (UTC)", "Status", "Firms", "Excluded", "Prices to"]
    assert headers[5:7] == ["CAAR day 0", "CAAR [−1, +1]"]
    assert rows[0]["caar0"] == pytest.approx(runs["caar 0:0"].iloc[0])
    assert rows[0]["n_ok"] == 5 and rows[0]["data_end"] == "2025-01-28"
    json.dumps(rows)  # what the grid receives is plain JSON


def test_history_of_a_failing_study_has_nothing_to_compare(
    store: Path, config: ProjectConfig
) -> None:
    _, rows, options, a, b = history(store, config, "broken")
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert "no usable firm" in rows[0]["errors"]
    assert len(options) == 2 and (a, b) == (None, None)


@pytest.mark.parametrize("study", [None, "", "nope", "../..", "chips/../broken"])
def test_history_refuses_unknown_studies(store: Path, config: ProjectConfig, study: Any) -> None:
    assert history(store, config, study) == ([], [], [], None, None)
    assert comparison(store, config, study, "x", "y") == ([], [], None)


def test_comparison_of_two_runs_on_the_same_data(store: Path, config: ProjectConfig) -> None:
    _, _, _, a, b = history(store, config, "chips")
    columns, rows, note = comparison(store, config, "chips", a, b)
    assert note is None
    assert [c["headerName"] for c in columns][:3] == ["Window", "Firm", "Day 0"]
    assert [c["headerName"] for c in columns][3:] == ["Run A", "Run B", "Change (B − A)"]
    caar = [r for r in rows if r["caar"]]
    assert [r["window"] for r in caar] == ["day 0", "[−1, +1]"]
    assert [r["firm"] for r in rows[:6]] == ["All firms (CAAR)", "AMD", "AVGO", "MU", "NVDA", "TSM"]
    assert all(r["diff"] == pytest.approx(0.0) for r in rows)
    assert {r["day0"] for r in rows[1:6]} == {"2025-01-27"}
    json.dumps(rows)


def test_comparison_problems_are_inline(store: Path, config: ProjectConfig) -> None:
    a = history(store, config, "chips")[3]
    _, rows, note = comparison(store, config, "chips", a, a)
    assert rows and note is not None and "same run" in component_text(note)
    _, rows, note = comparison(store, config, "chips", a, None)
    assert rows == [] and "Pick two runs of chips to compare." in component_text(note)
    _, rows, note = comparison(store, config, "broken", None, None)
    assert rows == [] and "No run of broken has a result yet" in component_text(note)
    failed = history(store, config, "broken")[2][0]["value"]
    _, rows, note = comparison(store, config, "broken", failed, failed)
    assert rows == [] and "has no result (failed)" in component_text(note)
    _, rows, note = comparison(store, config, "chips", a, "20250101T000000000000Z-dead")
    assert rows == [] and "is not a saved run of 'chips'" in component_text(note)
