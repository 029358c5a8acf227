"""News on the charts: each stored article that names a charted ticker is a marker on that
ticker's price path, at the article's day 0.

Reading the articles (day 0 from the text or the news index, the companies named) is the slow
part: :func:`article_events` does it once for a set of articles; :func:`news_markers` then picks
the markers of the tickers a chart draws, for every chart at no cost.

>>> event = ArticleEvent("a.txt", "Nvidia falls", dt.date(2025, 1, 27), ("NVDA",))
>>> [(m.ticker, m.session.isoformat()) for m in news_markers([event], ["NVDA", "SPY"])]
[('NVDA', '2025-01-27')]
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from analytics.errors import AftershockError
from analytics.news.articles import Article
from analytics.news.cleaning import clean_text
from analytics.news.mentions import find_mentions
from analytics.news.timing import article_timing

__all__ = ["ArticleEvent", "NewsMarker", "article_day0", "article_events", "news_markers"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArticleEvent:
    """What the charts need of an article: its file, headline, day 0 (an NYSE session) and the
    tickers of the companies it names (most mentioned first)."""

    article: str
    headline: str
    day0: dt.date
    tickers: tuple[str, ...]


@dataclass(frozen=True)
class NewsMarker:
    """One article on one ticker's price path: at ``session`` (the article's day 0)."""

    ticker: str
    session: dt.date
    headline: str
    article: str


def article_day0(article: Article) -> dt.date | None:
    """The article's day 0, as :func:`analytics.article_study.propose_study` finds it: the news
    index's event date and timing when given, else the text's; None when it names no day."""
    try:
        *_, timing = article_timing(article)
    except AftershockError as exc:
        logger.info("no day 0 for %s: %s", article.source, exc)
        return None
    return timing.day0


def article_events(
    articles: Iterable[Article], aliases: Mapping[str, str]
) -> tuple[ArticleEvent, ...]:
    """Day 0 and named companies of each article that has both.

    Parameters
    ----------
    articles
        The stored articles (:func:`analytics.news.load_articles`).
    aliases
        Company names mapped to tickers (:func:`analytics.data.reference.company_aliases`).
        Indexes the article names ("the S&P 500") are market references, not companies: they
        mark no fund.
    """
    events = []
    for article in articles:
        text = [article.headline, *clean_text(article.body)]
        named = sorted(
            (m for m in find_mentions(text, aliases, {}) if m.kind == "company" and m.ticker),
            key=lambda m: (-m.count, m.first),
        )
        if not named:
            continue
        day0 = article_day0(article)
        if day0 is None:
            continue
        tickers = tuple(dict.fromkeys(str(m.ticker) for m in named))
        events.append(ArticleEvent(article.source, article.headline, day0, tickers))
    return tuple(events)


def news_markers(
    events: Iterable[ArticleEvent], tickers: Collection[str]
) -> tuple[NewsMarker, ...]:
    """A marker for each article and each of ``tickers`` it names, in date order.

    Which of them a chart shows (its tickers drawn, its range of days) is the chart's business:
    see :func:`app.charts.prices.price_paths`.
    """
    charted = set(tickers)
    markers = [
        NewsMarker(ticker, event.day0, event.headline, event.article)
        for event in events
        for ticker in event.tickers
        if ticker in charted
    ]
    return tuple(sorted(markers, key=lambda m: (m.session, m.ticker, m.article)))
