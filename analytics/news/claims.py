"""The quantitative market claims of an article: subject, direction, magnitude, unit and day.

"Apple dropped roughly 9 percent", "the S&P 500 lost nearly 6 percent more", "a loss of
hundreds of billions in market capitalization", "US Stocks Shed Trillions". Each claim keeps
its qualifier ("about", "nearly", "more than", none), which sets the band a measured value
must fall in (see :func:`claim_band`); checking against the data is
:mod:`analytics.news.checks`' job.

>>> from analytics.news.reading import read_article
>>> [claim] = find_claims(read_article("Apple slides", ["Apple fell about 9% on April 3, 2025."]),
...                        subjects=lambda text: [(0, 5, "AAPL", "Apple", "company")])
>>> claim.ticker, claim.direction, claim.magnitude, claim.unit, claim.qualifier, str(claim.day)
('AAPL', 'down', 9.0, 'percent', 'about', '2025-04-03')
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from analytics.news.reading import Sentence

__all__ = [
    "Claim",
    "Direction",
    "Qualifier",
    "SubjectFinder",
    "Unit",
    "claim_band",
    "find_claims",
]

Direction: TypeAlias = Literal["up", "down"]
Unit: TypeAlias = Literal["percent", "usd"]
Qualifier: TypeAlias = Literal["exact", "about", "nearly", "at_least", "at_most", "range"]
SubjectKind: TypeAlias = Literal["company", "index", "group", "none"]
# (start, end, ticker or None, name, kind) of each company or market reference in a text.
SubjectFinder: TypeAlias = Callable[[str], Sequence[tuple[int, int, str | None, str, str]]]


@dataclass(frozen=True)
class Claim:
    """A market claim of an article.

    ``magnitude`` is in percent (``9.0`` for 9%) or US dollars; ``low``/``high`` bound what
    the claim allows (same unit, ``high`` may be infinite). ``ticker`` is the measured
    security (a company, or the fund standing in for an index; None when the data cannot
    measure the subject) and ``kind`` says which. ``day`` is the trading day claimed.
    """

    text: str
    subject: str
    ticker: str | None
    kind: SubjectKind
    day: dt.date | None
    direction: Direction
    magnitude: float
    unit: Unit
    qualifier: Qualifier
    low: float
    high: float
    since: dt.date | None = None


_QUALIFIERS: dict[str, Qualifier] = {
    **dict.fromkeys(
        ("about", "roughly", "around", "approximately", "some", "an estimated", "close to"),
        "about",
    ),
    **dict.fromkeys(("nearly", "almost", "just under", "just shy of", "up to"), "nearly"),
    **dict.fromkeys(
        ("more than", "over", "above", "at least", "upwards of", "just over", "in excess of"),
        "at_least",
    ),
    **dict.fromkeys(("less than", "under", "below", "as much as"), "at_most"),
}
_QUALIFIER = "|".join(sorted((re.escape(q) for q in _QUALIFIERS), key=len, reverse=True))
_NUMBER = r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = {"trillion": 1e12, "tn": 1e12, "billion": 1e9, "bn": 1e9, "million": 1e6, "mn": 1e6}
_MAGNITUDE = re.compile(
    rf"""
    (?:(?P<q>{_QUALIFIER})\s+(?:a\s+)?)?
    (?:
      (?P<pct>{_NUMBER})\s*(?:%|\s(?:percent|per\s+cent)\b)
    | \$\s?(?P<usd>{_NUMBER})\s*(?P<scale>trillion|billion|million|tn|bn|mn|[TBM])\b
    | (?P<usd2>{_NUMBER})\s+(?P<scale2>trillion|billion|million)\s+(?=(?:US\s+)?dollars|USD
        |(?:in|of)\s+(?:its\s+|their\s+)?(?:market\s+(?:value|cap)))
    | (?P<vague>(?:several\s+|a\s+few\s+)?(?:trillions|hundreds\s+of\s+billions|tens\s+of\s+billions
        |billions|hundreds\s+of\s+millions))\b(?:\s+of\s+dollars)?
    | (?P<digits>double|triple)[-\s]digit
    )
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Vague amounts as bands (plural "hundreds" means at least two hundred).
_VAGUE: dict[str, tuple[float, float, float]] = {
    "trillions": (2e12, math.inf, 2e12),
    "hundreds of billions": (2e11, 1e12, 2e11),
    "tens of billions": (2e10, 1e11, 2e10),
    "billions": (2e9, 1e10, 2e9),
    "hundreds of millions": (2e8, 1e9, 2e8),
}
_DOWN = (
    r"fell|fall(?:s|ing)?|dropped|drops?|dropping|plunge[sd]?|plunging|sank|sink(?:s|ing)?|slid"
    r"|slides?|sliding|tumbled?|tumbles|tumbling|lost|los(?:e|es|ing)|loss(?:es)?|shed(?:s|ding)?"
    r"|declined?|declines|declining|slump(?:ed|s)?|crash(?:ed|es)?|tank(?:ed|s)?|sold\s+off"
    r"|plummet(?:ed|s|ing)?|retreated|down|lower|wip(?:ed|es|ing)(?:\s+(?:out|off))?|eras(?:ed|es|ing)"
    r"|dip(?:ped|s)?"
    r"|sheds|cratered|dived|dove|decreased?|slipped|slips?|skid(?:ded)?"
)
_UP = (
    r"rose|rise[sn]?|rising|gained|gains?|gaining|jump(?:ed|s|ing)?|surge[sd]?|surging"
    r"|soar(?:ed|s|ing)?|rall(?:ied|ies|y|ying)|climb(?:ed|s|ing)?|advanced?|added|adds?|up"
    r"|higher|spiked|rebound(?:ed|s)?|popped|increased?|leapt|leaped"
)
_DIRECTION = re.compile(rf"\b(?:(?P<down>{_DOWN})|(?P<up>{_UP}))\b", re.IGNORECASE)
# What a number in a clause may measure besides a share price: those are not market claims.
_NOT_PRICE = re.compile(
    r"\b(?:revenue|sales|profit|earnings|income|guidance|margins?|EPS|forecast|GDP|inflation"
    r"|unemployment|jobs|payrolls|yields?|rates?|tariffs?|duties|tax(?:es)?|stake|dividend"
    r"|workforce|employees|staff|layoffs|volume|prices\s+of\s+goods|oil|gold|bitcoin)\b",
    re.IGNORECASE,
)
_NOT_PRICE_AFTER = re.compile(
    rf"\s*(?:of|in|on)\s+(?:its\s+|their\s+|the\s+|all\s+)?(?:\w+\s+)?{_NOT_PRICE.pattern}",
    re.IGNORECASE,
)
_MARKET_SUBJECT = re.compile(
    r"\b(?:stocks|equities|the\s+(?:stock\s+)?market|stock\s+markets?|markets|Wall\s+Street)\b",
    re.IGNORECASE,
)
_GROUP_SUBJECT = re.compile(
    r"\b(?:\w+ers|\w+ies|companies|firms|makers|chipmakers|producers|banks|lenders|airlines"
    r"|insurers|sectors|peers|rivals|names|utilities|miners|brands|groups|stocks\s+of)\b",
    re.IGNORECASE,
)
_CUMULATIVE = re.compile(
    r"\b(?:by\s+then|so\s+far|in\s+all|altogether|combined|cumulative(?:ly)?"
    r"|(?:in|over)\s+(?:the\s+)?(?:two|three|four|five|\d+)\s+(?:days|sessions|trading\s+days)"
    r"|(?:two|three|four|five)-day)\b",
    re.IGNORECASE,
)
_CLAUSE = re.compile(r"[;:]|,\s*(?:and|but|while|as|whereas)?\s*|\s+(?:and|but|while|whereas)\s+")


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


def claim_band(
    magnitude: float, unit: Unit, qualifier: Qualifier, decimals: int = 0
) -> tuple[float, float]:
    """The values a claim allows (same unit as ``magnitude``, a size, never negative).

    Percent claims (``t`` = max(0.5 points, 15% of the claim)):

    - ``about`` ("about", "roughly", "around", "approximately"): claim ± ``t``;
    - ``nearly`` ("nearly", "almost", "just under"): claim − ``t`` .. claim + 0.1 point;
    - ``at_least`` ("more than", "over"): from claim − 0.1 point up;
    - ``at_most`` ("less than", "as much as"): up to claim + 0.1 point;
    - ``exact`` (a bare number): claim ± (max(0.25 point, 5% of the claim) + half a unit of its
      last written digit: 0.5 for "26%", 0.05 for "3.0%").

    Dollar claims use relative bands: ± 15% (about), −15%..+2% (nearly), ± 10% (a bare number).

    >>> claim_band(4.8, "percent", "about", 1)
    (4.08, 5.52)
    """
    if unit == "usd":
        relative = {"about": (0.85, 1.15), "nearly": (0.85, 1.02), "exact": (0.9, 1.1)}
        low, high = relative.get(qualifier, (0.98, 1.02))
        if qualifier == "at_least":
            return magnitude * 0.98, math.inf
        if qualifier == "at_most":
            return 0.0, magnitude * 1.02
        return magnitude * low, magnitude * high
    tolerance = max(0.5, 0.15 * magnitude)
    if qualifier == "about":
        band = (magnitude - tolerance, magnitude + tolerance)
    elif qualifier == "nearly":
        band = (magnitude - tolerance, magnitude + 0.1)
    elif qualifier == "at_least":
        band = (magnitude - 0.1, math.inf)
    elif qualifier == "at_most":
        band = (0.0, magnitude + 0.1)
    else:
        slack = max(0.25, 0.05 * magnitude) + 0.5 * 10.0**-decimals
        band = (magnitude - slack, magnitude + slack)
    return round(max(band[0], 0.0), 10), round(band[1], 10)


@dataclass(frozen=True)
class _Amount:
    start: int
    end: int
    magnitude: float
    unit: Unit
    qualifier: Qualifier
    low: float
    high: float


def _amount(match: re.Match[str]) -> _Amount:
    qualifier: Qualifier = _QUALIFIERS[match.group("q").lower()] if match.group("q") else "exact"
    if match.group("pct"):
        number = match.group("pct").replace(",", "")
        value = float(number)
        low, high = claim_band(value, "percent", qualifier, _decimals(number))
        return _Amount(*match.span(), value, "percent", qualifier, low, high)
    if match.group("usd") or match.group("usd2"):
        number, scale = (
            match.group("usd", "scale") if match.group("usd") else match.group("usd2", "scale2")
        )
        scale = scale.lower()
        factor = _SCALE.get(scale) or {"t": 1e12, "b": 1e9, "m": 1e6}[scale]
        value = float(number.replace(",", "")) * factor
        low, high = claim_band(value, "usd", qualifier)
        return _Amount(*match.span(), value, "usd", qualifier, low, high)
    if match.group("digits"):
        low, high = (
            (10.0, 100.0) if match.group("digits").lower() == "double" else (100.0, math.inf)
        )
        return _Amount(*match.span(), low, "percent", "range", low, high)
    vague = re.sub(r"\s+", " ", match.group("vague").lower())
    vague = re.sub(r"^(?:several|a few) ", "", vague)
    low, high, value = _VAGUE[vague]
    return _Amount(*match.span(), value, "usd", "range", low, high)


def _not_price(clause: str, amount: _Amount) -> bool:
    """Whether the amount measures something else than a price: "revenue rose 20%", "cut 15%
    of its workforce", "tariffs of 34%"."""
    return bool(
        _NOT_PRICE.search(clause, 0, amount.start) or _NOT_PRICE_AFTER.match(clause, amount.end)
    )


def _clauses(sentence: str) -> list[tuple[int, int]]:
    cuts = [0]
    for match in _CLAUSE.finditer(sentence):
        cuts += [match.start(), match.end()]
    cuts.append(len(sentence))
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2) if cuts[i] < cuts[i + 1]]


@dataclass(frozen=True)
class _Subject:
    name: str
    ticker: str | None
    kind: SubjectKind


_NO_SUBJECT = _Subject("", None, "none")


def _direction(clause: str, amount_at: int) -> tuple[Direction, int] | None:
    """The direction word nearest before the amount (else the first after it) and its start."""
    before = [m for m in _DIRECTION.finditer(clause, 0, amount_at)]
    after = [m for m in _DIRECTION.finditer(clause, amount_at)]
    found = before[-1] if before else (after[0] if after else None)
    if found is None:
        return None
    return ("down" if found.group("down") else "up"), found.start()


def _day(
    sentence: Sentence, clause: tuple[int, int], at: int, fallback: dt.date | None
) -> dt.date | None:
    """The day a claim at ``at`` of the sentence speaks of: a day named in its clause (the
    nearest before it, else after it), else named earlier in the sentence, else the story's
    running date, else a day named later in the sentence, else ``fallback``."""
    inside = [p for p in sentence.phrases if clause[0] <= p.start < clause[1]]
    before = [p.date for p in sentence.phrases if p.start <= at]
    after = [p.date for p in sentence.phrases if p.start > at]
    if inside:
        earlier = [p.date for p in inside if p.start <= at]
        return earlier[-1] if earlier else inside[0].date
    if before:
        return before[-1]
    return sentence.context or (after[0] if after else fallback)


def find_claims(
    sentences: Sequence[Sentence], *, subjects: SubjectFinder, day0: dt.date | None = None
) -> list[Claim]:
    """The market claims of an article, in reading order.

    A claim is an amount (a percentage, a dollar figure, "trillions", "double-digit") with a
    direction word ("fell", "jumped", "loss") in the same clause, about a share price or
    market value (an amount next to "revenue", "tariffs", "yields" ... is not). Its subject is
    the company or market reference written nearest before it in the clause; a clause without
    one ("lost nearly 6 percent more") keeps the sentence's or the previous claim's subject;
    "stocks" or "markets" alone mean US stocks; a group ("apparel retailers") cannot be
    measured. Its day is the day named nearest before it in the sentence, else the story's
    running date, else ``day0`` (the headline's claims speak of day 0); a move "by then" or
    "over two days" runs from ``day0`` to that day.

    Parameters
    ----------
    sentences
        The article read by :func:`~analytics.news.reading.read_article`.
    subjects
        Finds the companies and market references of a text:
        ``(start, end, ticker, name, kind)`` each.
    day0
        The study's day 0, for claims the text does not date.
    """
    claims: list[Claim] = []
    previous = _NO_SUBJECT
    for sentence in sentences:
        text = sentence.text
        found = sorted(subjects(text), key=lambda s: s[0])
        carried: Direction | None = None  # "the S&P 500 lost 3% and the Nasdaq 3.4%"
        for start, end in _clauses(text):
            clause = text[start:end]
            for match in _MAGNITUDE.finditer(clause):
                amount = _amount(match)
                direction = _direction(clause, amount.start)
                if direction is None and carried is not None:
                    direction = (carried, amount.start)
                if direction is None or _not_price(clause, amount):
                    continue
                carried = direction[0]
                named = [s for s in found if start <= s[0] and s[1] <= start + amount.start]
                prefix = clause[: min(direction[1], amount.start)]
                if named:
                    _, _, ticker, name, kind = named[-1]
                    subject = _Subject(name, ticker, kind)  # type: ignore[arg-type]
                elif _MARKET_SUBJECT.search(prefix):
                    subject = _Subject("US stocks", "VTI", "index")
                elif group := _GROUP_SUBJECT.search(prefix):
                    subject = _Subject(prefix[: group.end()].strip(), None, "group")
                else:
                    earlier = [s for s in found if s[1] <= start + amount.start]
                    if earlier:
                        _, _, ticker, name, kind = earlier[-1]
                        subject = _Subject(name, ticker, kind)  # type: ignore[arg-type]
                    else:
                        subject = previous
                day = (
                    day0
                    if sentence.is_headline
                    else _day(sentence, (start, end), start + amount.start, day0)
                )
                since = None
                if _CUMULATIVE.search(clause) and day0 is not None and day and day0 < day:
                    since = day0
                previous = subject
                claims.append(
                    Claim(
                        text=text,
                        subject=subject.name or "(no subject)",
                        ticker=subject.ticker,
                        kind=subject.kind,
                        day=day,
                        direction=direction[0],
                        magnitude=amount.magnitude,
                        unit=amount.unit,
                        qualifier=amount.qualifier,
                        low=amount.low,
                        high=amount.high,
                        since=since,
                    )
                )
    return claims
