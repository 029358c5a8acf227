"""What a chart says about where it comes from: the headline it may carry and its source line.

Both rules live here so that the dashboard, ``aftershock export`` and the refresh job caption a
study alike:

* :func:`chart_headline` — a chart carries an article's headline only when the study's day 0 is
  the article's own day 0 (for a pasted text without an index date: the day 0 of a date the
  text mentions); a text about another day never captions this study's chart.
* :func:`source_line` — the footer of every chart: model, estimation window, event date(s),
  data source and the Aftershock version, so an exported PNG says what it shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from importlib import metadata
from typing import Protocol

import pandas as pd

from analytics import calendar
from analytics.data.store import PriceStore
from analytics.errors import AftershockError
from analytics.news import clean_text, find_event_dates
from analytics.study.result import StudyResult
from app.charts.formatting import model_label, window_label

__all__ = [
    "ArticleLike",
    "chart_headline",
    "data_sources",
    "source_line",
    "version",
]

_SOURCE_NAMES = {"data pack": "data pack", "yahoo": "Yahoo Finance"}
_MAX_DATES = 3


class ArticleLike(Protocol):
    """What :func:`chart_headline` reads of an article (:class:`analytics.news.Article`)."""

    @property
    def headline(self) -> str: ...

    @property
    def body(self) -> str: ...

    @property
    def date(self) -> dt.date | None: ...

    @property
    def timing(self) -> str | None: ...


def _day0s(article: ArticleLike) -> set[pd.Timestamp]:
    """The sessions the article can be about: its own day 0, or for a text without a known
    date the day 0 of each date it mentions (news before the open or after the close)."""
    if article.date is not None:
        timing = article.timing if article.timing in calendar.TIMINGS else "before_open"
        return {calendar.day_zero(article.date, timing)}
    text = "\n".join(clean_text(f"{article.headline}\n{article.body}"))
    found = {m.date for m in find_event_dates(text)}
    return {calendar.day_zero(d, t) for d in found for t in ("before_open", "after_close")}


def chart_headline(article: ArticleLike | None, day0: pd.Timestamp | None) -> str | None:
    """The article's headline when the article is about the study's ``day0``, else None.

    An article from the news folder is about its own day 0 (its date and timing); a pasted or
    uploaded text about the day 0 of a date it mentions. A text with no date captions nothing.

    >>> from types import SimpleNamespace as Article
    >>> news = Article(headline="Chips tumble", body="", date=dt.date(2025, 1, 25), timing=None)
    >>> chart_headline(news, pd.Timestamp("2025-01-27"))  # Saturday → Monday's open
    'Chips tumble'
    >>> chart_headline(news, pd.Timestamp("2025-01-28")) is None
    True
    >>> pasted = Article(headline="Sell-off", body="On August 5, 2024 ...", date=None, timing=None)
    >>> [chart_headline(pasted, pd.Timestamp(d)) for d in ("2024-08-05", "2025-01-27")]
    ['Sell-off', None]
    """
    if article is None or day0 is None:
        return None
    try:
        own = _day0s(article)
    except AftershockError:
        return None
    return article.headline if pd.Timestamp(day0).normalize() in own else None


def version() -> str:
    """The installed Aftershock version (``"dev"`` when run from an uninstalled tree)."""
    try:
        return metadata.version("aftershock")
    except metadata.PackageNotFoundError:
        return "dev"


def data_sources(store: object, tickers: Sequence[str]) -> tuple[str, ...]:
    """Names of the sources whose rows the store holds for ``tickers`` (from its fetch log);
    ``("local store",)`` when the log has none (prices imported by hand, or a test provider)."""
    if isinstance(store, PriceStore):
        log = store.fetch_log()
        if not log.empty:
            mine = log[log["ticker"].isin(list(tickers)) & (log["rows"] > 0)]
            names = sorted({str(s) for s in mine["source"].unique().tolist()})
            if names:
                return tuple(_SOURCE_NAMES.get(n, n) for n in names)
    return ("local store",)


def _event_dates(result: StudyResult) -> str:
    days = list(pd.DatetimeIndex(result.spec.events["day0"].unique()).sort_values())
    if len(days) == 1:
        return f"day 0 {days[0]:%a %d %b %Y}"
    if len(days) <= _MAX_DATES:
        return "days 0 " + ", ".join(f"{d:%d %b %Y}" for d in days)
    return f"{len(days)} event days {days[0]:%d %b %Y} – {days[-1]:%d %b %Y}"


def source_line(result: StudyResult, sources: Sequence[str] = ("local store",)) -> str:
    """The footer of the study's charts.

    Examples
    --------
    >>> from analytics.study.spec import StudySpec
    >>> from types import SimpleNamespace
    >>> spec = StudySpec.create(tickers="NVDA", date="2025-01-27")
    >>> line = source_line(SimpleNamespace(spec=spec), ["data pack"])
    >>> line.split(" · ")[1:4]
    ['estimation [−250, −11]', 'day 0 Mon 27 Jan 2025', 'data: data pack']
    """
    spec = result.spec
    estimation = window_label(f"{spec.estimation[0]}:{spec.estimation[1]}")
    parts = [
        f"{model_label(spec.model)} vs {spec.benchmark}",
        f"estimation {estimation}",
        _event_dates(result),
        f"data: {', '.join(sources)}",
        f"Aftershock {version()}",
    ]
    return " · ".join(parts)
