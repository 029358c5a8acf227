"""News markers on the shared articles: each article's day 0 and the companies it names, and
the markers a set of charted tickers gets."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from analytics.article_study import propose_study
from analytics.data.reference import company_aliases
from analytics.news import Article, load_articles
from analytics.news.markers import (
    ArticleEvent,
    NewsMarker,
    article_day0,
    article_events,
    news_markers,
)
from tests.support import NEWS, REFERENCE

DEEPSEEK = "deepseek-market-jolt.txt"
TARIFFS = "tariff-shock-2025-04.txt"
SELLOFF = "global-selloff-2024-08-05.txt"

# Day 0 by hand from index.json and the timing rule of DESIGN.md: 2025-01-27 (a Monday) before
# the open is that day; 2025-04-02 after the close is Thursday 3 April; 2024-08-05 (a Monday)
# before the open is that day.
DAY0 = {
    DEEPSEEK: dt.date(2025, 1, 27),
    TARIFFS: dt.date(2025, 4, 3),
    SELLOFF: dt.date(2024, 8, 5),
}


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    if not NEWS.is_dir():
        pytest.skip(f"shared news not found at {NEWS}")
    return {a.source: a for a in load_articles(NEWS)}


@pytest.fixture(scope="module")
def events(articles: dict[str, Article]) -> dict[str, ArticleEvent]:
    return {e.article: e for e in article_events(articles.values(), company_aliases(REFERENCE))}


def test_each_shared_article_has_its_day0_and_named_companies(
    events: dict[str, ArticleEvent], articles: dict[str, Article]
) -> None:
    assert {name: e.day0 for name, e in events.items()} == DAY0
    assert events[DEEPSEEK].tickers == ("NVDA",)
    assert events[TARIFFS].tickers == ("AAPL",)
    assert events[SELLOFF].tickers == ("NVDA", "AAPL", "MSFT")  # the proposal's named order
    assert all(events[name].headline == articles[name].headline for name in DAY0)


def test_indexes_the_articles_name_mark_no_fund(events: dict[str, ArticleEvent]) -> None:
    # Every article names the S&P 500 or the Nasdaq: market references, not companies.
    funds = {"SPY", "ONEQ", "QQQ", "DIA", "IWM", "VTI"}
    assert not funds & {t for e in events.values() for t in e.tickers}


def test_day0_is_the_one_the_proposal_finds(articles: dict[str, Article]) -> None:
    for article in articles.values():
        proposed = propose_study(article, REFERENCE, comparison=False, peers=0).timing.day0
        assert article_day0(article) == proposed
        # Without the index's date, day 0 comes from the text, as the proposal's does.
        undated = replace(article, date=None, timing=None)
        assert article_day0(undated) == propose_study(undated, REFERENCE, peers=0).timing.day0


def test_the_index_date_wins_over_the_text(articles: dict[str, Article]) -> None:
    # Tuesday 28 January before the open: day 0 is that day, whatever the text says.
    moved = replace(articles[DEEPSEEK], date=dt.date(2025, 1, 28), timing="before_open")
    assert article_day0(moved) == dt.date(2025, 1, 28)
    # A Saturday after the close: the next session, Monday.
    weekend = replace(moved, date=dt.date(2025, 2, 1), timing="after_close")
    assert article_day0(weekend) == dt.date(2025, 2, 3)


def test_an_article_without_a_day_or_a_company_marks_nothing() -> None:
    aliases = {"nvidia": "NVDA"}
    no_day = Article("Nvidia news", "Nvidia said things.", None, None, "a.txt")
    no_company = Article(
        "Stocks fell", "Stocks fell on Monday, January 27, 2025.", None, None, "b.txt"
    )
    assert article_day0(no_day) is None
    assert article_events([no_day, no_company], aliases) == ()


def test_markers_of_the_charted_tickers_only(events: dict[str, ArticleEvent]) -> None:
    markers = news_markers(events.values(), ["NVDA", "SPY", "KO"])
    assert markers == (
        NewsMarker("NVDA", DAY0[SELLOFF], events[SELLOFF].headline, SELLOFF),
        NewsMarker("NVDA", DAY0[DEEPSEEK], events[DEEPSEEK].headline, DEEPSEEK),
    )
    # AAPL is named by two articles; a chart without it gets none of their AAPL markers.
    assert {m.article for m in news_markers(events.values(), ["AAPL"])} == {TARIFFS, SELLOFF}
    assert news_markers(events.values(), ["KO", "XOM"]) == ()
    assert news_markers(events.values(), []) == ()
