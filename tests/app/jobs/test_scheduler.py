"""The scheduler: crontab triggers in their zone, sessions-only skips, jobs that run the refresh.

Trigger logic is checked with fixed clocks (``get_next_fire_time``), never by sleeping.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
import zoneinfo
from pathlib import Path

import pandas as pd
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from filelock import FileLock

from analytics.errors import SpecError
from app.config import ProjectConfig, Schedule, load_config
from app.jobs.archive import last_refresh, list_runs
from app.jobs.scheduler import (
    MISFIRE_GRACE_S,
    next_runs,
    run_scheduled,
    should_run,
    start_scheduler,
)
from tests.app.jobs.test_refresh import settings_for, write_config
from tests.support import REPO

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
EXAMPLE = REPO / "examples" / "aftershock.toml"
SCHEDULES = """
[[schedules]]
name = "close"
cron = "30 16 * * 1-5"
studies = ["chips"]

[[schedules]]
name = "tokyo-morning"
cron = "0 6 * * *"
timezone = "Asia/Tokyo"
sessions_only = false
"""


def ny(text: str) -> dt.datetime:
    return pd.Timestamp(text).tz_localize(NEW_YORK).to_pydatetime()


@pytest.fixture
def config(tmp_path: Path) -> ProjectConfig:
    path = write_config(tmp_path)
    path.write_text(path.read_text() + SCHEDULES)
    return load_config(path)


def test_example_fires_after_the_close_on_weekdays() -> None:
    trigger = load_config(EXAMPLE).schedules[0].trigger()
    fire = trigger.get_next_fire_time(None, ny("2025-01-24 16:31"))  # a Friday, after the run
    assert fire == ny("2025-01-27 16:30")
    assert fire is not None and fire.utcoffset() == dt.timedelta(hours=-5)
    summer = trigger.get_next_fire_time(None, ny("2025-07-01 12:00"))
    assert summer == ny("2025-07-01 16:30")
    assert summer is not None and summer.astimezone(dt.UTC).hour == 20  # EDT


@pytest.mark.parametrize(
    ("when", "runs"),
    [
        (ny("2025-01-08 16:30"), True),
        (ny("2025-01-09 16:30"), False),  # national day of mourning for President Carter
        (ny("2025-07-04 16:30"), False),  # Independence Day
        (ny("2025-01-25 16:30"), False),  # Saturday
        # 16:30 in New York is already the next day in UTC: the local date decides.
        (ny("2025-01-24 21:00"), True),
    ],
)
def test_sessions_only_checks_the_local_date(when: dt.datetime, runs: bool) -> None:
    schedule = load_config(EXAMPLE).schedules[0]
    assert should_run(schedule, when) is runs
    assert should_run(schedule, when.astimezone(dt.UTC)) is runs
    assert should_run(dataclasses.replace(schedule, sessions_only=False), when)


def test_sessions_only_in_another_zone() -> None:
    schedule = Schedule(name="tokyo", cron="0 6 * * *", timezone=TOKYO)
    # Friday 17:00 in New York is Saturday 07:00 in Tokyo: not a session there.
    assert not should_run(schedule, ny("2025-01-24 17:00"))
    assert should_run(schedule, ny("2025-01-26 17:00"))  # Monday 07:00 in Tokyo


def test_next_runs_skip_holidays(config: ProjectConfig) -> None:
    table = next_runs(config, now=ny("2025-01-08 17:00"))
    assert table.columns.tolist() == ["schedule", "cron", "timezone", "next_run", "studies"]
    close, tokyo = table.to_dict("records")
    assert close["next_run"] == pd.Timestamp("2025-01-10 16:30", tz=NEW_YORK)
    assert close["studies"] == "chips" and close["timezone"] == "America/New_York"
    # 17:00 in New York is 07:00 the next day in Tokyo: the next 06:00 there is on the 10th.
    assert tokyo["next_run"] == pd.Timestamp("2025-01-10 06:00", tz=TOKYO)
    assert tokyo["studies"] == "all"
    july = next_runs(config, now=ny("2025-07-03 17:00")).loc[0, "next_run"]
    assert july == pd.Timestamp("2025-07-07 16:30", tz=NEW_YORK)


def test_a_schedule_that_never_meets_a_session(tmp_path: Path) -> None:
    path = write_config(tmp_path)
    path.write_text(path.read_text() + '[[schedules]]\nname = "xmas"\ncron = "0 12 25 12 *"\n')
    assert next_runs(load_config(path), now=ny("2025-01-01 00:00"))["next_run"].isna().all()


def test_a_holiday_is_skipped_without_refreshing(
    config: ProjectConfig, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.jobs.scheduler"):
        assert run_scheduled(config, settings_for(store), config.schedules[0],
                             now=ny("2025-01-09 16:30")) is None  # fmt: skip
    assert "scheduled refresh close skipped: 2025-01-09 is not an XNYS session" in caplog.text
    assert last_refresh(store) is None and list_runs(store).empty


@pytest.mark.slow
def test_a_session_day_runs_the_schedules_studies(config: ProjectConfig, store: Path) -> None:
    report = run_scheduled(config, settings_for(store), config.schedules[0],
                           now=ny("2025-01-08 16:30"))  # fmt: skip
    assert report is not None
    assert [run.study for run in report.runs] == ["chips"]
    assert last_refresh(store) == report.record


def test_a_busy_store_is_skipped(
    config: ProjectConfig, store: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        FileLock(store / ".refresh.lock"),
        caplog.at_level(logging.INFO, logger="app.jobs.scheduler"),
    ):
        assert run_scheduled(config, settings_for(store), config.schedules[1]) is None
    assert "scheduled refresh tokyo-morning skipped: another refresh is running" in caplog.text
    assert list_runs(store).empty


def test_start_scheduler_needs_schedules(tmp_path: Path, store: Path) -> None:
    with pytest.raises(SpecError, match=r"schedules: none defined; add a \[\[schedules\]\]"):
        start_scheduler(load_config(write_config(tmp_path)), settings_for(store))


@pytest.mark.slow
def test_started_scheduler_runs_the_refresh(config: ProjectConfig, store: Path) -> None:
    scheduler = start_scheduler(config, settings_for(store))
    events: list[JobExecutionEvent] = []
    done = threading.Event()

    def listen(event: JobExecutionEvent) -> None:
        events.append(event)
        done.set()

    try:
        scheduler.add_listener(listen, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"close", "tokyo-morning"}
        for job in jobs.values():
            assert (job.max_instances, job.coalesce) == (1, True)
            assert job.misfire_grace_time == MISFIRE_GRACE_S
            assert job.next_run_time is not None
        assert jobs["close"].trigger.timezone == NEW_YORK
        assert jobs["tokyo-morning"].trigger.timezone == TOKYO
        # Fire the session-independent job now instead of waiting for 06:00 in Tokyo.
        scheduler.modify_job("tokyo-morning", next_run_time=dt.datetime.now(TOKYO))
        assert done.wait(timeout=240)
    finally:
        scheduler.shutdown(wait=True)
    (event,) = events
    assert event.code == EVENT_JOB_EXECUTED and event.job_id == "tokyo-morning"
    assert event.retval is not None
    record = last_refresh(store)
    assert record is not None and set(record.runs) == {"chips", "broken"}
    assert record.status == "failed"  # "broken" has no usable firm
