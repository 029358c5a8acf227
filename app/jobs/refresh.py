"""The refresh: bring prices up to date, re-run the saved studies, save and export the results.

One refresh runs at a time per store, across processes: :func:`refresh` holds the non-blocking
file lock ``<store>/.refresh.lock`` and raises :class:`RefreshBusyError` when another refresh
holds it. The lock's owner (pid and start time) is kept next to it in ``.refresh.owner.json``.

Steps, each logged on one INFO line:

1. watchlists: fetch what the store lacks of every watchlist ticker over the
   :data:`WATCHLIST_SESSIONS` sessions up to the last completed XNYS session;
2. per study: fetch the prices it needs and run it through the study service
   (:meth:`analytics.workspace.Workspace.run`: factors from the cache), export its
   charts to ``<export dir>/<study>/`` and save the run (:func:`app.jobs.archive.save_run`).
   A study that fails is recorded as ``failed`` and the others go on;
3. write ``results/last-refresh.json`` (:func:`app.jobs.archive.last_refresh`).

Every write is atomic (store files, chart files, run folders), so a refresh killed at any point
leaves the previous data intact; the next refresh removes its leftovers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

import pandas as pd
from filelock import FileLock, Timeout

from analytics import calendar
from analytics.atomic import write_atomic
from analytics.data.store import PriceStore
from analytics.data.sync import fetch
from analytics.errors import AftershockError, SpecError, StoreError
from analytics.study.engine import data_requirements
from analytics.study.result import StudyResult
from analytics.workspace import Workspace
from app.charts import figures
from app.charts.export import FigureExporter, export_figures
from app.config import ProjectConfig, SavedStudy
from app.jobs.archive import (
    RefreshRecord,
    RunRecord,
    RunStatus,
    clean_incomplete,
    new_run_id,
    save_refresh,
    save_run,
    worst_status,
)
from app.jobs.newswatch import NewsWatch, watch_news
from app.settings import Settings, open_workspace

__all__ = [
    "WATCHLIST_SESSIONS",
    "RefreshBusyError",
    "RefreshOwner",
    "RefreshReport",
    "last_completed_session",
    "refresh",
    "refresh_owner",
]

logger = logging.getLogger(__name__)

WATCHLIST_SESSIONS: Final = 300
"""Sessions of watchlist history kept current: a default study (estimation -250:-11) on any
recent day finds its prices stored."""

_LOCK: Final = ".refresh.lock"
_OWNER: Final = ".refresh.owner.json"
_NEW_YORK: Final = zoneinfo.ZoneInfo("America/New_York")
_CLOSE: Final = dt.time(16, 0)
# A second refresh started together with the first may look before the owner is written.
_OWNER_WAIT_S: Final = 2.0


@dataclass(frozen=True, kw_only=True)
class RefreshOwner:
    """The process holding a store's refresh lock."""

    pid: int
    started: dt.datetime


class RefreshBusyError(StoreError):
    """Another refresh of the same store is running (the CLI exits with code 3)."""

    def __init__(self, owner: RefreshOwner | None) -> None:
        since = (
            f" since {owner.started.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S} UTC (pid {owner.pid})"
            if owner is not None
            else ""
        )
        super().__init__(f"another refresh is running{since}; try again later")
        self.owner = owner


@dataclass(frozen=True, kw_only=True)
class RefreshReport:
    """What :func:`refresh` did.

    Attributes
    ----------
    record
        The refresh record also saved as ``results/last-refresh.json``.
    runs
        The record of each study's run, in the order they ran.
    """

    record: RefreshRecord
    runs: tuple[RunRecord, ...]
    news: tuple[str, ...] = ()
    """One line per feed read and per news-watch study added or updated
    (:mod:`app.jobs.newswatch`)."""

    @property
    def failed(self) -> tuple[RunRecord, ...]:
        """Runs that produced no result."""
        return tuple(run for run in self.runs if run.status == "failed")


def last_completed_session(now: dt.datetime) -> pd.Timestamp:
    """The last XNYS session whose 16:00 New York close is at or before ``now`` (aware)."""
    local = now.astimezone(_NEW_YORK)
    today = pd.Timestamp(local.date())
    if calendar.is_session(today) and local.time() >= _CLOSE:
        return today
    return calendar.previous_session(today)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refresh_owner(store_dir: Path | str) -> RefreshOwner | None:
    """The running refresh of a store (from its owner file), or None when none runs."""
    try:
        doc = json.loads((Path(store_dir) / _OWNER).read_bytes())
        owner = RefreshOwner(pid=int(doc["pid"]), started=dt.datetime.fromisoformat(doc["started"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return owner if _alive(owner.pid) else None


@contextlib.contextmanager
def _refresh_lock(store_dir: Path) -> Iterator[RefreshOwner]:
    """Hold the store's refresh lock without waiting; raise :class:`RefreshBusyError` if taken."""
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(store_dir / _LOCK)
        lock.acquire(timeout=0)
    except Timeout:
        deadline = time.monotonic() + _OWNER_WAIT_S
        owner = refresh_owner(store_dir)
        while owner is None and time.monotonic() < deadline:
            time.sleep(0.05)
            owner = refresh_owner(store_dir)
        raise RefreshBusyError(owner) from None
    except OSError as exc:
        raise StoreError(
            f"store {store_dir} is not writable ({exc.strerror or exc}); choose another "
            "directory with --store DIR or AFTERSHOCK_HOME"
        ) from exc
    owner = RefreshOwner(pid=os.getpid(), started=dt.datetime.now(dt.UTC))
    text = json.dumps({"pid": owner.pid, "started": owner.started.isoformat()}).encode()
    try:
        write_atomic(store_dir / _OWNER, lambda handle: handle.write(text))
        yield owner
    finally:
        (store_dir / _OWNER).unlink(missing_ok=True)
        lock.release()


def _message(exc: Exception, study: str) -> str:
    """The text recorded for a study's failure; unexpected errors also log their traceback."""
    if isinstance(exc, AftershockError):
        return str(exc)
    logger.exception("refresh %s: unexpected error", study)
    return f"{type(exc).__name__}: {exc}"


@dataclass
class _Job:
    """One refresh in progress: what every study run shares."""

    config: ProjectConfig
    settings: Settings
    workspace: Workspace
    export: bool
    exporters: contextlib.ExitStack
    exporter: FigureExporter | None = None

    @property
    def store(self) -> PriceStore:
        """The workspace's price store."""
        return cast(PriceStore, self.workspace.store)

    def update_watchlists(self, end: pd.Timestamp) -> list[str]:
        """Fetch missing watchlist prices up to ``end``; return the problems."""
        tickers = list(dict.fromkeys(t for ts in self.config.watchlists.values() for t in ts))
        if not tickers:
            return []
        start = calendar.offset(end, -WATCHLIST_SESSIONS)
        try:
            report = fetch(self.store, tickers, start, end, sources=self.workspace.sources)
        except AftershockError as exc:
            return [f"watchlists: {exc}"]
        problems = [f"watchlists: {error}" for error in report.errors]
        problems += [f"watchlists: no prices for {t}: {why}" for t, why in report.missing.items()]
        logger.info(
            "refresh: watchlists, %s tickers up to %s, %s rows written, %s problem(s)",
            len(tickers),
            end.date(),
            report.rows_written,
            len(problems),
        )
        return problems

    def run(self, saved: SavedStudy) -> RunRecord:
        """Fetch, compute, export and save one study; never raises for the study's own errors."""
        started = dt.datetime.now(dt.UTC)
        run_id = new_run_id(started)
        errors: list[str] = []
        try:
            fetched = self.workspace.ensure_prices(saved.spec)
            errors += [f"fetch: {error}" for error in fetched.errors]
            errors += [f"no prices for {t}: {why}" for t, why in sorted(fetched.missing.items())]
            result = self.workspace.run(saved.spec, fetch=False)
        # A batch job: one study's failure, even a bug, must not stop the others.
        except Exception as exc:
            message = _message(exc, saved.name)
            record = RunRecord(
                run_id=run_id,
                study=saved.name,
                started=started,
                finished=dt.datetime.now(dt.UTC),
                status="failed",
                errors=(*errors, message),
            )
            save_run(self.settings.store, record, None)
            return self._logged(record)
        exports: list[str] = []
        if self.export:
            try:
                exports = self._export(saved, result)
            except Exception as exc:
                errors.append(f"export: {_message(exc, saved.name)}")
        first, last = self._data_range(saved)
        status: RunStatus = "partial" if errors else "ok"
        record = RunRecord.from_result(
            result,
            run_id=run_id,
            study=saved.name,
            started=started,
            finished=dt.datetime.now(dt.UTC),
            status=status,
            errors=tuple(errors),
            data_start=first,
            data_end=last,
            exports=tuple(exports),
        )
        save_run(self.settings.store, record, result)
        return self._logged(record)

    def _logged(self, record: RunRecord) -> RunRecord:
        logger.info(
            "refresh %s: %s, run %s, %s firm(s) ok, %s excluded, %s error(s)",
            record.study,
            record.status,
            record.run_id,
            record.n_ok,
            record.n_excluded,
            len(record.errors),
        )
        return record

    def _data_range(self, saved: SavedStudy) -> tuple[dt.date | None, dt.date | None]:
        tickers, start, end = data_requirements(saved.spec, market_caps=self.workspace.market_caps)
        covered = self.store.coverage(tickers, start=start, end=end)
        first, last = covered["first"].min(), covered["last"].max()
        return (
            None if pd.isna(first) else pd.Timestamp(first).date(),
            None if pd.isna(last) else pd.Timestamp(last).date(),
        )

    def _export(self, saved: SavedStudy, result: StudyResult) -> list[str]:
        """Write every chart of every window (the price chart once); return the file names."""
        options = self.config.export
        folder = options.directory(self.settings.store)
        if self.exporter is None:
            self.exporter = self.exporters.enter_context(
                FigureExporter(browser_path=self.settings.browser_path)
            )
        written = export_figures(
            figures.study_figures(result, figures.load_inputs(self.workspace, result)),
            folder / saved.name,
            fmt=options.format,
            width=options.width,
            height=options.height,
            scale=options.scale,
            exporter=self.exporter,
        )
        return [path.relative_to(folder).as_posix() for path in written]


def refresh(
    config: ProjectConfig,
    settings: Settings,
    *,
    studies: Sequence[str] | None = None,
    export: bool = True,
    on_run: Callable[[RunRecord], None] | None = None,
    on_news: Callable[[NewsWatch], None] | None = None,
) -> RefreshReport:
    """Read the news feeds, update prices, re-run and save the selected studies, export their
    charts.

    A feed item that names a watchlist ticker adds a study to the config first
    (:mod:`app.jobs.newswatch`); with ``studies`` None it runs in this refresh.

    Parameters
    ----------
    config
        The project config.
    settings
        Store and sources.
    studies
        Names of the studies to refresh; None or empty for all.
    export
        Write the charts to the export folder.
    on_run
        Called with each run's record as soon as it is saved.
    on_news
        Called with what the news watch did (feeds read, studies added) before the runs.

    Raises
    ------
    RefreshBusyError
        When another refresh of the store is running.
    SpecError
        For an unknown study name, or when no price source is configured.
    StoreError
        When the store or the results folder cannot be written.
    """
    selected = config.select(studies)
    workspace = open_workspace(settings)
    if not workspace.sources:
        raise SpecError(
            "AFTERSHOCK_OFFLINE: is set and AFTERSHOCK_DATA is not, so no price source is left; "
            "point AFTERSHOCK_DATA at a data pack, or unset AFTERSHOCK_OFFLINE to use Yahoo"
        )
    started = dt.datetime.now(dt.UTC)
    with _refresh_lock(settings.store), contextlib.ExitStack() as exporters:
        clean_incomplete(settings.store)
        news = watch_news(
            config,
            news_dir=settings.news,
            reference=settings.reference,
            offline=settings.offline,
            available=workspace.available_tickers() if config.feeds else None,
        )
        config = news.config
        if on_news is not None:
            on_news(news)
        selected = config.select(studies)  # with the news-watch studies just added
        job = _Job(
            config=config,
            settings=settings,
            workspace=workspace,
            export=export,
            exporters=exporters,
        )
        problems = [*news.problems, *job.update_watchlists(last_completed_session(started))]
        runs: list[RunRecord] = []
        for saved in selected:
            runs.append(job.run(saved))
            if on_run is not None:
                on_run(runs[-1])
        statuses = [run.status for run in runs]
        record = RefreshRecord(
            started=started,
            finished=dt.datetime.now(dt.UTC),
            status=worst_status([*statuses, "partial"] if problems else statuses),
            runs={run.study: run.run_id for run in runs},
            errors=(*problems, *(f"{run.study}: {e}" for run in runs for e in run.errors)),
        )
        save_refresh(settings.store, record)
    logger.info(
        "refresh: %s, %s stud(ies) in %.1f s, %s failed",
        record.status,
        len(runs),
        (record.finished - record.started).total_seconds(),
        statuses.count("failed"),
    )
    return RefreshReport(record=record, runs=tuple(runs), news=news.lines)
