"""Who an article names: companies (by name or ticker) and market references, counted.

A company named inside a market reference is not a mention ("Nasdaq" in "the Nasdaq
Composite", "S&P" in "the S&P 500"): indexes are benchmark candidates, never companies.

>>> [(m.name, m.kind, m.count) for m in find_mentions(
...     "Nvidia fell; the Nasdaq Composite slid. Nvidia's rivals rose.",
...     {"nvidia": "NVDA", "nasdaq": "NDAQ"}, {"NVDA": "NVIDIA Corporation"})]
[('NVIDIA Corporation', 'company', 2), ('Nasdaq Composite', 'index', 1)]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

from analytics.news.companies import find_companies
from analytics.news.markets import find_markets

__all__ = ["Mention", "MentionKind", "find_mentions", "find_subjects"]

MentionKind: TypeAlias = Literal["company", "index"]


@dataclass(frozen=True)
class Mention:
    """A company or market reference an article names, how often, and where first.

    ``ticker`` is the company's, or the fund standing in for an index (None when the data
    holds none, e.g. the Nikkei 225).
    """

    ticker: str | None
    name: str
    kind: MentionKind
    count: int
    first: int


def find_subjects(
    text: str, aliases: Mapping[str, str], names: Mapping[str, str]
) -> list[tuple[int, int, str | None, str, MentionKind]]:
    """``(start, end, ticker, name, kind)`` of each company and market reference in a text."""
    markets = find_markets(text)
    spans: list[tuple[int, int, str | None, str, MentionKind]] = [
        (m.start, m.end, m.proxy, m.name, "index") for m in markets
    ]
    for company in find_companies(text, aliases):
        if any(m.start < company.end and company.start < m.end for m in markets):
            continue
        name = names.get(company.ticker, company.text)
        spans.append((company.start, company.end, company.ticker, name, "company"))
    return sorted(spans)


def find_mentions(
    text: str | Sequence[str], aliases: Mapping[str, str], names: Mapping[str, str]
) -> list[Mention]:
    """The companies and market references of a text (or its paragraphs), in order of first
    appearance, each once with its count.

    Parameters
    ----------
    text
        Cleaned text, or its paragraphs.
    aliases
        Company names (any case) mapped to tickers
        (:func:`analytics.data.reference.company_aliases`).
    names
        Display name of each ticker (the reference's company names); else the text's words.
    """
    joined = text if isinstance(text, str) else "\n".join(text)
    seen: dict[tuple[MentionKind, str | None, str], list] = {}
    for start, _end, ticker, name, kind in find_subjects(joined, aliases, names):
        # A company is one mention whatever name it goes by; an index is one per name.
        key = (kind, ticker, name if kind == "index" else "")
        entry = seen.setdefault(key, [name, 0, start])
        entry[1] += 1
    return [
        Mention(ticker, name, kind, count, first)
        for (kind, ticker, _), (name, count, first) in sorted(seen.items(), key=lambda i: i[1][2])
    ]
