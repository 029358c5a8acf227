"""Saved study runs: every refresh's results, kept under ``<store>/results/``.

Layout::

    results/last-refresh.json           the record of the last finished refresh
    results/<study>/<run_id>/run.json   what happened (:class:`RunRecord`)
    results/<study>/<run_id>/result.json StudyResult.to_json() (absent for a failed run)
    results/<study>/<run_id>/frames/<name>.parquet  StudyResult.to_frames()

A run is written into ``results/<study>/.tmp-<run_id>/`` (each file fsynced), then renamed to
its final name in one step and the parent directory fsynced, as :mod:`analytics.data.store` commits
its manifest. A reader therefore sees a run completely or not at all, also after ``kill -9``;
readers skip ``.tmp-*`` directories and :func:`clean_incomplete` deletes them.

Run ids are UTC start times with a random suffix (``20250127T213000123456Z-1a2b``), so sorting
them sorts runs by time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import shutil
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

import pandas as pd

from analytics.atomic import TEMP_PREFIX, fsync_dir, write_atomic
from analytics.errors import SpecError, StoreError
from analytics.study.result import STATUS_OK, StudyResult

__all__ = [
    "RUN_STATUSES",
    "RefreshRecord",
    "RunRecord",
    "RunStatus",
    "SavedRun",
    "clean_incomplete",
    "compare_runs",
    "last_refresh",
    "list_runs",
    "load_run",
    "new_run_id",
    "results_dir",
    "save_refresh",
    "save_run",
    "worst_status",
]

logger = logging.getLogger(__name__)

RunStatus = Literal["ok", "partial", "failed"]
RUN_STATUSES: Final[tuple[RunStatus, ...]] = ("ok", "partial", "failed")
"""``ok``: computed without problems; ``partial``: computed, but some data, fetch or export
failed (see ``errors``); ``failed``: no result."""

_LAST_REFRESH: Final = "last-refresh.json"
_RUN_ID = re.compile(r"^\d{8}T\d{12}Z-[0-9a-f]{4}$")
_LIST_COLUMNS: Final = (
    "study",
    "run_id",
    "started",
    "finished",
    "status",
    "n_ok",
    "n_excluded",
    "data_start",
    "data_end",
    "errors",
)


def results_dir(store_dir: Path | str) -> Path:
    """The folder of saved runs of a store directory."""
    return Path(store_dir) / "results"


def new_run_id(started: dt.datetime) -> str:
    """A unique, time-sortable run id for a run started at ``started`` (an aware datetime)."""
    stamp = started.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{uuid.uuid4().hex[:4]}"


def worst_status(statuses: Iterable[RunStatus]) -> RunStatus:
    """The worst of ``statuses`` (``ok`` < ``partial`` < ``failed``); ``ok`` when empty."""
    return max(statuses, key=RUN_STATUSES.index, default="ok")


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def _day(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


@dataclass(frozen=True, kw_only=True)
class RunRecord:
    """What one run of a saved study did (``run.json``).

    Attributes
    ----------
    run_id, study
        The run and its study's name.
    started, finished
        UTC times.
    status
        One of :data:`RUN_STATUSES`.
    errors
        What went wrong, one message each.
    data_start, data_end
        First and last stored price date the study read (None when it did not run).
    n_ok, n_excluded
        Firm-events usable in at least one window, and excluded from all.
    caar
        Window key → CAAR (None where no firm was usable).
    exports
        Chart files written, relative to the export folder.
    """

    run_id: str
    study: str
    started: dt.datetime
    finished: dt.datetime
    status: RunStatus
    errors: tuple[str, ...] = ()
    data_start: dt.date | None = None
    data_end: dt.date | None = None
    n_ok: int = 0
    n_excluded: int = 0
    caar: Mapping[str, float | None] = field(default_factory=dict)
    exports: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values."""
        return {
            "run_id": self.run_id,
            "study": self.study,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "status": self.status,
            "errors": list(self.errors),
            "data_start": None if self.data_start is None else self.data_start.isoformat(),
            "data_end": None if self.data_end is None else self.data_end.isoformat(),
            "n_ok": self.n_ok,
            "n_excluded": self.n_excluded,
            "caar": dict(self.caar),
            "exports": list(self.exports),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RunRecord:
        """The inverse of :meth:`to_dict`."""
        return cls(
            run_id=str(doc["run_id"]),
            study=str(doc["study"]),
            started=_time(doc["started"]),
            finished=_time(doc["finished"]),
            status=cast(RunStatus, doc["status"]),
            errors=tuple(doc["errors"]),
            data_start=_day(doc["data_start"]),
            data_end=_day(doc["data_end"]),
            n_ok=int(doc["n_ok"]),
            n_excluded=int(doc["n_excluded"]),
            caar=dict(doc["caar"]),
            exports=tuple(doc["exports"]),
        )

    @classmethod
    def from_result(cls, result: StudyResult, **fields: Any) -> RunRecord:
        """A record with the counts and CAARs of ``result``; ``fields`` give the rest."""
        n_ok = sum(status == STATUS_OK for status in result.firm_status)
        aggregate = result.aggregate
        caar = {
            str(key): None if math.isnan(value) else float(value)
            for key, value in zip(aggregate["window"], aggregate["caar"], strict=True)
        }
        return cls(n_ok=n_ok, n_excluded=len(result.firm_status) - n_ok, caar=caar, **fields)


@dataclass(frozen=True, kw_only=True)
class SavedRun:
    """A run read back from disk.

    Attributes
    ----------
    record
        Its ``run.json``.
    path
        Its folder.
    frames
        The result's tidy frames by name (empty for a failed run).
    result_json
        The result as ``StudyResult.to_json()`` wrote it (None for a failed run).
    """

    record: RunRecord
    path: Path
    frames: Mapping[str, pd.DataFrame]
    result_json: str | None


@dataclass(frozen=True, kw_only=True)
class RefreshRecord:
    """What the last finished refresh did, for the dashboard (``last-refresh.json``).

    Attributes
    ----------
    started, finished
        UTC times.
    status
        The worst status of its runs, ``partial`` when only the watchlist update had errors.
    runs
        Study → run id, in the order they ran.
    errors
        Every problem, each prefixed with its study (or ``watchlists``).
    """

    started: dt.datetime
    finished: dt.datetime
    status: RunStatus
    runs: Mapping[str, str] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The record as plain JSON values."""
        return {
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "status": self.status,
            "runs": dict(self.runs),
            "errors": list(self.errors),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> RefreshRecord:
        """The inverse of :meth:`to_dict`."""
        return cls(
            started=_time(doc["started"]),
            finished=_time(doc["finished"]),
            status=cast(RunStatus, doc["status"]),
            runs=dict(doc["runs"]),
            errors=tuple(doc["errors"]),
        )


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    return cast(bytes, frame.to_parquet(index=False, compression="zstd"))


def save_run(store_dir: Path | str, record: RunRecord, result: StudyResult | None) -> Path:
    """Write a run atomically to ``results/<study>/<run_id>/`` and return that folder.

    Parameters
    ----------
    store_dir
        The store directory.
    record
        The run's record.
    result
        Its result, or None for a failed run.
    """
    study_dir = results_dir(store_dir) / record.study
    final = study_dir / record.run_id
    temp = study_dir / f"{TEMP_PREFIX}{record.run_id}"
    try:
        (temp / "frames").mkdir(parents=True)
        if result is not None:
            _write_synced(temp / "result.json", result.to_json().encode())
            for name, frame in result.to_frames().items():
                _write_synced(temp / "frames" / f"{name}.parquet", _parquet_bytes(frame))
        fsync_dir(temp / "frames")
        _write_synced(temp / "run.json", json.dumps(record.to_dict(), indent=1).encode())
        fsync_dir(temp)
        os.rename(temp, final)
        fsync_dir(study_dir)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        raise StoreError(
            f"results {study_dir}: cannot save run {record.run_id} ({exc.strerror or exc}); "
            "free disk space or fix permissions, then refresh again"
        ) from exc
    logger.info("saved run %s of %s (%s) to %s", record.run_id, record.study, record.status, final)
    return final


def save_refresh(store_dir: Path | str, record: RefreshRecord) -> Path:
    """Atomically replace ``results/last-refresh.json`` with ``record``."""
    folder = results_dir(store_dir)
    path = folder / _LAST_REFRESH
    text = json.dumps(record.to_dict(), indent=1).encode()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, lambda handle: handle.write(text))
        fsync_dir(folder)
    except OSError as exc:
        raise StoreError(
            f"results {folder}: cannot write {_LAST_REFRESH} ({exc.strerror or exc}); "
            "free disk space or fix permissions"
        ) from exc
    return path


def clean_incomplete(store_dir: Path | str) -> int:
    """Delete what interrupted writes left under ``results/``; return how many entries.

    Call it only while holding the refresh lock: it cannot tell a crashed writer's leftovers
    from a running writer's work.
    """
    folder = results_dir(store_dir)
    if not folder.is_dir():
        return 0
    stale = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
    stale += [
        p
        for study in folder.iterdir()
        if study.is_dir() and not study.name.startswith(TEMP_PREFIX)
        for p in study.iterdir()
        if p.name.startswith(TEMP_PREFIX)
    ]
    for path in stale:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    if stale:
        logger.info("results %s: removed %s leftover(s) of interrupted runs", folder, len(stale))
    return len(stale)


def _read_record(run_dir: Path) -> RunRecord:
    path = run_dir / "run.json"
    try:
        return RunRecord.from_dict(json.loads(path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"saved run {path} cannot be read ({exc!r}); it was changed outside Aftershock: "
            f"delete the folder {run_dir}"
        ) from exc


def _run_dirs(store_dir: Path | str, study: str | None) -> list[Path]:
    folder = results_dir(store_dir)
    studies = [folder / study] if study is not None else sorted(folder.glob("*"))
    return [
        run
        for study_dir in studies
        if study_dir.is_dir()
        for run in sorted(study_dir.iterdir())
        if _RUN_ID.match(run.name) and run.is_dir()
    ]


def list_runs(store_dir: Path | str, study: str | None = None) -> pd.DataFrame:
    """Saved runs, newest first: one row per run.

    Columns ``study, run_id, started, finished, status, n_ok, n_excluded, data_start,
    data_end, errors`` (messages joined by ``"; "``) and ``caar <window>`` for every window
    of the listed runs. Runs whose ``run.json`` cannot be read are skipped with a warning.
    """
    rows = []
    for run_dir in _run_dirs(store_dir, study):
        try:
            record = _read_record(run_dir)
        except StoreError as exc:
            logger.warning("%s", exc)
            continue
        row: dict[str, Any] = {
            **{key: getattr(record, key) for key in _LIST_COLUMNS},
            "errors": "; ".join(record.errors),
        }
        row.update({f"caar {key}": value for key, value in record.caar.items()})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=None if rows else list(_LIST_COLUMNS))
    if frame.empty:
        return frame
    for column in ("started", "finished"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    for column in ("data_start", "data_end"):
        frame[column] = pd.to_datetime(frame[column])
    caar = [c for c in frame.columns if c.startswith("caar ")]
    frame[caar] = frame[caar].astype("float64")
    return frame.sort_values(["started", "run_id"], ascending=False, ignore_index=True)


def load_run(store_dir: Path | str, study: str, run_id: str | None = None) -> SavedRun:
    """Read a saved run back; ``run_id`` None means the study's newest run.

    Raises
    ------
    SpecError
        When the study has no such run.
    StoreError
        When the run's files cannot be read.
    """
    runs = _run_dirs(store_dir, study)
    if run_id is None:
        if not runs:
            raise SpecError(
                f"study: {study!r} has no saved run under {results_dir(store_dir)}; "
                "run aftershock refresh first"
            )
        run_dir = runs[-1]
    else:
        run_dir = results_dir(store_dir) / study / run_id
        if run_dir not in runs:
            raise SpecError(
                f"run_id: {run_id!r} is not a saved run of {study!r}; "
                "list the runs with app.jobs.archive.list_runs"
            )
    record = _read_record(run_dir)
    frames: dict[str, pd.DataFrame] = {}
    result_json: str | None = None
    try:
        if (run_dir / "result.json").exists():
            result_json = (run_dir / "result.json").read_text(encoding="utf-8")
        for path in sorted((run_dir / "frames").glob("*.parquet")):
            frames[path.stem] = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"saved run {run_dir} cannot be read ({exc}); delete the folder and refresh again"
        ) from exc
    return SavedRun(record=record, path=run_dir, frames=frames, result_json=result_json)


def _values(run: SavedRun) -> pd.DataFrame:
    """CAAR per window and CAR per usable firm-event of a run (NaN where excluded)."""
    if "aggregate" not in run.frames:
        raise SpecError(
            f"run: {run.record.run_id} of {run.record.study} has no result "
            f"({run.record.status}); compare runs that computed one"
        )
    aggregate = run.frames["aggregate"]
    caar = pd.DataFrame(
        {
            "window": aggregate["window"].astype("str"),
            "measure": "caar",
            "ticker": "",
            "day0": pd.NaT,
            "value": aggregate["caar"].astype("float64"),
        }
    )
    windows = run.frames["windows"]
    day0 = run.frames["firms"].set_index("event_id")["day0"]
    car = pd.DataFrame(
        {
            "window": windows["window"].astype("str"),
            "measure": "car",
            "ticker": windows["ticker"].astype("str"),
            "day0": pd.to_datetime(windows["event_id"].map(day0)),
            "value": windows["car"].where(windows["status"] == STATUS_OK).astype("float64"),
        }
    )
    return pd.concat([caar, car], ignore_index=True)


def compare_runs(a: SavedRun, b: SavedRun) -> pd.DataFrame:
    """CAAR per window and CAR per firm-event in two runs, and how they differ.

    Returns
    -------
    pandas.DataFrame
        Columns ``window, measure`` (``caar`` or ``car``), ``ticker`` (empty for ``caar``),
        ``day0``, ``a``, ``b`` and ``diff`` (``b - a``); NaN where a run lacks the row or the
        firm-event was excluded. CAAR rows come first, then firms, in ``b``'s window order.
    """
    keys = ["window", "measure", "ticker", "day0"]
    left, right = _values(a), _values(b)
    merged = right.merge(left, on=keys, how="outer", suffixes=("_b", "_a"), sort=False)
    order = list(dict.fromkeys([*right["window"], *left["window"]]))
    merged["_w"] = merged["window"].map(order.index)
    merged["_m"] = (merged["measure"] == "car").astype("int64")
    merged = merged.sort_values(["_w", "_m", "ticker", "day0"], ignore_index=True)
    return pd.DataFrame(
        {
            **{key: merged[key] for key in keys},
            "a": merged["value_a"],
            "b": merged["value_b"],
            "diff": merged["value_b"] - merged["value_a"],
        }
    )


def last_refresh(store_dir: Path | str) -> RefreshRecord | None:
    """The record of the last finished refresh of a store, or None if none has finished."""
    path = results_dir(store_dir) / _LAST_REFRESH
    try:
        return RefreshRecord.from_dict(json.loads(path.read_bytes()))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(
            f"{path} cannot be read ({exc!r}); delete it: the next refresh writes a new one"
        ) from exc
