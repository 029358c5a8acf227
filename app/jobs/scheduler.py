"""Scheduled refresh inside a long-running process (``aftershock serve --schedule``).

:func:`start_scheduler` starts an APScheduler 3 ``BackgroundScheduler`` with one cron job per
``[[schedules]]`` table of the config. Each job calls :func:`run_scheduled`, which calls the same
:func:`app.jobs.refresh.refresh` as ``aftershock refresh``; the refresh lock keeps it from
overlapping
a refresh started by cron or by hand (the job then logs that it skipped). Jobs never overlap
themselves (``max_instances=1``), and runs missed while the process slept are merged into one
(``coalesce``) if it wakes within :data:`MISFIRE_GRACE_S`.

>>> scheduler = start_scheduler(load_config("aftershock.toml"), load_settings())  # doctest: +SKIP
>>> next_runs(config)  # doctest: +SKIP
>>> scheduler.shutdown()  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from typing import Final

import pandas as pd
from apscheduler.schedulers.background import BackgroundScheduler

from analytics import calendar
from analytics.errors import AftershockError, SpecError
from app.config import ProjectConfig, Schedule
from app.jobs.refresh import RefreshBusyError, RefreshReport, refresh
from app.settings import Settings

__all__ = ["MISFIRE_GRACE_S", "next_runs", "run_scheduled", "should_run", "start_scheduler"]

logger = logging.getLogger(__name__)

MISFIRE_GRACE_S: Final = 3600
"""A run missed (machine asleep, process busy) still starts if this many seconds late."""

# Fire times looked at to find the next one on a session (a year of daily fire times).
_MAX_FIRES: Final = 400


def should_run(schedule: Schedule, when: dt.datetime) -> bool:
    """Whether a fire time at ``when`` (aware) refreshes: always, or with ``sessions_only``
    only when its local date in the schedule's zone is an XNYS session."""
    return not schedule.sessions_only or bool(
        calendar.is_session(when.astimezone(schedule.timezone).date())
    )


def run_scheduled(
    config: ProjectConfig,
    settings: Settings,
    schedule: Schedule,
    *,
    now: dt.datetime | None = None,
) -> RefreshReport | None:
    """The job of one schedule: refresh its studies unless the day or the lock says skip.

    Parameters
    ----------
    config, settings
        What to refresh, and where.
    schedule
        The schedule that fired.
    now
        The fire time (default: now); decides the session check.

    Returns
    -------
    RefreshReport or None
        None when skipped (not a session, or another refresh running) or when the refresh
        could not start; the reason is logged.
    """
    when = now if now is not None else dt.datetime.now(schedule.timezone)
    local_day = when.astimezone(schedule.timezone).date()
    if not should_run(schedule, when):
        logger.info(
            "scheduled refresh %s skipped: %s is not an XNYS session", schedule.name, local_day
        )
        return None
    try:
        return refresh(config, settings, studies=schedule.studies)
    except RefreshBusyError as exc:
        logger.info("scheduled refresh %s skipped: %s", schedule.name, exc)
    except AftershockError as exc:
        logger.error("scheduled refresh %s could not run: %s", schedule.name, exc)
    return None


def start_scheduler(
    config: ProjectConfig, settings: Settings, *, misfire_grace_time: int = MISFIRE_GRACE_S
) -> BackgroundScheduler:
    """Start a background scheduler running every schedule of ``config``; return it running.

    Stop it with ``scheduler.shutdown()``.

    Raises
    ------
    SpecError
        When the config has no ``[[schedules]]``.
    """
    if not config.schedules:
        raise SpecError(
            f"{config.path}: schedules: none defined; add a [[schedules]] table with a name "
            'and cron = "30 16 * * 1-5"'
        )
    scheduler = BackgroundScheduler(timezone=zoneinfo.ZoneInfo("UTC"), daemon=True)
    for schedule in config.schedules:
        scheduler.add_job(
            run_scheduled,
            trigger=schedule.trigger(),
            args=(config, settings, schedule),
            id=schedule.name,
            name=f"refresh {schedule.name}",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=misfire_grace_time,
        )
    scheduler.start()
    logger.info(
        "scheduler started: %s",
        ", ".join(f"{s.name} ({s.cron} {s.timezone.key})" for s in config.schedules),
    )
    return scheduler


def _next_run(schedule: Schedule, now: dt.datetime) -> dt.datetime | None:
    trigger = schedule.trigger()
    fire = trigger.get_next_fire_time(None, now)
    for _ in range(_MAX_FIRES):
        if fire is None or fire.date() > calendar.LAST_DATE.date():
            return None
        if should_run(schedule, fire):
            return fire
        fire = trigger.get_next_fire_time(fire, fire + dt.timedelta(microseconds=1))
    return None


def next_runs(config: ProjectConfig, *, now: dt.datetime | None = None) -> pd.DataFrame:
    """When each schedule refreshes next (non-session days skipped when ``sessions_only``).

    Parameters
    ----------
    config
        The project config.
    now
        Aware time to look from (default: now).

    Returns
    -------
    pandas.DataFrame
        One row per schedule: ``schedule, cron, timezone, next_run`` (an aware Timestamp in the
        schedule's zone; NaT if none of its next 400 fire times falls on a session the
        calendar knows) and
        ``studies`` (names joined by ``", "``, or ``"all"``).
    """
    start = now if now is not None else dt.datetime.now(dt.UTC)
    fires = [_next_run(s, start) for s in config.schedules]
    return pd.DataFrame(
        {
            "schedule": [s.name for s in config.schedules],
            "cron": [s.cron for s in config.schedules],
            "timezone": [s.timezone.key for s in config.schedules],
            "next_run": pd.Series(
                [pd.Timestamp(fire) if fire else pd.NaT for fire in fires], dtype=object
            ),
            "studies": [", ".join(s.studies) or "all" for s in config.schedules],
        },
        columns=["schedule", "cron", "timezone", "next_run", "studies"],
    )
