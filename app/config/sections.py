"""One reader per section of the config file: ``[watchlists]``, ``[[studies]]``,
``[[schedules]]``, ``[[feeds]]`` and ``[export]``, each validated into its value object."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast
from urllib.parse import urlsplit

from apscheduler.triggers.cron import CronTrigger
from pydantic import ValidationError

from analytics.errors import SpecError
from analytics.study.options import StudyOptions, option_error, suggest
from analytics.study.spec import StudySpec
from analytics.tickers import ticker
from app.config.context import Context, located, problem_of, toml_repr, toml_type
from app.config.cron import aps_crontab
from app.config.project import (
    ExportConfig,
    Feed,
    SavedStudy,
    Schedule,
)

if TYPE_CHECKING:
    pass

__all__ = ["read_export", "read_feed", "read_schedule", "read_study", "read_watchlists"]

_CLI_ONLY: Final = frozenset({"universe_file", "factors"})
_STUDY_KEYS: Final = tuple(sorted({"name", "watchlist", *StudyOptions.model_fields} - _CLI_ONLY))
_SCHEDULE_KEYS: Final = ("cron", "name", "sessions_only", "studies", "timezone")
_EXPORT_KEYS: Final = ("dir", "format", "height", "scale", "width")
_FEED_KEYS: Final = ("name", "url")


def read_watchlists(ctx: Context, raw: Any) -> dict[str, tuple[str, ...]]:
    table = ctx.typed(raw, dict, "watchlists", '[watchlists] followed by ai = ["NVDA", "AMD"]')
    lists: dict[str, tuple[str, ...]] = {}
    for name, value in table.items():
        where = f"watchlists.{name}"
        ctx.slug(name, f"watchlists: name {toml_repr(name)}")
        items = ctx.strings(value, where, '["NVDA", "AMD"]')
        try:
            tickers = [ticker(item, name="tickers") for item in items]
        except SpecError as exc:
            raise ctx.error(where, problem_of(exc)) from None
        if not tickers:
            raise ctx.error(where, '[] lists no ticker; add some, e.g. ["NVDA", "AMD"]')
        repeated = sorted({t for t in tickers if tickers.count(t) > 1})
        if repeated:
            raise ctx.error(where, f"{', '.join(repeated)} listed more than once; list each once")
        lists[name] = tuple(tickers)
    return lists


def read_study(
    ctx: Context, raw: Any, index: int, watchlists: Mapping[str, tuple[str, ...]]
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
                f"{toml_repr(watchlist)} is not defined{suggest(watchlist, list(watchlists))}; "
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
        error = option_error(exc, show=toml_repr, kind=toml_type)
        raise ctx.error(located(where, error), problem_of(error)) from None
    try:
        spec = StudySpec.from_options(options)
    except SpecError as exc:
        raise ctx.error(located(where, exc), problem_of(exc)) from exc
    return SavedStudy(name=name, spec=spec, watchlist=watchlist, options=options)


def read_schedule(ctx: Context, raw: Any, index: int, studies: Sequence[str]) -> Schedule:
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
            f'{toml_repr(zone_name)} is not an IANA time zone; use e.g. "America/New_York"',
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
                    f"{toml_repr(name_)} is not a study{suggest(name_, studies)}; "
                    f"use one of {', '.join(studies) or '(none: add a [[studies]] table)'}",
                )
        selected = tuple(dict.fromkeys(names))

    def cron_error(problem: str) -> SpecError:
        return ctx.error(f"{where}.cron", problem)

    schedule = Schedule(
        name=name, cron=cron, timezone=zone, sessions_only=sessions_only, studies=selected
    )
    try:
        CronTrigger.from_crontab(aps_crontab(cron, cron_error), timezone=zone)
    except ValueError as exc:
        if isinstance(exc, SpecError):
            raise
        raise cron_error(
            f"{toml_repr(cron)} is not a valid crontab expression ({exc}); "
            'give minute hour day month weekday, e.g. "30 16 * * 1-5"'
        ) from exc
    return schedule


def read_feed(ctx: Context, raw: Any, index: int) -> Feed:
    where = f"feeds[{index}]"
    table = ctx.typed(raw, dict, where, '[[feeds]] with name = "..." and url = "https://..."')
    for key, example in (("name", '"wire"'), ("url", '"https://example.com/rss"')):
        if key not in table:
            raise ctx.error(where, f"has no {key}; add {key} = {example}")
    name = ctx.slug(table["name"], f"{where}.name")
    where = f"feeds[{index}] ({name})"
    ctx.keys(table, _FEED_KEYS, where)
    url = ctx.typed(table["url"], str, f"{where}.url", '"https://example.com/rss"').strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ctx.error(
            f"{where}.url",
            f"{toml_repr(url[:100])} is not an http(s):// address; "
            'give the feed\'s address, e.g. "https://example.com/rss"',
        )
    return Feed(name=name, url=url)


def read_export(ctx: Context, raw: Any) -> ExportConfig:
    table = ctx.typed(raw, dict, "export", '[export] followed by format = "png"')
    ctx.keys(table, _EXPORT_KEYS, "export")
    directory: Path | None = None
    if "dir" in table:
        text = ctx.typed(table["dir"], str, "export.dir", '"charts"')
        directory = (ctx.path.parent / Path(text).expanduser()).absolute()
    fmt = ctx.typed(table.get("format", "png"), str, "export.format", '"png"')
    if fmt not in ("png", "svg"):
        raise ctx.error("export.format", f'{toml_repr(fmt)} is not supported; use "png" or "svg"')
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
