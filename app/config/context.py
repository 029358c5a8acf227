"""The config file being read: one-line errors that name the file and the key, key and type
checks, and TOML spellings of values for those messages."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from analytics.errors import ConfigError, SpecError
from analytics.study.options import suggest

if TYPE_CHECKING:
    pass

__all__ = ["Context", "located", "problem_of", "toml_repr", "toml_type"]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Context:
    """The file being read: builds errors that name it, and checks keys and types."""

    path: Path

    def error(self, where: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {where}: {problem}")

    def keys(self, table: Mapping[str, Any], allowed: Sequence[str], where: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.error(
                    f"{where}.{key}" if where else key,
                    f"unknown key{suggest(key, allowed)}; allowed keys are {', '.join(allowed)}",
                )

    def typed(self, value: Any, kind: type | tuple[type, ...], where: str, example: str) -> Any:
        # bool is an int in Python, but `placebo = true` is a mistake in a config file.
        wrong_bool = isinstance(value, bool) and bool not in _as_tuple(kind)
        if wrong_bool or not isinstance(value, kind):
            raise self.error(
                where, f"{toml_repr(value)} is a {toml_type(value)}; write it like {example}"
            )
        return value

    def slug(self, value: Any, where: str) -> str:
        text = self.typed(value, str, where, '"deepseek-chips"')
        if not _SLUG.match(text):
            raise self.error(
                where,
                f"{toml_repr(text)} is not a valid name; use lower-case letters, digits, '-' and "
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


def toml_repr(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def toml_type(value: Any) -> str:
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


def located(where: str, error: SpecError) -> str:
    """``where.parameter`` of an error whose message starts with its parameter name."""
    head, sep, _ = str(error).partition(": ")
    return f"{where}.{head}" if sep and head.replace("_", "").isalpha() else where


def problem_of(error: SpecError) -> str:
    head, sep, rest = str(error).partition(": ")
    return rest if sep and head.replace("_", "").isalpha() else str(error)
