"""Event dates written in a text ("January 27", "Jan. 27, 2025", "2025-01-27").

>>> [m.date.isoformat() for m in find_event_dates("Nvidia fell on January 27, 2025.")]
['2025-01-27']
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass

from analytics.errors import SpecError

__all__ = ["DateMention", "find_event_dates"]


@dataclass(frozen=True)
class DateMention:
    """A date written in a text (``text`` is the source's ``[start:end]``) and the date it names."""

    start: int
    end: int
    text: str
    date: dt.date


_MONTHS: dict[str, int] = {
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june"), 1)},
    **{m: i for i, m in enumerate(("july", "august", "september", "october"), 7)},
    "november": 11,
    "december": 12,
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr"), 1)},
    **{"jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12},
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"\.?,?\s+"
)
_YEAR = r"(?:19|20)\d{2}"
# The dot of an abbreviated month is part of the date only when a number follows ("Jan. 27").
_DATE = re.compile(
    rf"""
    (?<![\w-])
    (?: (?P<iy>{_YEAR})-(?P<im>\d{{2}})-(?P<id>\d{{2}})(?![\d-])
      | (?:{_WEEKDAY})?(?P<m1>{_MONTH})\b(?:\.(?=\s*\d))?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?
        (?!\w)(?:,?\s+(?P<y1>{_YEAR})(?!\w))?
      | (?:{_WEEKDAY})?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\b
        (?:\.(?=,?\s*\d))?(?:,?\s+(?P<y2>{_YEAR})(?!\w))?
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MONTH_YEAR = re.compile(rf"(?<![\w-])(?:{_MONTH})\b\.?,?\s+(?P<y>{_YEAR})(?!\w)", re.IGNORECASE)
_BARE_YEAR = re.compile(rf"(?<![\w$.,-]){_YEAR}(?![\w%]|[.,]\d)")


@dataclass(frozen=True)
class _Found:
    """A date pattern found in a text, before its year is resolved."""

    start: int
    end: int
    month: int
    day: int
    year: int | None


def _found(match: re.Match[str]) -> _Found | None:
    """The month, day and (explicit) year of a date match; None for a lower-case month."""
    if match.group("iy"):
        month, day, year = match.group("im", "id", "iy")
        return _Found(*match.span(), int(month), int(day), int(year))
    month_word, day, year = match.group("m1", "d1", "y1")
    if month_word is None:
        month_word, day, year = match.group("m2", "d2", "y2")
    if not month_word[0].isupper():  # "may 5" is a verb, not May 5
        return None
    explicit = int(year) if year else None
    return _Found(*match.span(), _MONTHS[month_word.lower()], int(day), explicit)


def _article_year(text: str) -> int | None:
    """The year an article mentions most (the latest of equally frequent ones)."""
    counts = Counter(int(m.group()) for m in _BARE_YEAR.finditer(text))
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


def find_event_dates(text: str, *, default_year: int | None = None) -> list[DateMention]:
    """The calendar dates written in a text, in order of appearance.

    Recognised forms: ``January 27``, ``Jan. 27, 2025``, ``27 January 2025``, ``2025-01-27``,
    ``Monday, January 27`` (ordinals such as ``27th`` too; the month must be capitalised).
    A date without a year takes the nearest explicit year of the same paragraph (a dated
    mention such as "April 2, 2025" or "in January 2025", the closest before it first), else the
    year the text mentions most often (the latest on a tie), else ``default_year``; with none of
    these it is left out. Impossible dates (February 30) are left out.

    Parameters
    ----------
    text
        Cleaned text; offsets of the mentions refer to it.
    default_year
        Year for dates when the text gives none.
    """
    if default_year is not None and (
        isinstance(default_year, bool)
        or not isinstance(default_year, int)
        or not 1900 <= default_year <= 2100
    ):
        raise SpecError(f"default_year: {default_year!r} is not a year; pass e.g. 2025 or None")
    found = [f for m in _DATE.finditer(text) if (f := _found(m)) is not None]
    anchors = [(f.start, f.year) for f in found if f.year is not None]
    anchors += [(m.start(), int(m.group("y"))) for m in _MONTH_YEAR.finditer(text)]
    fallback = _article_year(text) or default_year
    mentions = []
    for f in found:
        year = f.year
        if year is None:
            paragraph = (text.rfind("\n", 0, f.start), _find(text, "\n", f.end))
            near = [
                (a > f.start, abs(a - f.start), y)
                for a, y in anchors
                if paragraph[0] < a < paragraph[1]
            ]
            year = min(near)[2] if near else fallback
        if year is None:
            continue
        try:
            date = dt.date(year, f.month, f.day)
        except ValueError:
            continue
        mentions.append(DateMention(f.start, f.end, text[f.start : f.end], date))
    return mentions


def _find(text: str, sub: str, start: int) -> int:
    """Position of ``sub`` in ``text`` from ``start``, or the length of the text."""
    position = text.find(sub, start)
    return len(text) if position < 0 else position
