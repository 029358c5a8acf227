"""The one ticker grammar: how a symbol is normalized and when it is refused.

A ticker is written in Yahoo's form: stripped, upper case, a share class joined by ``-``
(``brk.b`` and ``BRK/B`` both become ``BRK-B``, as the price data and the reference files write
it), letters, digits, ``-`` and ``=`` after a leading letter or digit, and an optional leading
``^`` for an index (``^IRX``). Only ASCII is accepted: ``"ıntc"`` is refused rather than
upper-cased into ``INTC``. A list of tickers is text separated by commas or white space, or a
sequence of symbols; it keeps the first occurrence of each.

>>> normalize(" brk.b "), ticker("^irx")
('BRK-B', '^IRX')
>>> parse_tickers("nvda, brk.b NVDA")
('NVDA', 'BRK-B')
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from analytics.errors import SpecError

__all__ = ["SYMBOL", "all_normalized", "normalize", "parse_tickers", "split_tickers", "ticker"]

SYMBOL: Final = re.compile(r"\^?[A-Z0-9][A-Z0-9\-=]{0,19}")
"""A normalized symbol (match it with ``fullmatch``)."""

_SYMBOL_LINES = re.compile(rf"(?:{SYMBOL.pattern}\n)*{SYMBOL.pattern}")
_CLASS_SEPARATOR = re.compile(r"[./]")
_SEPARATORS = re.compile(r"[,\s]+")


def normalize(value: str) -> str:
    """``value`` in Yahoo's form (not yet checked): stripped, upper case, ``.``/``/`` → ``-``."""
    return _CLASS_SEPARATOR.sub("-", value.strip().upper())


def ticker(value: object, *, name: str = "ticker") -> str:
    """One valid, normalized symbol; a :class:`SpecError` naming ``name`` otherwise.

    >>> ticker("NVDA;ls")
    Traceback (most recent call last):
    ...
    analytics.errors.SpecError: ticker: 'NVDA;ls' is not a valid ticker symbol; use letters, \
digits, '-', '=' and an optional leading '^' (e.g. BRK-B, ^IRX)
    """
    if not isinstance(value, str):
        raise SpecError(f"{name}: {value!r} is not a ticker symbol", parameter=name)
    symbol = normalize(value)
    if not (value.isascii() and SYMBOL.fullmatch(symbol)):
        raise SpecError(
            f"{name}: {value!r} is not a valid ticker symbol; use letters, digits, '-', '=' "
            "and an optional leading '^' (e.g. BRK-B, ^IRX)",
            parameter=name,
        )
    return symbol


def all_normalized(values: list[object]) -> bool:
    """Whether every value is already a valid, normalized symbol (its own :func:`ticker`),
    checked by one match over them all: a fast path for the lists a program passes.

    >>> all_normalized(["NVDA", "BRK-B"]), all_normalized(["NVDA", "brk.b"])
    (True, False)
    """
    if not values or not all(type(v) is str for v in values):
        return False
    lines = "\n".join(values)  # type: ignore[arg-type]
    # A symbol holds no line break, so one line per value; a value with one breaks the count.
    return (
        lines.isascii()
        and lines.count("\n") == len(values) - 1
        and _SYMBOL_LINES.fullmatch(lines) is not None
    )


def split_tickers(values: str | Iterable[object]) -> list[object]:
    """The items of a ticker list: text split on commas and white space, or the sequence."""
    if isinstance(values, str):
        return [t for t in _SEPARATORS.split(values) if t]
    return list(values)


def parse_tickers(values: str | Iterable[object], *, name: str = "tickers") -> tuple[str, ...]:
    """Valid, normalized, distinct symbols in first-seen order (possibly none)."""
    return tuple(dict.fromkeys(ticker(t, name=name) for t in split_tickers(values)))
