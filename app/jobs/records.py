"""What a saved run and a refresh record hold (``run.json``, ``last-refresh.json``), their
statuses and run ids."""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

import pandas as pd

from analytics.study.result import STATUS_OK, StudyResult

__all__ = [
    "RUN_STATUSES",
    "RefreshRecord",
    "RunRecord",
    "RunStatus",
    "SavedRun",
    "new_run_id",
    "worst_status",
]

RunStatus = Literal["ok", "partial", "failed"]
RUN_STATUSES: Final[tuple[RunStatus, ...]] = ("ok", "partial", "failed")
"""``ok``: computed without problems; ``partial``: computed, but some data, fetch or export
failed (see ``errors``); ``failed``: no result."""


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
