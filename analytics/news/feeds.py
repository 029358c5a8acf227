"""News feeds (RSS or Atom): new items stored in the news folder, each with an index entry.

An item is stored once: its ``id`` (the feed's guid, else its link) is kept in the index entry,
so a second read of the same feed adds nothing. Files are written atomically, the index last,
so a crash leaves at worst an unlisted text file (loaded as an unlisted article), never a
damaged index.

>>> rss = b'''<rss version="2.0"><channel><title>Wire</title><item><title>Intel sinks</title>
... <link>https://example.com/intel</link><guid>wire-1</guid>
... <pubDate>Fri, 02 Aug 2024 14:00:00 GMT</pubDate>
... <description>Intel's shares plunged 26% on Friday.</description></item></channel></rss>'''
>>> [(i.title, i.id, str(i.published)) for i in read_feed(rss, name="wire")]
[('Intel sinks', 'wire-1', '2024-08-02')]
"""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from analytics.atomic import write_atomic
from analytics.errors import DataError, SourceError, SpecError
from analytics.news.articles import INDEX_FILE
from analytics.news.cleaning import clean_text

__all__ = ["MAX_FEED_BYTES", "FeedItem", "fetch_feed", "read_feed", "store_items"]

MAX_FEED_BYTES = 10 * 2**20
"""Largest feed document read (10 MiB)."""
_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class FeedItem:
    """An item of a feed: its title, text (cleaned), link, id and publication date."""

    feed: str
    id: str
    title: str
    text: str
    link: str | None
    published: dt.date | None


def read_feed(data: bytes, *, name: str) -> list[FeedItem]:
    """The items of an RSS or Atom document (``name`` names the feed in messages).

    Raises
    ------
    DataError
        Not a feed (no items, and a parse error or no RSS/Atom element), e.g. an HTML page.
    """
    import feedparser  # parses RSS 0.9x-2.0 and Atom, tolerant of real-world feeds

    parsed = feedparser.parse(data)
    if not parsed.entries and (parsed.get("bozo") or not parsed.get("version")):
        why = parsed.get("bozo_exception") or "no feed element: a web page?"
        raise DataError(f"feed {name}: not an RSS or Atom feed ({why!s:.100})")
    items = []
    for entry in parsed.entries:
        title = " ".join(str(entry.get("title", "")).split())
        body = ""
        if entry.get("content"):
            body = str(entry["content"][0].get("value", ""))
        body = body or str(entry.get("summary", ""))
        if re.search(r"<[a-zA-Z]", body):  # HTML: only block tags end a paragraph
            body = re.sub(r"\s+", " ", body)
        text = "\n".join(clean_text(body))
        link = entry.get("link") or None
        ident = str(entry.get("id") or link or title)
        if not title or not ident:
            continue
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        published = dt.date(*stamp[:3]) if stamp else None
        items.append(FeedItem(name, ident, title, text, link, published))
    return items


def fetch_feed(
    url: str, *, name: str, download: Callable[[str, str], bytes] | None = None
) -> list[FeedItem]:
    """The items of the feed ``name`` at ``url`` (``download(url, name)`` defaults to
    ``urllib``, 15 s timeout).

    Raises
    ------
    SpecError
        Not an ``http(s)://`` address (a ``file:`` address would read this machine's files).
    """
    if urlsplit(url).scheme.lower() not in {"http", "https"}:
        raise SpecError(f"feed {name}: url {url!r} is not an http(s):// address")
    return read_feed((download or _download)(url, name), name=name)


def _download(url: str, name: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "aftershock (news watch)"})
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response:
            data: bytes = response.read(MAX_FEED_BYTES + 1)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SourceError(f"feed {name}: cannot download {url} ({reason})") from exc
    if len(data) > MAX_FEED_BYTES:
        raise DataError(f"feed {name}: {url} is larger than {MAX_FEED_BYTES // 2**20} MiB")
    return data


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:60].rstrip("-") or "item"


def _index(folder: Path) -> dict[str, list[dict[str, object]]]:
    path = folder / INDEX_FILE
    if not path.exists():
        return {"articles": []}
    try:
        index = json.loads(path.read_bytes())
        if not isinstance(index.get("articles"), list):
            raise TypeError("no 'articles' list")
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        raise DataError(
            f"{path}: malformed ({exc}); fix or move it before storing feed items"
        ) from exc
    return index


def store_items(news_dir: Path | str, items: Sequence[FeedItem]) -> list[str]:
    """Store the items not stored before as ``<date>-<slug>.txt`` files (headline first line)
    with an index entry each (``file``, ``title``, ``feed``, ``id``, ``url``, ``published``;
    no ``event_date``: the text proposes day 0). Returns the new file names."""
    folder = Path(news_dir)
    folder.mkdir(parents=True, exist_ok=True)
    index = _index(folder)
    entries = index["articles"]
    seen = {(e.get("feed"), e.get("id")) for e in entries} | {
        (None, e.get("url")) for e in entries if e.get("url")
    }
    names = {str(e.get("file")) for e in entries} | {p.name for p in folder.glob("*.txt")}
    added: list[str] = []
    for item in items:
        if (item.feed, item.id) in seen or (item.link and (None, item.link) in seen):
            continue
        stem = f"{item.published or 'undated'}-{_slug(item.title)}"
        name, n = f"{stem}.txt", 1
        while name in names:
            n += 1
            name = f"{stem}-{n}.txt"
        write_atomic(folder / name, f"{item.title}\n{item.text}\n".encode())
        entries.append(
            {
                "file": name,
                "title": item.title,
                "feed": item.feed,
                "id": item.id,
                "url": item.link,
                "published": None if item.published is None else item.published.isoformat(),
            }
        )
        seen.add((item.feed, item.id))
        names.add(name)
        added.append(name)
    if added:
        text = json.dumps(index, indent=2, ensure_ascii=False) + "\n"
        write_atomic(folder / INDEX_FILE, text.encode(), sync_dir=True)
    return added
