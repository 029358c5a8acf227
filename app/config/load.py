"""Reading a project config file: :func:`load_config` (size limit, TOML, then every section)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Final

from analytics.errors import ConfigError, SpecError
from app.config.context import Context, toml_repr
from app.config.project import (
    ProjectConfig,
)
from app.config.sections import (
    read_export,
    read_feed,
    read_schedule,
    read_study,
    read_watchlists,
)

if TYPE_CHECKING:
    pass

__all__ = ["load_config"]

_MAX_CONFIG_BYTES: Final = 2**20
_TOP_KEYS: Final = ("export", "feeds", "schedules", "studies", "watchlists")


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
    ctx = Context(file)
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
    watchlists = read_watchlists(ctx, doc.get("watchlists", {}))
    raw_studies = ctx.typed(doc.get("studies", []), list, "studies", "[[studies]] tables")
    studies = tuple(read_study(ctx, raw, i, watchlists) for i, raw in enumerate(raw_studies))
    names = [s.name for s in studies]
    _unique(ctx, names, "studies", "study")
    raw_schedules = ctx.typed(doc.get("schedules", []), list, "schedules", "[[schedules]] tables")
    schedules = tuple(read_schedule(ctx, raw, i, names) for i, raw in enumerate(raw_schedules))
    _unique(ctx, [s.name for s in schedules], "schedules", "schedule")
    raw_feeds = ctx.typed(doc.get("feeds", []), list, "feeds", "[[feeds]] tables")
    feeds = tuple(read_feed(ctx, raw, i) for i, raw in enumerate(raw_feeds))
    _unique(ctx, [f.name for f in feeds], "feeds", "feed")
    return ProjectConfig(
        path=file,
        watchlists=watchlists,
        studies=studies,
        schedules=schedules,
        export=read_export(ctx, doc.get("export", {})),
        feeds=feeds,
    )


def _unique(ctx: Context, names: list[str], section: str, what: str) -> None:
    """Refuse a name used by two tables of ``section``."""
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ctx.error(
            f"{section}.name",
            f"{', '.join(map(toml_repr, repeated))} used twice; give each {what} a unique name",
        )
