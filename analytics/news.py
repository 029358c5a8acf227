"""News articles: loading, cleaning, event dates and company mentions.

An article is plain text whose first non-empty line is the headline. :func:`clean_text` turns a
body into paragraphs without page noise; :func:`find_event_dates` and :func:`find_companies`
locate dates and companies in a text; :func:`highlight_spans` cuts a paragraph into plain, date
and company segments that the dashboard renders as separate text components (never as HTML).

>>> paragraphs = clean_text("Advertisements\\nNvidia fell on January 27, 2025.")
>>> paragraphs
['Nvidia fell on January 27, 2025.']
>>> [m.date.isoformat() for m in find_event_dates(paragraphs[0])]
['2025-01-27']
>>> [m.ticker for m in find_companies(paragraphs[0], {"nvidia": "NVDA"})]
['NVDA']
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Literal, TypeAlias

from analytics.calendar import TIMINGS
from analytics.errors import DataError, SpecError
from analytics.reference import yahoo_symbol

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

INDEX_FILE = "index.json"
MAX_ARTICLE_BYTES = 1_000_000
SpanKind: TypeAlias = Literal["plain", "date", "company"]


@dataclass(frozen=True)
class Article:
    """A news article as read.

    ``body`` is the text after the headline, less any scripts and styles (clean it with
    :func:`clean_text` for display). ``date`` and ``timing`` (one of
    :data:`analytics.calendar.TIMINGS`) are the event's, when known; ``source`` is the file
    name, or ``"pasted"``.
    """

    headline: str
    body: str
    date: dt.date | None
    timing: str | None
    source: str


@dataclass(frozen=True)
class DateMention:
    """A date written in a text (``text`` is the source's ``[start:end]``) and the date it names."""

    start: int
    end: int
    text: str
    date: dt.date


@dataclass(frozen=True)
class CompanyMention:
    """A company (or index) named in a text, as a name or a ticker, and its ticker."""

    start: int
    end: int
    text: str
    ticker: str


@dataclass(frozen=True)
class Span:
    """A segment of a paragraph: plain text, a date (``date`` set) or a company (``ticker`` set)."""

    text: str
    kind: SpanKind = "plain"
    date: dt.date | None = None
    ticker: str | None = None


# ---------------------------------------------------------------------------------------------
# Reading articles

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


# ---------------------------------------------------------------------------------------------
# Cleaning

_NOISE = re.compile(
    r"""
    (?: advertisements? | advertising | sponsored(?:\ content)? | promoted | ad
    | read\ more | continue\ reading | see\ more | show\ more | load\ more
    | share(?:\ this(?:\ article|\ story)?)? | share\ on\ \w+ | tweet | email | print
    | like\ this | like | related(?:\ articles|\ stories|\ posts)? | recommended(?:\ for\ you)?
    | loading(?:\.\.\.|…)? | skip\ to\ (?:main\ )?content | (?:sign\ up|subscribe)
    | (?:accept|reject)(?:\ all)?(?:\ cookies)? | cookie\ (?:settings|policy|preferences)
    | manage\ (?:cookies|preferences|consent)
    ) [\s:.!…]*
    | (?:we|this\ (?:site|website)|our\ (?:site|website))\ uses?\ cookies\b.{0,300}
    | by\ (?:continuing|using)\ (?:to\ (?:use|browse)\ )?(?:this|our)\ (?:site|website).{0,300}
    """,
    re.IGNORECASE | re.VERBOSE,
)
_HIDDEN = re.compile(
    r"<(script|style|noscript|template|iframe|svg|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|table|section|article|header|footer|blockquote|"
    r"figure|figcaption|aside|nav|main|pre|hr)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>|<![^<>]*>")
# Invisible format characters (zero-width, soft hyphen, bidi controls, BOM, tag characters).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]"
)
_WORD = re.compile(r"[A-Za-z]+")
_JOIN = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_WORD_END = re.compile(r"[a-z]{3}$|^[A-Z]{2,}s$")  # "approach", or a plural acronym ("GPUs")

PROTECTED_WORDS: frozenset[str] = frozenset(
    {
        "AlphaFold",
        "AstraZeneca",
        "AutoNation",
        "AutoZone",
        "BlackBerry",
        "BlackRock",
        "BlackSky",
        "BorgWarner",
        "ByteDance",
        "ChargePoint",
        "CoreWeave",
        "CrowdStrike",
        "DeepMind",
        "DeepSeek",
        "DigitalOcean",
        "DocuSign",
        "DoorDash",
        "DraftKings",
        "EchoStar",
        "ExxonMobil",
        "FactSet",
        "FirstEnergy",
        "GameStop",
        "GlobalFoundries",
        "HealthEquity",
        "InfiniBand",
        "InterDigital",
        "JavaScript",
        "LegalZoom",
        "LendingClub",
        "LinkedIn",
        "LiveRamp",
        "MarketAxess",
        "MarketWatch",
        "MediaTek",
        "MercadoLibre",
        "MicroStrategy",
        "MillerKnoll",
        "NerdWallet",
        "NextEra",
        "NortonLifeLock",
        "OpenText",
        "PepsiCo",
        "PlayStation",
        "PowerPoint",
        "QuantumScape",
        "RingCentral",
        "SalesForce",
        "SanDisk",
        "SentinelOne",
        "ServiceNow",
        "SharePoint",
        "SmartRent",
        "SoftBank",
        "SolarEdge",
        "SolarWinds",
        "SoundHound",
        "SunPower",
        "TransDigm",
        "TransUnion",
        "TripAdvisor",
        "UnitedHealth",
        "WhatsApp",
        "WisdomTree",
        "ZoomInfo",
    }
)
"""CamelCase names that :func:`clean_text` never splits as if two sentences had been joined.

Names whose inner capital follows fewer than three lower-case letters (``PayPal``, ``YouTube``,
``iPhone``, ``McDonald``) or precedes an upper-case letter (``OpenAI``, ``ChatGPT``) are never
candidates and need not be listed.
"""

# Words that begin sentences but rarely end a CamelCase name.
_STARTERS = frozenset(
    """
    According After Also Although Among An Analysts And Another Are As At Because Before
    Both But By Consequently Despite During Each Even Every Finally For From Furthermore He
    Her His How However If In Indeed Instead Investors Is It Its Last Many Meanwhile More
    Moreover Most Nevertheless No Nonetheless Not Now On Once Only Other Our Over Shares She
    Since So Some Still Such That The Their Then There Therefore These They This Those Though
    Thus To Under Unlike Until We What When Where Whether Which While Who Why With Within Yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _strip_html(text: str) -> str:
    """Text without markup or invisible characters: hidden blocks (scripts, styles) dropped,
    block tags made newlines.

    Invisible characters go first (after entities are decoded), so that one hidden inside a
    tag (``<`` + zero-width space + ``a href=...>``) cannot shield it from stripping.
    """
    text = _INVISIBLE.sub("", html.unescape(text))
    text = _HIDDEN.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    return _TAG.sub("", text)


def _clean_lines(lines: Iterable[str]) -> list[str]:
    """Non-empty lines without markup, invisible characters, repeated spaces or page noise."""
    out = []
    for raw in lines:
        for line in _strip_html(raw).split("\n"):
            line = " ".join(line.split())
            if line and not _NOISE.fullmatch(line):
                out.append(line)
    return out


def _split_joins(paragraph: str, counts: Counter[str], protected: frozenset[str]) -> str:
    """Restore the ". " lost between sentences glued together ("approachWhat")."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word.lower() in protected:
            return word
        parts = _JOIN.split(word)
        out = parts[0]
        for left, right in pairwise(parts):
            plausible_end = _WORD_END.search(left) is not None
            glued = plausible_end and (
                right in _STARTERS or word[0].islower() or (counts[word] == 1 and counts[left] > 0)
            )
            out += (". " if glued else "") + right
        return out

    return _WORD.sub(fix, paragraph)


def clean_text(text: str, *, protected: Collection[str] = ()) -> list[str]:
    """The paragraphs of an article body, without page noise.

    Each non-empty line is a paragraph. Cleaning removes HTML (the contents of ``<script>``,
    ``<style>`` and similar are dropped, entities decoded), invisible characters, runs of
    whitespace, lines of page noise ("Advertisements", "Read more", "Share this:", cookie
    banners, ...) and a paragraph repeating the one before it.

    Sentences glued together by scraping ("approachWhat initially") get their ". " back. A
    lower-case letter followed by a capitalised word inside a word is such a join when the left
    part ends with three lower-case letters (or is a plural acronym: "GPUsWhile") and either the
    right part is a common sentence opener ("The", "This", "It", ...), or the word starts in
    lower case ("industryQuestions"), or the word occurs only once in the text while its left
    part also occurs on its own ("ChinaEducational" next to "China"). Names that recur
    ("DeepSeek") are thus kept, as are :data:`PROTECTED_WORDS` and ``protected``.

    Parameters
    ----------
    text
        The article body (or any text).
    protected
        More CamelCase names never to split, e.g. company names of the study.
    """
    lines = _clean_lines([text.replace("\r\n", "\n")])
    counts = Counter(_WORD.findall("\n".join(lines)))
    keep = frozenset(w.lower() for w in (*PROTECTED_WORDS, *protected))
    paragraphs: list[str] = []
    for line in lines:
        paragraph = _split_joins(line, counts, keep)
        if not paragraphs or paragraphs[-1] != paragraph:
            paragraphs.append(paragraph)
    return paragraphs


# ---------------------------------------------------------------------------------------------
# Dates

_MONTHS: dict[str, int] = {
    **{m: i for i, m in enumerate(("january", "february", "march", "april", "may", "june"), 1)},
    **{m: i for i, m in enumerate(("july", "august", "september", "october"), 7)},
    "november": 11,
    "december": 12,
    **{m: i for i, m in enumerate(("jan", "feb", "mar", "apr"), 1)},
    **{"jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12},
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY = (
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)"
    r"\.?,?\s+"
)
_YEAR = r"(?:19|20)\d{2}"
# The dot of an abbreviated month is part of the date only when a number follows ("Jan. 27").
_DATE = re.compile(
    rf"""
    (?<![\w-])
    (?: (?P<iy>{_YEAR})-(?P<im>\d{{2}})-(?P<id>\d{{2}})(?![\d-])
      | (?:{_WEEKDAY})?(?P<m1>{_MONTH})\b(?:\.(?=\s*\d))?\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?
        (?!\w)(?:,?\s+(?P<y1>{_YEAR})(?!\w))?
      | (?:{_WEEKDAY})?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH})\b
        (?:\.(?=,?\s*\d))?(?:,?\s+(?P<y2>{_YEAR})(?!\w))?
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
_MONTH_YEAR = re.compile(rf"(?<![\w-])(?:{_MONTH})\b\.?,?\s+(?P<y>{_YEAR})(?!\w)", re.IGNORECASE)
_BARE_YEAR = re.compile(rf"(?<![\w$.,-]){_YEAR}(?![\w%]|[.,]\d)")


@dataclass(frozen=True)
class _Found:
    """A date pattern found in a text, before its year is resolved."""

    start: int
    end: int
    month: int
    day: int
    year: int | None


def _found(match: re.Match[str]) -> _Found | None:
    """The month, day and (explicit) year of a date match; None for a lower-case month."""
    if match.group("iy"):
        month, day, year = match.group("im", "id", "iy")
        return _Found(*match.span(), int(month), int(day), int(year))
    month_word, day, year = match.group("m1", "d1", "y1")
    if month_word is None:
        month_word, day, year = match.group("m2", "d2", "y2")
    if not month_word[0].isupper():  # "may 5" is a verb, not May 5
        return None
    explicit = int(year) if year else None
    return _Found(*match.span(), _MONTHS[month_word.lower()], int(day), explicit)


def _article_year(text: str) -> int | None:
    """The year an article mentions most (the latest of equally frequent ones)."""
    counts = Counter(int(m.group()) for m in _BARE_YEAR.finditer(text))
    return max(counts, key=lambda y: (counts[y], y)) if counts else None


def find_event_dates(text: str, *, default_year: int | None = None) -> list[DateMention]:
    """The calendar dates written in a text, in order of appearance.

    Recognised forms: ``January 27``, ``Jan. 27, 2025``, ``27 January 2025``, ``2025-01-27``,
    ``Monday, January 27`` (ordinals such as ``27th`` too; the month must be capitalised).
    A date without a year takes the nearest explicit year of the same paragraph (a dated
    mention such as "April 2, 2025" or "in January 2025", the closest before it first), else the
    year the text mentions most often (the latest on a tie), else ``default_year``; with none of
    these it is left out. Impossible dates (February 30) are left out.

    Parameters
    ----------
    text
        Cleaned text; offsets of the mentions refer to it.
    default_year
        Year for dates when the text gives none.
    """
    if default_year is not None and (
        isinstance(default_year, bool)
        or not isinstance(default_year, int)
        or not 1900 <= default_year <= 2100
    ):
        raise SpecError(f"default_year: {default_year!r} is not a year; pass e.g. 2025 or None")
    found = [f for m in _DATE.finditer(text) if (f := _found(m)) is not None]
    anchors = [(f.start, f.year) for f in found if f.year is not None]
    anchors += [(m.start(), int(m.group("y"))) for m in _MONTH_YEAR.finditer(text)]
    fallback = _article_year(text) or default_year
    mentions = []
    for f in found:
        year = f.year
        if year is None:
            paragraph = (text.rfind("\n", 0, f.start), _find(text, "\n", f.end))
            near = [
                (a > f.start, abs(a - f.start), y)
                for a, y in anchors
                if paragraph[0] < a < paragraph[1]
            ]
            year = min(near)[2] if near else fallback
        if year is None:
            continue
        try:
            date = dt.date(year, f.month, f.day)
        except ValueError:
            continue
        mentions.append(DateMention(f.start, f.end, text[f.start : f.end], date))
    return mentions


def _find(text: str, sub: str, start: int) -> int:
    """Position of ``sub`` in ``text`` from ``start``, or the length of the text."""
    position = text.find(sub, start)
    return len(text) if position < 0 else position


# ---------------------------------------------------------------------------------------------
# Companies

_CONNECTOR_WORDS = frozenset({"&", "and", "of", "the", "de", "du", "la", "for", "y"})
_TICKER = r"[A-Z]{1,5}(?:[.\-/][A-Z]{1,2})?"
_TICKER_FORMS = re.compile(
    rf"""
    (?<![\w$])\$(?P<cash>{_TICKER})(?![\w])
    | \(?\b(?:NASDAQ|Nasdaq|NYSE(?:\s+(?:American|Arca|MKT))?|AMEX|Cboe|CBOE|OTC(?:QX|QB)?|TSX)
      \s*:\s*(?P<listed>{_TICKER})\b\)?
    """,
    re.VERBOSE,
)


_Trie: TypeAlias = dict[str, "_Trie"]
_CHAR_REGEX = {" ": r"[\s\-]+", "'": "['’]"}


def _alias_key(name: str) -> str:
    """The form aliases are compared in: lower case, straight quotes, hyphens as spaces."""
    return " ".join(re.split(r"[\s\-]+", name.lower().replace("’", "'"))).strip()


@lru_cache(maxsize=8)
def _alias_matcher(items: frozenset[tuple[str, str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex over all aliases (a trie: longest first) and the alias -> ticker table."""
    table: dict[str, str] = {}
    for name, ticker in sorted(items):
        key = _alias_key(name)
        if re.search(r"[^\W_]", key):
            table.setdefault(key, yahoo_symbol(ticker))
    trie: _Trie = {}
    for key in table:
        node = trie
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}
    alternation = _trie_regex(trie) or r"(?!)"
    return re.compile(rf"(?<![\w$&@#])(?:{alternation})(?![\w&])", re.IGNORECASE), table


def _trie_regex(node: _Trie) -> str:
    """A regex for the keys below a trie node; longer keys are tried first.

    Sharing prefixes makes one pattern over thousands of names fast: at each character the
    engine follows one branch instead of trying every name.
    """
    branches = [
        _CHAR_REGEX.get(char, re.escape(char)) + _trie_regex(child)
        for char, child in sorted(node.items())
        if char
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if "" in node else body


def _name_shaped(text: str) -> bool:
    """Whether a match is written like a name: every word capitalised ("Arm", not "arm").

    Connector words ("of", "and") may be lower case; a word whose second letter is a capital
    ("eBay") counts as capitalised.
    """
    for word in re.split(r"[\s\-]+", text):
        if word.lower() in _CONNECTOR_WORDS or not word:
            continue
        if not (word[0].isupper() or not word[0].isalpha() or word[1:2].isupper()):
            return False
    return True


def _ends_word(text: str, end: int) -> bool:
    return end == len(text) or not (text[end].isalnum() or text[end] in "_&")


def _name_end(pattern: re.Pattern[str], text: str, start: int, end: int) -> int | None:
    """End of the longest alias match at ``start`` that is a whole word written like a name."""
    while not (_ends_word(text, end) and _name_shaped(text[start:end])):
        shorter = pattern.match(text, start, end - 1)
        if shorter is None or shorter.end() <= start:
            return None
        end = shorter.end()
    return end


def find_companies(
    text: str, aliases: Mapping[str, str], *, universe: Collection[str] | None = None
) -> list[CompanyMention]:
    """Companies named in a text, by name or by ticker, in order of appearance.

    Names are the keys of ``aliases`` (e.g. :func:`analytics.reference.company_aliases`),
    matched as whole words, case-insensitively but only where written like a name: each word
    capitalised ("Nvidia", "NVIDIA", "Bank of America"; not "arm" or "apple pie"). The longest
    alias wins ("Taiwan Semiconductor" over "Taiwan"); a possessive ("Nvidia's") counts; spaces
    and hyphens are interchangeable ("Coca-Cola"). Tickers count when written ``$NVDA`` or
    ``(NASDAQ: NVDA)`` and known: a value of ``aliases`` or a member of ``universe``.

    Parameters
    ----------
    text
        Cleaned text; offsets of the mentions refer to it.
    aliases
        Company names (any case) mapped to tickers.
    universe
        If given, only mentions of these tickers are kept.
    """
    pattern, table = _alias_matcher(frozenset(aliases.items()))
    allowed = None if universe is None else {yahoo_symbol(t) for t in universe}
    known = set(table.values()) | (allowed or set())
    mentions: list[CompanyMention] = []
    taken: list[tuple[int, int]] = []
    for match in _TICKER_FORMS.finditer(text):
        group = "cash" if match.group("cash") else "listed"
        ticker = yahoo_symbol(match.group(group))
        taken.append(match.span())
        if ticker in known:
            start = match.start() if group == "cash" else match.start(group)
            mentions.append(
                CompanyMention(start, match.end(group), text[start : match.end(group)], ticker)
            )
    position = 0
    while found := pattern.search(text, position):
        start = found.start()
        end = _name_end(pattern, text, start, found.end())
        # Unicode case folding can match text whose lower case is not the key ("İ"): skip it.
        named = None if end is None else table.get(_alias_key(text[start:end]))
        if end is None or named is None or any(a < end and start < b for a, b in taken):
            position = start + 1
            continue
        mentions.append(CompanyMention(start, end, text[start:end], named))
        position = end
    if allowed is not None:
        mentions = [m for m in mentions if m.ticker in allowed]
    return sorted(mentions, key=lambda m: m.start)


# ---------------------------------------------------------------------------------------------
# Highlighting


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
