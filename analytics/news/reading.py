"""An article read sentence by sentence, each with the days it speaks of resolved.

Explicit dates ("Friday, August 2, 2024", "April 3") are found by
:func:`~analytics.news.dates.find_event_dates`; a weekday alone ("on Thursday", "late on
Monday") is resolved against the story's running date: the last day the text moved to, or the
article's own date before any. "The previous Friday" looks back; "another ... on Monday" and
"the following week" move on.

>>> [s.days for s in read_article("Stocks fall", ["Shares fell on Friday, August 2, 2024."])]
[(), (datetime.date(2024, 8, 2),)]
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from analytics.news.dates import DateMention, find_event_dates

__all__ = ["DayPhrase", "Sentence", "read_article", "split_sentences"]

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = re.compile(r"\b(Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b")
_BACK = re.compile(r"\b(?:previous|preceding|prior|last|earlier)\s+$", re.IGNORECASE)
_ON = re.compile(r"\b(?:on|late\s+on|early\s+on|by|until|from|since|the)\s+$", re.IGNORECASE)
# A sentence ends at . ! ? followed by space and a capital, a quote or a digit, unless the dot
# ends an abbreviation ("U.S.", "Jan.", "Inc.").
_SENTENCE_END = re.compile(
    r"(?<!\bU\.S)(?<!\bU\.K)(?<!\bInc)(?<!\bCorp)(?<!\bCo)(?<!\bLtd)(?<!\bMr)(?<!\bMs)(?<!\bDr)"
    r"(?<!\bSt)(?<!\bJan)(?<!\bFeb)(?<!\bMar)(?<!\bApr)(?<!\bJun)(?<!\bJul)(?<!\bAug)(?<!\bSep)"
    r"(?<!\bSept)(?<!\bOct)(?<!\bNov)(?<!\bDec)(?<!\bvs)(?<!\b[A-Z])[.!?][\"'”’)]?\s+(?=[\"“'‘(]?[A-Z0-9$])"
)


@dataclass(frozen=True)
class DayPhrase:
    """A day a sentence names: where (``[start:end]`` of the sentence), how, and the date.

    ``weekday_mismatch`` holds a note when the text's weekday disagrees with its date
    ("Friday, August 3, 2024": August 3 is a Saturday); the written date is kept.
    """

    start: int
    end: int
    text: str
    date: dt.date
    explicit: bool
    weekday_mismatch: str | None = None


@dataclass(frozen=True)
class Sentence:
    """A sentence of the headline (paragraph ``-1``) or the body, with the days it names.

    ``context`` is the story's running date when the sentence begins.
    """

    text: str
    paragraph: int
    phrases: tuple[DayPhrase, ...]
    context: dt.date | None = None

    @property
    def days(self) -> tuple[dt.date, ...]:
        """The days the sentence names."""
        return tuple(p.date for p in self.phrases)

    @property
    def when(self) -> tuple[dt.date, ...]:
        """The days the sentence names, else the story's running date (if any)."""
        return self.days or (() if self.context is None else (self.context,))

    @property
    def is_headline(self) -> bool:
        return self.paragraph < 0


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph (abbreviations such as "U.S." or "Inc." do not end one)."""
    out, start = [], 0
    for match in _SENTENCE_END.finditer(paragraph):
        out.append(paragraph[start : match.end()].strip())
        start = match.end()
    out.append(paragraph[start:].strip())
    return [s for s in out if s]


def _weekday_note(phrase: str, date: dt.date) -> str | None:
    named = _WEEKDAY.search(phrase)
    if named is None:
        return None
    weekday = _WEEKDAYS.index(named.group().lower())
    if weekday == date.weekday():
        return None
    return f"the text says {named.group()} but {date:%B} {date.day}, {date.year} is a {date:%A}"


def _resolve_weekday(weekday: int, context: dt.date, *, back: bool, onward: bool) -> dt.date:
    """The day with ``weekday`` nearest ``context``: on or after it, before it when ``back``,
    strictly after it when ``onward`` ("another ... on Monday")."""
    if back:
        return context - dt.timedelta(days=(context.weekday() - weekday - 1) % 7 + 1)
    ahead = (weekday - context.weekday()) % 7
    if ahead == 0 and onward:
        ahead = 7
    return context + dt.timedelta(days=ahead)


_ONWARD = re.compile(
    r"\b(?:another|again|more|further|following|next|then|resumed|reopened)\b", re.IGNORECASE
)


def _phrases(
    sentence: str, dated: Sequence[DateMention], context: dt.date | None
) -> tuple[list[DayPhrase], dt.date | None]:
    """The days a sentence names (``dated``: its explicit dates, offsets in the sentence), and
    the story's running date after it."""
    phrases = [
        DayPhrase(m.start, m.end, m.text, m.date, True, _weekday_note(m.text, m.date))
        for m in dated
    ]
    taken = [(p.start, p.end) for p in phrases]
    for match in _WEEKDAY.finditer(sentence):
        if any(a <= match.start() < b for a, b in taken) or context is None:
            continue
        before = sentence[: match.start()]
        if not _ON.search(before) and not _BACK.search(before):
            continue  # "Friday's session" or a name; only "on Friday", "previous Friday", ...
        back = bool(_BACK.search(before))
        weekday = _WEEKDAYS.index(match.group().lower())
        day = _resolve_weekday(weekday, context, back=back, onward=bool(_ONWARD.search(sentence)))
        phrases.append(DayPhrase(match.start(), match.end(), match.group(), day, False))
        if not back:
            context = day
    phrases.sort(key=lambda p: p.start)
    explicit = [p.date for p in phrases if p.explicit]
    if explicit:
        context = explicit[-1]
    return phrases, context


def read_article(
    headline: str,
    paragraphs: Sequence[str],
    *,
    date: dt.date | None = None,
    default_year: int | None = None,
) -> list[Sentence]:
    """The headline and body sentences, in reading order, with their days resolved.

    Parameters
    ----------
    headline, paragraphs
        The article's headline and cleaned body paragraphs.
    date
        The article's own date (e.g. from the news index): the running date before the text
        names one, and the year of dates written without one.
    default_year
        The year of dates written without one when the text and ``date`` give none.
    """
    year = date.year if date is not None else default_year
    full = "\n".join(paragraphs)
    mentions = find_event_dates(full, default_year=year)
    context: dt.date | None = date or (mentions[0].date if mentions else None)
    out = [Sentence(headline, -1, (), context)]
    offset = 0
    for number, paragraph in enumerate(paragraphs):
        position = 0
        for text in split_sentences(paragraph):
            begin = offset + paragraph.index(text, position)
            position = begin - offset + len(text)
            dated = [
                replace(m, start=m.start - begin, end=m.end - begin)
                for m in mentions
                if begin <= m.start and m.end <= begin + len(text)
            ]
            before = context
            phrases, context = _phrases(text, dated, context)
            out.append(Sentence(text, number, tuple(phrases), before))
        offset += len(paragraph) + 1
    return out
