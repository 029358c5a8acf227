"""News: reading articles, and what they say: event dates, companies, day 0, peers, claims.

Modules: :mod:`~analytics.news.articles` (read articles, cut paragraphs into display spans),
:mod:`~analytics.news.fetching` (an article from a web page),
:mod:`~analytics.news.cleaning` (page noise, markup, glued sentences),
:mod:`~analytics.news.dates` (event dates written in a text),
:mod:`~analytics.news.companies` (company names and tickers in a text),
:mod:`~analytics.news.markets` (indexes and "US stocks": market references, never companies),
:mod:`~analytics.news.mentions` (companies and market references, counted),
:mod:`~analytics.news.reading` (sentences with the days they name resolved),
:mod:`~analytics.news.timing` (day 0 and timing from the text),
:mod:`~analytics.news.peers` (industry peers by SIC code),
:mod:`~analytics.news.claims` (the article's market claims and their tolerance bands) and
:mod:`~analytics.news.checks` (each claim against the prices: a verdict).
:mod:`analytics.article_study` puts them together with a study.

May import: the standard library, the scientific stack, trafilatura (pages),
:mod:`analytics.calendar`, :mod:`analytics.errors`, :mod:`analytics.tickers` and
:mod:`analytics.data.reference`; never ``analytics.study`` or ``app``.

>>> from analytics.news import clean_text, find_event_dates
>>> [m.date.isoformat() for m in find_event_dates(clean_text("On January 27, 2025.")[0])]
['2025-01-27']
"""

from analytics.news.articles import (
    INDEX_FILE,
    MAX_ARTICLE_BYTES,
    Article,
    Span,
    SpanKind,
    highlight_spans,
    load_articles,
    parse_article,
)
from analytics.news.cleaning import PROTECTED_WORDS, clean_text
from analytics.news.companies import CompanyMention, find_companies
from analytics.news.dates import DateMention, find_event_dates

__all__ = [
    "INDEX_FILE",
    "MAX_ARTICLE_BYTES",
    "PROTECTED_WORDS",
    "Article",
    "CompanyMention",
    "DateMention",
    "Span",
    "SpanKind",
    "clean_text",
    "find_companies",
    "find_event_dates",
    "highlight_spans",
    "load_articles",
    "parse_article",
]
