"""The validated project config: :class:`ProjectConfig` and its parts (saved studies,
schedules, export settings)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from apscheduler.triggers.cron import CronTrigger

from analytics.errors import SpecError
from analytics.study.options import StudyOptions, suggest
from analytics.study.spec import StudySpec
from app.config.cron import aps_crontab

if TYPE_CHECKING:
    from app.charts.export import ImageFormat

__all__ = [
    "DEFAULT_CONFIG",
    "ExportConfig",
    "Feed",
    "ProjectConfig",
    "SavedStudy",
    "Schedule",
    "find_config",
]

DEFAULT_CONFIG: Final = "aftershock.toml"
"""Name of the config file looked up in the working directory."""


@dataclass(frozen=True, kw_only=True)
class SavedStudy:
    """A named study of the config file.

    Attributes
    ----------
    name
        Lower-case slug, unique in the file; names its results and chart folders.
    spec
        The validated specification (placebo draws seeded with the fixed default seed, so re-runs
        on unchanged data reproduce the same numbers).
    watchlist
        The watchlist its tickers come from, if any.
    options
        The validated study options the spec was built from.
    """

    name: str
    spec: StudySpec
    watchlist: str | None = None
    options: StudyOptions | None = None


@dataclass(frozen=True, kw_only=True)
class Schedule:
    """When to refresh which studies.

    Attributes
    ----------
    name
        Unique slug; the scheduler's job id.
    cron
        The five crontab fields as written in the file.
    timezone
        Zone of the cron fields (and of the session check).
    sessions_only
        Skip fire times whose local date is not an XNYS session.
    studies
        Names of the studies to refresh (all studies of the file when the key is absent).
    """

    name: str
    cron: str
    timezone: zoneinfo.ZoneInfo
    sessions_only: bool = True
    studies: tuple[str, ...] = ()

    def trigger(self) -> CronTrigger:
        """The APScheduler trigger of :attr:`cron` in :attr:`timezone`."""
        return CronTrigger.from_crontab(aps_crontab(self.cron), timezone=self.timezone)


@dataclass(frozen=True, kw_only=True)
class Feed:
    """A news feed (RSS or Atom) that ``refresh`` reads into the news folder.

    Attributes
    ----------
    name
        Unique slug; names the feed in the index entries and messages.
    url
        Its ``http(s)://`` address.
    """

    name: str
    url: str


@dataclass(frozen=True, kw_only=True)
class ExportConfig:
    """Where and how a refresh writes its charts.

    Attributes
    ----------
    dir
        The export folder; None for ``<store>/exports``.
    format, width, height, scale
        Image format and size in CSS pixels (a PNG is ``width·scale`` pixels wide).
    """

    dir: Path | None = None
    format: ImageFormat = "png"
    width: int = 1200
    height: int = 700
    scale: float = 2.0

    def directory(self, store: Path) -> Path:
        """The export folder for a store directory."""
        return self.dir if self.dir is not None else store / "exports"


@dataclass(frozen=True, kw_only=True)
class ProjectConfig:
    """A validated project config (see the module docstring).

    Attributes
    ----------
    path
        The file it was read from.
    watchlists
        Name → upper-case tickers.
    studies, schedules
        In file order.
    export
        Chart export settings.
    feeds
        News feeds, in file order.
    """

    path: Path
    watchlists: Mapping[str, tuple[str, ...]]
    studies: tuple[SavedStudy, ...]
    schedules: tuple[Schedule, ...]
    export: ExportConfig
    feeds: tuple[Feed, ...] = ()

    def study(self, name: str) -> SavedStudy:
        """The study called ``name``; a :class:`SpecError` with a suggestion if there is none."""
        for study in self.studies:
            if study.name == name:
                return study
        known = [s.name for s in self.studies]
        raise SpecError(
            f"--study: {name!r} is not a study of {self.path}{suggest(name, known)}; "
            f"choose one of {', '.join(known) or '(none: add a [[studies]] table)'}"
        )

    def select(self, names: Sequence[str] | None) -> tuple[SavedStudy, ...]:
        """The studies called ``names`` in that order, or every study for None (or empty)."""
        if not names:
            return self.studies
        return tuple(self.study(name) for name in dict.fromkeys(names))


def find_config(path: Path | None) -> Path:
    """The config file to read: ``path`` if given, else ``aftershock.toml`` in the working dir."""
    return path if path is not None else Path.cwd() / DEFAULT_CONFIG
