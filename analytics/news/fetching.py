"""An article from a web address: downloaded, then its text extracted with trafilatura.

Offline (or when the page cannot be had) the error says so in one line; nothing is stored.

>>> page = b"<html><head><title>Intel Plunges</title></head><body><article><h1>Intel Plunges</h1>"
>>> page += b"<p>After the closing bell on Thursday, August 1, 2024, Intel reported a loss.</p>"
>>> page += b"<p>Intel's shares plunged 26% on Friday, their worst day in fifty years.</p>"
>>> page += b"</article></body></html>"
>>> article = fetch_article("https://example.com/intel", download=lambda url, limit: page)
>>> article.headline, article.source
('Intel Plunges', 'https://example.com/intel')
"""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import urlsplit

from analytics.errors import DataError, SourceError, SpecError
from analytics.news.articles import MAX_ARTICLE_BYTES, Article, parse_article

__all__ = ["MAX_PAGE_BYTES", "Download", "fetch_article", "is_url"]

MAX_PAGE_BYTES = 5 * 2**20
"""Largest web page read (5 MiB); the extracted article must still fit the article limit."""
TIMEOUT_S = 15.0
Download = Callable[[str, int], bytes]
"""``(url, byte limit) -> page bytes``; raises :class:`SourceError` when it cannot."""


def is_url(text: str) -> bool:
    """Whether ``text`` is an ``http(s)://`` address (anything else is a file name)."""
    return urlsplit(text.strip()).scheme.lower() in {"http", "https"}


def _download(url: str, limit: int) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "aftershock (news reader)"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            page = response.read(limit + 1)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"url: cannot download {url} ({reason})") from exc
    if len(page) > limit:
        raise DataError(f"url: {url} is larger than {limit // 2**20} MiB; save the article as text")
    return page


def fetch_article(
    url: str,
    *,
    offline: bool = False,
    download: Download | None = None,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Article:
    """The article at ``url``: its title as the headline and its main text as the body.

    Parameters
    ----------
    url
        An ``http://`` or ``https://`` address.
    offline
        Refuse at once, saying what to do instead.
    download
        ``(url, limit) -> bytes`` (default: ``urllib`` with a 15 s timeout); tests inject one.
    max_bytes
        Limit of the extracted text.

    Raises
    ------
    SpecError
        Not a web address.
    SourceError
        Offline, or the page cannot be downloaded.
    DataError
        The page holds no article text.
    """
    if not is_url(url):
        raise SpecError(f"url: {url!r} is not an http(s):// address")
    if offline:
        raise SourceError(
            f"url: offline, cannot download {url}; save the article as a text file (first "
            "line the headline) and pass the file instead"
        )
    import trafilatura  # a heavy import, only for pages

    page = (download or _download)(url, MAX_PAGE_BYTES)
    extracted = trafilatura.bare_extraction(
        page.decode("utf-8", "replace"), url=url, include_comments=False, with_metadata=True
    )
    document = extracted.as_dict() if hasattr(extracted, "as_dict") else (extracted or {})
    text = (document.get("text") or "").strip()
    if not text:
        raise DataError(f"url: {url} holds no article text that could be extracted")
    title = (document.get("title") or "").strip()
    if title and text.split("\n", 1)[0].strip() == title:
        text = text.split("\n", 1)[1] if "\n" in text else ""
    article = parse_article(f"{title}\n{text}" if title else text, source=url, max_bytes=max_bytes)
    published = _date(document.get("date"))
    return Article(article.headline, article.body, None, None, url, published=published)


def _date(value: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
