"""Feeds: RSS and Atom items stored once in the news folder, read back as articles."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.errors import DataError, SpecError
from analytics.news import load_articles
from analytics.news.feeds import fetch_feed, read_feed, store_items
from tests.support import serving

RSS = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Wire</title>
<item><title>Intel Shares Crash After Dismal Forecast</title>
<link>https://example.com/intel</link><guid>wire-1</guid>
<pubDate>Fri, 02 Aug 2024 14:00:00 GMT</pubDate>
<description><![CDATA[<p>After the closing bell on Thursday, August 1, 2024, Intel reported a
loss.</p><p>Advertisements</p><p>Intel's shares plunged 26% on Friday.</p>]]></description></item>
<item><title>CrowdStrike Sinks</title><link>https://example.com/crwd</link>
<pubDate>Fri, 19 Jul 2024 12:00:00 GMT</pubDate>
<description>CrowdStrike's stock tumbled 11% on Friday, July 19, 2024.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom wire</title>
<entry><title>Nvidia Plunges</title><id>urn:atom:1</id>
<link href="https://example.com/nvda"/><updated>2025-01-27T21:00:00Z</updated>
<content type="html">&lt;p&gt;Nvidia fell 17% on Monday, January 27, 2025.&lt;/p&gt;</content>
</entry></feed>"""


def test_rss_items_are_read_and_cleaned() -> None:
    intel, crowdstrike = read_feed(RSS, name="wire")
    assert (intel.title, intel.id, intel.link, intel.published) == (
        "Intel Shares Crash After Dismal Forecast",
        "wire-1",
        "https://example.com/intel",
        dt.date(2024, 8, 2),
    )
    assert intel.text.splitlines() == [
        "After the closing bell on Thursday, August 1, 2024, Intel reported a loss.",
        "Intel's shares plunged 26% on Friday.",
    ]
    assert crowdstrike.id == "https://example.com/crwd"  # no guid: the link


def test_atom_content_is_read() -> None:
    [item] = read_feed(ATOM, name="atom")
    assert (item.title, item.id, item.published) == (
        "Nvidia Plunges",
        "urn:atom:1",
        dt.date(2025, 1, 27),
    )
    assert item.text == "Nvidia fell 17% on Monday, January 27, 2025."


def test_items_are_stored_once_with_an_index_entry(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "index.json").write_text(json.dumps({"articles": [{"file": "old.txt"}]}))
    (news / "old.txt").write_text("Old story\nNothing happened.\n")
    added = store_items(news, read_feed(RSS, name="wire"))
    assert added == [
        "2024-08-02-intel-shares-crash-after-dismal-forecast.txt",
        "2024-07-19-crowdstrike-sinks.txt",
    ]
    assert store_items(news, read_feed(RSS, name="wire")) == []  # the same items again
    index = json.loads((news / "index.json").read_text())["articles"]
    assert [e["file"] for e in index] == ["old.txt", *added]
    assert index[1] | {} == {
        "file": added[0],
        "title": "Intel Shares Crash After Dismal Forecast",
        "feed": "wire",
        "id": "wire-1",
        "url": "https://example.com/intel",
        "published": "2024-08-02",
    }
    articles = {a.source: a for a in load_articles(news)}
    assert articles[added[0]].headline == "Intel Shares Crash After Dismal Forecast"
    assert articles[added[0]].date is None  # the text proposes day 0


def test_same_title_gets_a_new_file_name(tmp_path: Path) -> None:
    first = store_items(tmp_path, read_feed(RSS, name="wire"))
    again = store_items(
        tmp_path,
        read_feed(RSS.replace(b"wire-1", b"wire-2").replace(b"/intel", b"/intel-2"), name="other"),
    )
    assert again == ["2024-08-02-intel-shares-crash-after-dismal-forecast-2.txt"]
    assert first[0] != again[0]


def test_not_a_feed_and_a_damaged_index_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="feed wire: not an RSS or Atom feed"):
        read_feed(b"<html><body>Not a feed <b></body>", name="wire")
    (tmp_path / "index.json").write_text("{not json")
    with pytest.raises(DataError, match="malformed"):
        store_items(tmp_path, read_feed(RSS, name="wire"))
    assert (tmp_path / "index.json").read_text() == "{not json"  # nothing changed
    assert list(tmp_path.glob("*.txt")) == []
    with pytest.raises(SpecError, match="not an http"):
        fetch_feed("file:///etc/passwd", name="local")


@pytest.fixture
def feed_server() -> Iterator[str]:
    with serving({"/rss": RSS, "/atom": ATOM}) as url:
        yield url


def test_feed_over_http(feed_server: str, tmp_path: Path) -> None:
    items = fetch_feed(f"{feed_server}/rss", name="wire")
    assert [i.id for i in items] == ["wire-1", "https://example.com/crwd"]
    assert len(store_items(tmp_path, fetch_feed(f"{feed_server}/atom", name="atom"))) == 1
