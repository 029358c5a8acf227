"""The project config file (TOML): watchlists, saved studies, refresh schedules and PNG export.

The file is ``aftershock.toml`` in the working directory unless ``--config FILE`` (or
``AFTERSHOCK_CONFIG``) names another; see ``examples/aftershock.toml``. :func:`load_config`
parses and validates it once; every problem raises a :class:`~analytics.errors.ConfigError` naming
the file, the key, the bad value and the fix. Sections:

``[watchlists]``
    ``name = ["NVDA", ...]``: tickers a refresh keeps current up to the last completed session.
``[[studies]]``
    ``name`` (lower-case slug, unique; also the folder of its results and charts), ``tickers`` or
    ``watchlist``, ``event_date``, and optionally any other option of
    :class:`~analytics.study.options.StudyOptions` (``timing``, ``benchmark``, ``model``,
    ``estimation`` (``"-250:-11"``), ``windows`` (``["0:0", "-1:1"]``), ``returns``,
    ``min_estimation``, ``placebo``, ``seed``, ``spike_screen``, ...), validated by that model and
    with its defaults (those of ``aftershock study``).
``[[schedules]]``
    ``name``, ``cron`` (five crontab fields, e.g. ``"30 16 * * 1-5"``), ``timezone`` (default
    ``America/New_York``), ``sessions_only`` (default true: skip days that are not XNYS sessions
    in that zone) and ``studies`` (names; default: all).
``[export]``
    ``dir`` (default ``<store>/exports``; relative to the config file), ``format`` (png | svg),
    ``width``, ``height``, ``scale``.

Cron fields follow crontab(5) (day of week 0 or 7 = Sunday), not APScheduler's own numbering
(0 = Monday); restricting both the day of month and the day of week is refused, because crontab
fires when either matches and APScheduler only when both do.

>>> config = load_config("examples/aftershock.toml")  # doctest: +SKIP
>>> config.study("deepseek-chips").spec.window_keys  # doctest: +SKIP
('0:0', '-1:1', '-5:5')
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from apscheduler.triggers.cron import CronTrigger
from pydantic import ValidationError

from analytics.errors import ConfigError, SpecError
from analytics.study.options import StudyOptions, option_error, suggest
from analytics.study.spec import StudySpec
from analytics.tickers import ticker

if TYPE_CHECKING:
    from app.charts.export import ImageFormat

__all__ = [
    "DEFAULT_CONFIG",
    "ExportConfig",
    "ProjectConfig",
    "SavedStudy",
    "Schedule",
    "find_config",
    "load_config",
]

DEFAULT_CONFIG: Final = "aftershock.toml"
_MAX_CONFIG_BYTES: Final = 2**20
"""Name of the config file looked up in the working directory."""

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# In crontab order (0 = Sunday); APScheduler reads these names right but numbers from Monday.
_DAY_NAMES: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_TOP_KEYS: Final = ("export", "schedules", "studies", "watchlists")
_CLI_ONLY: Final = frozenset({"universe_file", "factors"})
_STUDY_KEYS: Final = tuple(sorted({"name", "watchlist", *StudyOptions.model_fields} - _CLI_ONLY))
_SCHEDULE_KEYS: Final = ("cron", "name", "sessions_only", "studies", "timezone")
_EXPORT_KEYS: Final = ("dir", "format", "height", "scale", "width")


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
        return CronTrigger.from_crontab(_aps_crontab(self.cron), timezone=self.timezone)


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
    """

    path: Path
    watchlists: Mapping[str, tuple[str, ...]]
    studies: tuple[SavedStudy, ...]
    schedules: tuple[Schedule, ...]
    export: ExportConfig

    def study(self, name: str) -> SavedStudy:
        """The study called ``name``; a :class:`SpecError` with a suggestion if there is none."""
        for study in self.studies:
            if study.name == name:
                return study
        known = [s.name for s in self.studies]
        raise SpecError(
            f"--study: {name!r} is not a study of {self.path}{_suggest(name, known)}; "
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


@dataclass(frozen=True)
class _Context:
    """The file being read: builds errors that name it, and checks keys and types."""

    path: Path

    def error(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def keys(self, table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.error(
                    f"{where}.{key}" if where else key,
                    f"unknown key{_suggest(key, allowed)}; allowed keys are {', '.join(allowed)}",
                )

    def typed(self, value: Any, kind: type | tuple[type, ...], where: str, example: str) -> Any:
        # bool is an int in Python, but `placebo = true` is a mistake in a config file.
        wrong_bool = isinstance(value, bool) and bool not in _as_tuple(kind)
        if wrong_bool or not isinstance(value, kind):
            raise self.error(
                where, f"{_toml(value)} is a {_toml_type(value)}; write it like {example}"
            )
        return value

    def slug(self, value: Any, where: str) -> str:
        text = self.typed(value, str, where, '"deepseek-chips"')
        if not _SLUG.match(text):
            raise self.error(
                where,
                f"{_toml(text)} is not a valid name; use lower-case letters, digits, '-' and "
                "'_' (at most 64, starting with a letter or digit), e.g. \"deepseek-chips\"",
            )
        return text

    def strings(self, value: Any, where: str, example: str) -> list[str]:
        items = self.typed(value, list, where, example)
        for i, item in enumerate(items):
            self.typed(item, str, f"{where}[{i}]", example)
        return cast(list[str], items)


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


_suggest = suggest


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _toml_type(value: Any) -> str:
    names: dict[type, str] = {
        bool: "boolean",
        int: "integer",
        float: "float",
        str: "string",
        list: "array",
        dict: "table",
        dt.date: "date",
        dt.datetime: "date-time",
        dt.time: "time",
    }
    return names.get(type(value), type(value).__name__)


def _dow_numbers(part: str, expr: str, error: Callable[[str], SpecError]) -> set[int]:
    """Crontab days of week (0 = Sunday) of one comma-separated item of the fifth field."""

    def day(token: str) -> int:
        token = token.lower()
        if token in _DAY_NAMES:
            return _DAY_NAMES.index(token)
        if token.isdigit() and 0 <= int(token) <= 7:
            return int(token)
        raise error(f'{expr!r}: day of week {token!r} is not 0-7 or sun..sat; e.g. "30 16 * * 1-5"')

    body, _, step_text = part.partition("/")
    if step_text and not (step_text.isdigit() and int(step_text) > 0):
        raise error(f"{expr!r}: step {step_text!r} must be a positive whole number")
    if body == "*":
        first, last = 0, 6
    elif "-" in body:
        lo, _, hi = body.partition("-")
        first, last = day(lo), day(hi)
        if first > last:
            raise error(f"{expr!r}: range {body!r} is reversed; write it low-high, e.g. 1-5")
    else:
        first = last = day(body)
    step = int(step_text) if step_text else 1
    return {d % 7 for d in range(first, last + 1, step)}


def _aps_crontab(expr: str, error: Callable[[str], SpecError] | None = None) -> str:
    """Rewrite the day-of-week field of a crontab(5) expression as APScheduler day names."""
    fail = error or (lambda problem: SpecError(f"cron: {problem}"))
    fields = expr.split()
    if len(fields) != 5:
        raise fail(
            f"{expr!r} has {len(fields)} fields; give minute hour day month weekday, "
            'e.g. "30 16 * * 1-5"'
        )
    day_of_month, dow = fields[2], fields[4]
    if dow == "*":
        return expr
    if day_of_month != "*":
        raise fail(
            f"{expr!r} restricts both the day of month and the day of week; restrict only one "
            "(crontab and APScheduler disagree on combining them)"
        )
    days: set[int] = set()
    for part in dow.split(","):
        days |= _dow_numbers(part, expr, fail)
    fields[4] = ",".join(_DAY_NAMES[d] for d in sorted(days))
    return " ".join(fields)


def _watchlists(ctx: _Context, raw: Any) -> dict[str, tuple[str, ...]]:
    table = ctx.typed(raw, dict, "watchlists", '[watchlists] followed by ai = ["NVDA", "AMD"]')
    lists: dict[str, tuple[str, ...]] = {}
    for name, value in table.items():
        where = f"watchlists.{name}"
        ctx.slug(name, f"watchlists: name {_toml(name)}")
        items = ctx.strings(value, where, '["NVDA", "AMD"]')
        try:
            tickers = [ticker(item, name="tickers") for item in items]
        except SpecError as exc:
            raise ctx.error(where, _problem(exc)) from None
        if not tickers:
            raise ctx.error(where, '[] lists no ticker; add some, e.g. ["NVDA", "AMD"]')
        repeated = sorted({t for t in tickers if tickers.count(t) > 1})
        if repeated:
            raise ctx.error(where, f"{', '.join(repeated)} listed more than once; list each once")
        lists[name] = tuple(tickers)
    return lists


def _study(
    ctx: _Context, raw: Any, index: int, watchlists: Mapping[str, tuple[str, ...]]
) -> SavedStudy:
    where = f"studies[{index}]"
    table = ctx.typed(raw, dict, where, '[[studies]] with name = "..."')
    if "name" not in table:
        raise ctx.error(where, 'has no name; add name = "deepseek-chips"')
    name = ctx.slug(table["name"], f"{where}.name")
    where = f"studies[{index}] ({name})"
    ctx.keys(table, _STUDY_KEYS, where)
    watchlist: str | None = None
    if ("tickers" in table) == ("watchlist" in table):
        raise ctx.error(
            where,
            'give either tickers = ["NVDA", ...] or watchlist = "<name>" (exactly one of them)',
        )
    if "watchlist" in table:
        watchlist = cast(str, ctx.typed(table["watchlist"], str, f"{where}.watchlist", '"ai"'))
        if watchlist not in watchlists:
            raise ctx.error(
                f"{where}.watchlist",
                f"{_toml(watchlist)} is not defined{_suggest(watchlist, list(watchlists))}; "
                f"add it under [watchlists] or use one of {', '.join(watchlists) or '(none)'}",
            )
        tickers: object = list(watchlists[watchlist])
    else:
        tickers = table["tickers"]
    if "event_date" not in table:
        raise ctx.error(where, "has no event_date; add event_date = 2025-01-27")
    given = {k: v for k, v in table.items() if k not in ("name", "watchlist")}
    try:
        options = StudyOptions.from_typed({**given, "tickers": tickers})
    except ValidationError as exc:
        error = option_error(exc, show=_toml, kind=_toml_type)
        raise ctx.error(_at(where, error), _problem(error)) from None
    try:
        spec = StudySpec.from_options(options)
    except SpecError as exc:
        raise ctx.error(_at(where, exc), _problem(exc)) from exc
    return SavedStudy(name=name, spec=spec, watchlist=watchlist, options=options)


def _at(where: str, error: SpecError) -> str:
    """``where.parameter`` of an error whose message starts with its parameter name."""
    head, sep, _ = str(error).partition(": ")
    return f"{where}.{head}" if sep and head.replace("_", "").isalpha() else where


def _problem(error: SpecError) -> str:
    head, sep, rest = str(error).partition(": ")
    return rest if sep and head.replace("_", "").isalpha() else str(error)


def _schedule(ctx: _Context, raw: Any, index: int, studies: Sequence[str]) -> Schedule:
    where = f"schedules[{index}]"
    table = ctx.typed(raw, dict, where, '[[schedules]] with name = "..."')
    for key in ("name", "cron"):
        if key not in table:
            example = '"after-close"' if key == "name" else '"30 16 * * 1-5"'
            raise ctx.error(where, f"has no {key}; add {key} = {example}")
    name = ctx.slug(table["name"], f"{where}.name")
    where = f"schedules[{index}] ({name})"
    ctx.keys(table, _SCHEDULE_KEYS, where)
    cron = ctx.typed(table["cron"], str, f"{where}.cron", '"30 16 * * 1-5"')
    zone_name = ctx.typed(
        table.get("timezone", "America/New_York"), str, f"{where}.timezone", '"America/New_York"'
    )
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ctx.error(
            f"{where}.timezone",
            f'{_toml(zone_name)} is not an IANA time zone; use e.g. "America/New_York"',
        ) from exc
    sessions_only = ctx.typed(
        table.get("sessions_only", True), bool, f"{where}.sessions_only", "true"
    )
    selected: tuple[str, ...] = ()
    if "studies" in table:
        names = ctx.strings(table["studies"], f"{where}.studies", '["deepseek-chips"]')
        if not names:
            raise ctx.error(
                f"{where}.studies", "[] selects nothing; remove the key to refresh every study"
            )
        for name_ in names:
            if name_ not in studies:
                raise ctx.error(
                    f"{where}.studies",
                    f"{_toml(name_)} is not a study{_suggest(name_, studies)}; "
                    f"use one of {', '.join(studies) or '(none: add a [[studies]] table)'}",
                )
        selected = tuple(dict.fromkeys(names))

    def cron_error(problem: str) -> SpecError:
        return ctx.error(f"{where}.cron", problem)

    schedule = Schedule(
        name=name, cron=cron, timezone=zone, sessions_only=sessions_only, studies=selected
    )
    try:
        CronTrigger.from_crontab(_aps_crontab(cron, cron_error), timezone=zone)
    except ValueError as exc:
        if isinstance(exc, SpecError):
            raise
        raise cron_error(
            f"{_toml(cron)} is not a valid crontab expression ({exc}); "
            'give minute hour day month weekday, e.g. "30 16 * * 1-5"'
        ) from exc
    return schedule


def _export(ctx: _Context, raw: Any) -> ExportConfig:
    table = ctx.typed(raw, dict, "export", '[export] followed by format = "png"')
    ctx.keys(table, _EXPORT_KEYS, "export")
    directory: Path | None = None
    if "dir" in table:
        text = ctx.typed(table["dir"], str, "export.dir", '"charts"')
        directory = (ctx.path.parent / Path(text).expanduser()).absolute()
    fmt = ctx.typed(table.get("format", "png"), str, "export.format", '"png"')
    if fmt not in ("png", "svg"):
        raise ctx.error("export.format", f'{_toml(fmt)} is not supported; use "png" or "svg"')
    width = ctx.typed(table.get("width", 1200), int, "export.width", "1200")
    height = ctx.typed(table.get("height", 700), int, "export.height", "700")
    for key, value in (("width", width), ("height", height)):
        if not 200 <= value <= 8000:
            raise ctx.error(f"export.{key}", f"{value} is out of range; use 200 to 8000 pixels")
    scale = ctx.typed(table.get("scale", 2.0), (int, float), "export.scale", "2")
    if not 0.25 <= scale <= 8:
        raise ctx.error("export.scale", f"{scale} is out of range; use 0.25 to 8")
    return ExportConfig(
        dir=directory,
        format=cast(Literal["png", "svg"], fmt),
        width=width,
        height=height,
        scale=float(scale),
    )


def load_config(path: Path | str) -> ProjectConfig:
    """Read and validate a project config file.

    Parameters
    ----------
    path
        The TOML file.

    Raises
    ------
    ConfigError
        (a :class:`SpecError`) When the file is missing, is not TOML, or any value is invalid;
        the message names the file, the key, the bad value and the fix.
    """
    file = Path(path).expanduser().absolute()
    ctx = _Context(file)
    try:
        with file.open("rb") as handle:
            data = handle.read(_MAX_CONFIG_BYTES + 1)
        if len(data) > _MAX_CONFIG_BYTES:
            raise SpecError(
                f"{file}: the config file is larger than {_MAX_CONFIG_BYTES // 2**20} MiB; "
                "is it the right file?"
            )
        # utf-8-sig: editors on Windows save a byte-order mark, which TOML itself refuses.
        doc = tomllib.loads(data.decode("utf-8-sig"))
    except RecursionError:
        raise SpecError(
            f"{file}: not valid TOML (arrays or tables nested too deeply); flatten them"
        ) from None
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: config file not found; pass --config FILE or set AFTERSHOCK_CONFIG "
            "(examples/aftershock.toml shows the format)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc}); check the path") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc}); fix the syntax there") from exc
    ctx.keys(doc, _TOP_KEYS, "")
    watchlists = _watchlists(ctx, doc.get("watchlists", {}))
    raw_studies = ctx.typed(doc.get("studies", []), list, "studies", "[[studies]] tables")
    studies = tuple(_study(ctx, raw, i, watchlists) for i, raw in enumerate(raw_studies))
    names = [s.name for s in studies]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ctx.error(
            "studies.name",
            f"{', '.join(map(_toml, repeated))} used twice; give each study a unique name",
        )
    raw_schedules = ctx.typed(doc.get("schedules", []), list, "schedules", "[[schedules]] tables")
    schedules = tuple(_schedule(ctx, raw, i, names) for i, raw in enumerate(raw_schedules))
    schedule_names = [s.name for s in schedules]
    repeated = sorted({n for n in schedule_names if schedule_names.count(n) > 1})
    if repeated:
        raise ctx.error(
            "schedules.name",
            f"{', '.join(map(_toml, repeated))} used twice; give each schedule a unique name",
        )
    return ProjectConfig(
        path=file,
        watchlists=watchlists,
        studies=studies,
        schedules=schedules,
        export=_export(ctx, doc.get("export", {})),
    )
