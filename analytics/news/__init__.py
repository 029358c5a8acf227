"""News: reading articles, cleaning their text, and finding event dates and companies in it.

Modules: :mod:`~analytics.news.articles` (read articles, cut paragraphs into display spans),
:mod:`~analytics.news.cleaning` (page noise, markup, glued sentences),
:mod:`~analytics.news.dates` (event dates written in a text) and
:mod:`~analytics.news.companies` (company names and tickers in a text).

May import: the standard library, :mod:`analytics.calendar`, :mod:`analytics.errors`,
:mod:`analytics.tickers` and :mod:`analytics.data.reference`; never ``analytics.study`` or ``app``.

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
