"""The event's day 0 and timing, as the article tells them.

Day 0 is the first trading day on which the article reports a market reaction ("the S&P 500
fell ... on Thursday, April 3"). The event's date and timing come from the sentence that dates
the news itself: "after the closing bell on August 1" or "on the evening of April 2" is
``after_close`` (day 0 the next session), "before U.S. markets opened" ``before_open``, "during
the session" ``during_session``. A reaction day with no time of day in the text is taken as
``before_open`` of that day (the market could react that session). Values given by the news
index win over the text.

>>> from analytics.news.reading import read_article
>>> text = ["After the closing bell on Thursday, August 1, 2024, Intel reported a loss.",
...         "Its shares plunged 26% on Friday."]
>>> t = event_timing(read_article("Intel sinks", text))
>>> t.event_date.isoformat(), t.timing, t.day0.isoformat()
('2024-08-01', 'after_close', '2024-08-02')
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from analytics.calendar import Timing, day_zero
from analytics.errors import SpecError
from analytics.news.articles import Article
from analytics.news.cleaning import clean_text
from analytics.news.reading import Sentence, read_article

__all__ = ["EventTiming", "article_timing", "event_timing", "market_reaction", "timing_words"]

_AFTER_CLOSE = re.compile(
    r"after\s+(?:the\s+)?(?:closing\s+bell|(?:market\s+)?close\b|bell\b)"
    r"|after\s+(?:U\.S\.\s+|US\s+|American\s+|New\s+York\s+)?(?:exchanges|markets?|stock\s+markets?"
    r"|trading|Wall\s+Street)\s+(?:had\s+)?closed"
    r"|after[-\s]hours|post[-\s]?market|extended\s+trading|late\s+(?:on\s+)?(?:Mon|Tues|Wednes|Thurs|Fri)day"
    r"|(?:on\s+the\s+|in\s+the\s+|that\s+|Thursday\s+|Friday\s+|Monday\s+|Tuesday\s+|Wednesday\s+)"
    r"evening|evening\s+of|overnight\s+announcement",
    re.IGNORECASE,
)
_BEFORE_OPEN = re.compile(
    r"before\s+(?:the\s+)?(?:opening\s+bell|(?:market\s+)?open\b)"
    r"|before\s+(?:U\.S\.\s+|US\s+|American\s+|New\s+York\s+)?(?:exchanges|markets?|stock\s+markets?"
    r"|trading|Wall\s+Street)\s+(?:had\s+)?opened"
    r"|pre[-\s]?market|premarket|early\s+(?:on\s+)?(?:Mon|Tues|Wednes|Thurs|Fri)day(?:\s+morning)?"
    r"|(?:on\s+the\s+|in\s+the\s+|that\s+)morning|over\s+the\s+weekend",
    re.IGNORECASE,
)
_DURING = re.compile(
    r"during\s+(?:the\s+)?(?:(?:trading\s+)?session|trading(?:\s+day)?|the\s+day)"
    r"|mid[-\s]?day|midsession|mid-session|intraday|in\s+(?:early\s+|late\s+)?afternoon\s+trading"
    r"|while\s+(?:the\s+)?markets?\s+(?:were|was)\s+open|during\s+market\s+hours",
    re.IGNORECASE,
)
_REACTION = re.compile(
    r"\b(?:fell|fall(?:s|ing)?|dropped|drops?|plunge[sd]?|plunging|sank|sink(?:s|ing)?|slid|slides?"
    r"|tumbled?|tumbles|lost|los(?:e|es|ing)|shed(?:s|ding)?|declined?|declines|slump(?:ed|s)?"
    r"|crash(?:ed|es)?|tank(?:ed|s)?|sold\s+off|sell-?off|rout|plummet(?:ed|s)?|retreated"
    r"|rose|rise[sn]?|rising|gained|gains?|jump(?:ed|s)?|surge[sd]?|soar(?:ed|s)?|rall(?:ied|ies|y)"
    r"|climb(?:ed|s)?|advanced|spiked|rebound(?:ed|s)?|fluctuations?|swung|swings?|closed\s+"
    r"(?:up|down|higher|lower)|wip(?:ed|ing)\s+(?:out|off)|erased)\b",
    re.IGNORECASE,
)
_MARKET_WORDS = re.compile(
    r"\b(?:stocks?|shares?|markets?|index|indexes|indices|equities|trading|Wall\s+Street|S&P"
    r"|Nasdaq|Dow|Nikkei|sell-?off|rout|market\s+value|market\s+cap\w*)\b",
    re.IGNORECASE,
)


def timing_words(sentence: str) -> Timing | None:
    """The time of day a sentence gives its news, if any (after the close wins a tie)."""
    for timing, pattern in (
        ("after_close", _AFTER_CLOSE),
        ("before_open", _BEFORE_OPEN),
        ("during_session", _DURING),
    ):
        if pattern.search(sentence):
            return timing  # type: ignore[return-value]
    return None


def market_reaction(sentence: str) -> bool:
    """Whether a sentence reports a market move ("the S&P 500 fell", "shares plunged")."""
    return bool(_REACTION.search(sentence) and _MARKET_WORDS.search(sentence))


Source = Literal["index", "text"]


@dataclass(frozen=True)
class EventTiming:
    """Day 0 of an article's event: the event's date and timing, and where they came from."""

    event_date: dt.date
    timing: Timing
    day0: dt.date
    sentence: str
    reason: str
    source: Source = "text"
    notes: tuple[str, ...] = ()


def _day0(date: dt.date, timing: Timing) -> dt.date:
    return day_zero(date, timing).date()


def article_timing(article: Article) -> tuple[list[str], list[Sentence], EventTiming]:
    """The article's cleaned paragraphs, its sentences, and its day 0 and timing as
    :func:`event_timing` reads them (the news index's event date and timing when given, else
    the text's).

    Raises
    ------
    SpecError
        The article names no date.
    """
    paragraphs = clean_text(article.body)
    sentences = read_article(
        article.headline,
        paragraphs,
        date=article.date,
        default_year=article.published.year if article.published else None,
    )
    timing = event_timing(sentences, date=article.date, timing=article.timing)  # type: ignore[arg-type]
    return paragraphs, sentences, timing


def event_timing(
    sentences: Sequence[Sentence],
    *,
    date: dt.date | None = None,
    timing: Timing | None = None,
) -> EventTiming:
    """Day 0 and timing of the event an article reports (see the module docstring).

    Parameters
    ----------
    sentences
        The article read by :func:`~analytics.news.reading.read_article`.
    date, timing
        The news index's event date and timing: they win over the text.

    Raises
    ------
    SpecError
        The article names no day (and no ``date`` is given).
    """
    notes = tuple(p.weekday_mismatch for s in sentences for p in s.phrases if p.weekday_mismatch)
    if date is not None:
        when: Timing = timing or "before_open"
        day0 = _day0(date, when)
        return EventTiming(date, when, day0, "", "given by the news index", "index", notes)
    dated = [s for s in sentences if s.phrases]
    if not dated:
        raise SpecError(
            "article: names no date (e.g. 'on Monday, August 5, 2024'); give the event date"
        )
    reactions = [(min(s.days), s) for s in dated if market_reaction(s.text)]
    timed = [(s, t) for s in sentences if s.when and (t := timing_words(s.text)) is not None]
    if not reactions:
        if timed:
            sentence, when = timed[0]
            day = sentence.when[0]
            reason = "the news is dated here; the article reports no market move"
            return EventTiming(day, when, _day0(day, when), sentence.text, reason, notes=notes)
        day, sentence = dated[0].days[0], dated[0]
        reason = "the only dated sentence; the article reports no market move"
        return EventTiming(day, "before_open", _day0(day, "before_open"), sentence.text, reason)
    first, sentence = min(reactions, key=lambda r: r[0])
    day0 = _day0(first, "before_open")
    for timed_sentence, when in timed:
        for day in timed_sentence.when:
            if day <= first and _day0(day, when) == day0:
                reason = f"{_TIMING_WORDS[when]}; first market reaction on {day0:%a %d %b %Y}"
                return EventTiming(day, when, day0, timed_sentence.text, reason, notes=notes)
    reason = "first market reaction the article reports; the text gives no time of day"
    return EventTiming(first, "before_open", day0, sentence.text, reason, notes=notes)


_TIMING_WORDS: dict[Timing, str] = {
    "after_close": "announced after the close",
    "before_open": "announced before the open",
    "during_session": "announced during the session",
}
