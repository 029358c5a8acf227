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

The records themselves live in :mod:`app.jobs.records`, the comparison of two runs in
:mod:`app.jobs.compare`; both are re-exported here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
from pathlib import Path
from typing import Any, Final, cast

import pandas as pd

from analytics.atomic import TEMP_PREFIX, fsync_dir, write_atomic
from analytics.errors import SpecError, StoreError
from analytics.study.result import StudyResult
from app.jobs.compare import compare_runs
from app.jobs.records import (
    RUN_STATUSES,
    RefreshRecord,
    RunRecord,
    RunStatus,
    SavedRun,
    new_run_id,
    worst_status,
)

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
