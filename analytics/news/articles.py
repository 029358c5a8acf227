"""News articles: reading pasted, uploaded or stored text, and cutting paragraphs for display.

An article is plain text whose first non-empty line is the headline. :func:`highlight_spans`
cuts a paragraph into plain, date and company segments that the dashboard renders as separate
text components (never as HTML).

>>> article = parse_article("Nvidia falls\\nShares fell on January 27, 2025.")
>>> article.headline
'Nvidia falls'
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeAlias

from analytics.calendar import TIMINGS
from analytics.errors import DataError, SpecError
from analytics.news.cleaning import _HIDDEN, _clean_lines
from analytics.news.companies import CompanyMention
from analytics.news.dates import DateMention

__all__ = [
    "INDEX_FILE",
    "MAX_ARTICLE_BYTES",
    "Article",
    "Span",
    "SpanKind",
    "highlight_spans",
    "load_articles",
    "parse_article",
]

INDEX_FILE = "index.json"
MAX_ARTICLE_BYTES = 1_000_000
SpanKind: TypeAlias = Literal["plain", "date", "company"]


@dataclass(frozen=True)
class Article:
    """A news article as read.

    ``body`` is the text after the headline, less any scripts and styles (clean it with
    :func:`clean_text` for display). ``date`` and ``timing`` (one of
    :data:`analytics.calendar.TIMINGS`) are the event's, when known; ``source`` is the file
    name, a web address, or ``"pasted"``; ``published`` is the page's own date, when known
    (it dates "Monday" and years the text leaves out, never the event itself).
    """

    headline: str
    body: str
    date: dt.date | None
    timing: str | None
    source: str
    published: dt.date | None = None


@dataclass(frozen=True)
class Span:
    """A segment of a paragraph: plain text, a date (``date`` set) or a company (``ticker`` set)."""

    text: str
    kind: SpanKind = "plain"
    date: dt.date | None = None
    ticker: str | None = None


_NOT_TEXT = (
    "it looks like a binary file (an image, PDF or Word document); paste or upload plain text"
)


def _decode(data: str | bytes, where: str, max_bytes: int) -> str:
    """Text from a string or UTF-8 bytes, with the size and binary checks of the boundary."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes <= 0:
        raise SpecError(f"max_bytes: {max_bytes!r} is not a positive number of bytes, e.g. 1000000")
    # A string longer than the limit in characters is over it in bytes too: no need to encode.
    size = len(data)
    if isinstance(data, str) and size <= max_bytes:
        size = len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise DataError(
            f"{where}: the text is larger than the limit of {max_bytes:,} bytes; "
            "paste only the article text, or raise max_bytes"
        )
    if isinstance(data, bytes):
        if b"\x00" in data:
            raise DataError(f"{where}: contains NUL bytes; {_NOT_TEXT}")
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DataError(
                f"{where}: is not UTF-8 text (byte {exc.start}); {_NOT_TEXT}, saved as UTF-8"
            ) from exc
    if "\x00" in data:
        raise DataError(f"{where}: contains NUL characters; {_NOT_TEXT}")
    return data.replace("\r\n", "\n").replace("\r", "\n")


def _headline(text: str, where: str) -> tuple[str, str]:
    """The first line that holds text once cleaned, and everything after it.

    Scripts, styles and comments are dropped first, as they may span lines.
    """
    lines = _HIDDEN.sub("", text).split("\n")
    for i, line in enumerate(lines):
        cleaned = _clean_lines([line])
        if cleaned:
            return cleaned[0], "\n".join(lines[i + 1 :])
    raise DataError(f"{where}: holds no text; the first non-empty line should be the headline")


def parse_article(
    text: str | bytes, *, source: str = "pasted", max_bytes: int = MAX_ARTICLE_BYTES
) -> Article:
    """An article from pasted or uploaded text: first non-empty line headline, the rest body.

    Parameters
    ----------
    text
        The text, or the bytes of an uploaded file (UTF-8).
    source
        Where it came from, kept on the article and named in errors.
    max_bytes
        Size limit in bytes (UTF-8).

    Raises
    ------
    DataError
        Text over the limit, binary data (NUL bytes, not UTF-8), or no text at all.
    SpecError
        A ``max_bytes`` that is not a positive integer.
    """
    headline, body = _headline(_decode(text, source, max_bytes), source)
    return Article(headline=headline, body=body, date=None, timing=None, source=source)


def _index_entries(index: Path) -> list[tuple[str, dt.date | None, str | None]]:
    """``(file, event date, timing)`` of each article listed in ``index.json``."""
    if not index.is_file():
        raise DataError(f"news_dir: {index} does not exist; pass the folder holding {INDEX_FILE}")
    try:
        listed = json.loads(index.read_bytes())["articles"]
        entries = [dict(entry) for entry in listed]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f'{index.name}: malformed ({exc!r}); expected {{"articles": [{{"file": ..., '
            '"event_date": "YYYY-MM-DD", "timing": "before_open"}, ...]}'
        ) from exc
    out: list[tuple[str, dt.date | None, str | None]] = []
    for entry in entries:
        name, day, timing = entry.get("file"), entry.get("event_date"), entry.get("timing")
        if not isinstance(name, str) or Path(name).name != name or not name:
            raise DataError(f"{index.name}: file {name!r} is not a file name in the news folder")
        try:
            date = None if day is None else dt.date.fromisoformat(str(day))
        except ValueError as exc:
            raise DataError(
                f"{index.name}: event_date {day!r} of {name} is not a date; use YYYY-MM-DD"
            ) from exc
        if timing is not None and timing not in TIMINGS:
            raise DataError(
                f"{index.name}: timing {timing!r} of {name} is not one of {', '.join(TIMINGS)}"
            )
        out.append((name, date, timing))
    return out


def load_articles(news_dir: Path, *, max_bytes: int = MAX_ARTICLE_BYTES) -> list[Article]:
    """The articles of a news folder: those listed in ``index.json``, then any other ``*.txt``.

    Listed articles carry the index's ``event_date`` and ``timing``; other text files are loaded
    with neither. Each file's first non-empty line is the headline.

    Raises
    ------
    DataError
        A missing or malformed ``index.json``, a listed file that is missing, binary or empty.
    """
    folder = Path(news_dir)
    entries = _index_entries(folder / INDEX_FILE)
    listed = {name for name, _, _ in entries}
    extra = sorted(p.name for p in folder.glob("*.txt") if p.is_file() and p.name not in listed)
    articles = []
    for name, date, timing in [*entries, *((n, None, None) for n in extra)]:
        path = folder / name
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise DataError(f"{name}: cannot be read ({exc.strerror}); check {path}") from exc
        headline, body = _headline(_decode(data, name, max_bytes), name)
        articles.append(Article(headline, body, date, timing, name))
    return articles


def highlight_spans(
    paragraph: str,
    dates: Sequence[DateMention],
    companies: Sequence[CompanyMention],
    *,
    offset: int = 0,
) -> list[Span]:
    """Cut a paragraph into plain, date and company segments, in order.

    The segments' texts concatenate to the paragraph. Mentions overlapping an earlier one (or a
    longer one starting at the same place) are left plain; mentions outside the paragraph are
    ignored, so the mentions of a whole article can be passed with each paragraph's ``offset``.

    Parameters
    ----------
    paragraph
        The text to cut.
    dates, companies
        Mentions found by :func:`find_event_dates` and :func:`find_companies`.
    offset
        Position of ``paragraph`` in the text the mentions were found in.

    Raises
    ------
    SpecError
        A mention inside the paragraph whose text differs from the paragraph's at its place.
    """
    marks: list[DateMention | CompanyMention] = [*dates, *companies]
    marks.sort(key=lambda m: (m.start, m.start - m.end))
    spans: list[Span] = []
    cursor = 0
    for mark in marks:
        start, end = mark.start - offset, mark.end - offset
        if start < cursor or end > len(paragraph):
            continue
        if paragraph[start:end] != mark.text:
            raise SpecError(
                f"mention {mark.text!r} at {mark.start} does not match the paragraph there "
                f"({paragraph[start:end]!r}); pass offset= the paragraph's position in the "
                "text the mentions were found in"
            )
        if start > cursor:
            spans.append(Span(paragraph[cursor:start]))
        if isinstance(mark, DateMention):
            spans.append(Span(mark.text, "date", date=mark.date))
        else:
            spans.append(Span(mark.text, "company", ticker=mark.ticker))
        cursor = end
    if cursor < len(paragraph):
        spans.append(Span(paragraph[cursor:]))
    return spans
