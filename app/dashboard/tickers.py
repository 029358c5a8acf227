"""The ticker picker's index: every ticker the dashboard offers, with its company names.

Built once per process from the demo's tickers, the S&P 500 snapshot and the SEC list
(:meth:`TickerIndex.build`), searched by ticker and by the word prefixes of company names
(:meth:`TickerIndex.search`), so the picker never ships the whole SEC list to the page.

>>> import pandas as pd
>>> members = pd.DataFrame({"ticker": ["COST"], "name": ["Costco Wholesale"], "market_cap": [1.0]})
>>> sec = pd.DataFrame({"ticker": ["COST", "DIS"], "name": ["COSTCO CORP", "Walt Disney Co"]})
>>> index = TickerIndex.build(("SPY",), members, sec)
>>> [o["value"] for o in index.search("disney")], index.known("cost")
(['DIS'], 'COST')
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import pandas as pd

__all__ = ["TickerEntry", "TickerIndex"]

_NAME_CHARS: Final = 28


@dataclass(frozen=True)
class TickerEntry:
    """One ticker of the picker."""

    ticker: str
    label: str
    words: str
    """The company's names, lower case, words separated by single spaces, with a leading space."""
    rank: tuple[int, int]
    """S&P 500 members first (largest first), then the order given (the SEC's: by size)."""


def _words(name: str) -> str:
    """``"COSTCO WHOLESALE CORP /NEW"`` → ``"costco wholesale corp new"``."""
    return " ".join(re.findall(r"[a-z0-9]+", name.lower().replace("&", " and ")))


def _label(ticker: str, name: str) -> str:
    if not name:
        return ticker
    short = name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"
    return f"{ticker} · {short}"


@dataclass(frozen=True)
class TickerIndex:
    """The picker's tickers in the order they are offered."""

    entries: tuple[TickerEntry, ...]

    @classmethod
    def build(cls, first: Sequence[str], members: pd.DataFrame, sec: pd.DataFrame) -> TickerIndex:
        """The index of ``first`` (e.g. the demo's tickers), the S&P 500 ``members`` (``ticker``,
        ``name``, ``market_cap``) and the SEC list ``sec`` (``ticker``, ``name``).

        A company's label shows its S&P 500 name when it has one (``Costco Wholesale
        Corporation``), else the SEC title.
        """
        names: dict[str, list[str]] = {t: [] for t in first}
        caps = (
            members.sort_values("market_cap", ascending=False)
            if "market_cap" in members.columns
            else members
        )
        rank = {str(t): i for i, t in enumerate(caps["ticker"].astype(str))}
        for ticker, name in zip(members["ticker"].astype(str), members["name"], strict=True):
            if isinstance(name, str) and name:
                names.setdefault(ticker, []).append(name)
        for ticker, name in zip(sec["ticker"].astype(str), sec["name"].astype(str), strict=True):
            names.setdefault(ticker, []).append(name)
        return cls(
            tuple(
                TickerEntry(
                    ticker=ticker,
                    label=_label(ticker, known[0] if known else ""),
                    words=" " + " ".join(_words(n) for n in known),
                    rank=(0, rank[ticker]) if ticker in rank else (1, order),
                )
                for order, (ticker, known) in enumerate(names.items())
            )
        )

    def options(self) -> list[dict[str, str]]:
        """``{"value": ticker, "label": label}`` of every entry."""
        return [{"value": e.ticker, "label": e.label} for e in self.entries]

    def search(
        self, query: str | None, selected: Sequence[str] = (), *, limit: int = 40
    ) -> list[dict[str, str]]:
        """Options matching ``query``, plus the ``selected`` tickers (first).

        Matches are the ticker itself, tickers starting with ``query``, and companies one of
        whose names has a word starting with it ("costco", "disney", "exxon mobil"); case does
        not matter. S&P 500 members come first (exact ticker, ticker prefix, name; the largest
        first), then the other companies in the same order.
        """
        by_ticker = {e.ticker: e for e in self.entries}
        chosen = [
            {"value": t, "label": by_ticker[t].label if t in by_ticker else t} for t in selected
        ]
        text = (query or "").strip()
        if not text:
            matches = list(self.entries[:limit])
        else:
            upper = text.upper().replace(".", "-")
            words = " " + _words(text)

            def kind(entry: TickerEntry) -> int | None:
                if entry.ticker == upper:
                    return 0
                if entry.ticker.startswith(upper):
                    return 1
                return 2 if words.strip() and words in entry.words else None

            found = [(k, e) for e in self.entries if (k := kind(e)) is not None]
            found.sort(key=lambda pair: (pair[1].rank[0], pair[0], pair[1].rank[1]))
            matches = [e for _, e in found[:limit]]
        taken = set(selected)
        return chosen + [
            {"value": e.ticker, "label": e.label} for e in matches if e.ticker not in taken
        ]

    def known(self, text: str | None) -> str | None:
        """``text`` as a ticker of the index (``brk.b`` → ``BRK-B``), or None."""
        upper = (text or "").strip().upper().replace(".", "-")
        return upper if any(e.ticker == upper for e in self.entries) else None
