"""Companies named in a text, by name ("Nvidia") or by ticker ("$NVDA", "(NASDAQ: NVDA)").

>>> [m.ticker for m in find_companies("Nvidia fell.", {"nvidia": "NVDA"})]
['NVDA']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

from analytics.data.reference import yahoo_symbol

__all__ = ["CompanyMention", "find_companies"]


@dataclass(frozen=True)
class CompanyMention:
    """A company (or index) named in a text, as a name or a ticker, and its ticker."""

    start: int
    end: int
    text: str
    ticker: str


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

    Names are the keys of ``aliases`` (e.g. :func:`analytics.data.reference.company_aliases`),
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
