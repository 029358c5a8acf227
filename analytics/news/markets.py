"""Market references named in a text: indexes, index funds and "US stocks" as a whole.

They are benchmark candidates, never companies: "the Nasdaq Composite" is not Nasdaq, Inc. and
"the S&P 500" is not S&P Global. Each reference has the ETF that stands in for it in a study
(``proxy``), or none when the data holds no US-listed fund tracking it (the Nikkei 225).

>>> [(m.name, m.proxy) for m in find_markets("The S&P 500 fell and the Nikkei 225 sank.")]
[('S&P 500', 'SPY'), ('Nikkei 225', None)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MARKETS", "Market", "MarketMention", "find_markets"]


@dataclass(frozen=True)
class Market:
    """A market reference: its name, the fund standing in for it, and how texts write it."""

    name: str
    proxy: str | None
    patterns: tuple[str, ...]
    whole_market: bool = False


# Longer names first within each entry; regexes are matched case-sensitively where a lower-case
# word would be something else ("the dow" is rare, "Dow" is the index; "stocks" is plain text).
MARKETS: tuple[Market, ...] = (
    Market(
        "S&P 500",
        "SPY",
        (r"S&P\s*500(?:\s+index)?", r"Standard\s*&\s*Poor'?s\s+500", r"S&P(?!\s*Global)"),
    ),
    Market(
        "Nasdaq Composite",
        "ONEQ",
        (r"Nasdaq\s+Composite(?:\s+index)?", r"the\s+Nasdaq(?![\s-]*(?:100|Inc|OMX|:))"),
    ),
    Market("Nasdaq-100", "QQQ", (r"Nasdaq[\s-]*100(?:\s+index)?",)),
    Market(
        "Dow Jones Industrial Average",
        "DIA",
        (
            r"Dow\s+Jones\s+Industrial\s+Average",
            r"(?:the\s+)?Dow(?:\s+Jones)?(?!\s+(?:Chemical|Inc))",
        ),
    ),
    Market("Russell 2000", "IWM", (r"Russell\s+2000(?:\s+index)?",)),
    Market(
        "Philadelphia Semiconductor Index",
        "SOXX",
        (
            r"Philadelphia\s+Semiconductor\s+(?:Index|index)",
            r"PHLX\s+Semiconductor(?:\s+(?:Index|index))?",
        ),
    ),
    Market(
        "US stocks",
        "VTI",
        (
            r"(?:US|U\.S\.|American)\s+(?:stocks|equities|stock\s+market|shares)",
            r"Wall\s+Street",
            r"Wilshire\s+5000",
        ),
        whole_market=True,
    ),
    Market(
        "Cboe Volatility Index",
        None,
        (r"Cboe\s+Volatility\s+Index", r"CBOE\s+Volatility\s+Index", r"VIX\b"),
    ),
    Market("Nikkei 225", None, (r"Nikkei(?:\s+225)?(?:\s+(?:Stock\s+)?Average)?",)),
    Market("Topix", None, (r"TOPIX", r"Topix")),
    Market("Hang Seng", None, (r"Hang\s+Seng(?:\s+Index)?",)),
    Market("Shanghai Composite", None, (r"Shanghai\s+Composite(?:\s+Index)?",)),
    Market("FTSE 100", None, (r"FTSE\s*100",)),
    Market("DAX", None, (r"DAX\b",)),
    Market("CAC 40", None, (r"CAC\s*40",)),
    Market(
        "Stoxx 600", None, (r"(?:Euro\s*)?STOXX\s*(?:Europe\s*)?600", r"Stoxx\s*(?:Europe\s*)?600")
    ),
    Market("Kospi", None, (r"KOSPI", r"Kospi")),
)

_PATTERN = re.compile(
    "|".join(
        f"(?P<m{i}>(?<![\\w&]){'|'.join(f'(?:{p})' for p in market.patterns)}(?![\\w&]))"
        for i, market in enumerate(MARKETS)
    )
)


@dataclass(frozen=True)
class MarketMention:
    """A market reference named in a text (``text`` is the source's ``[start:end]``)."""

    start: int
    end: int
    text: str
    market: Market

    @property
    def name(self) -> str:
        return self.market.name

    @property
    def proxy(self) -> str | None:
        return self.market.proxy


def find_markets(text: str) -> list[MarketMention]:
    """The market references of a text, in order of appearance (see :data:`MARKETS`)."""
    mentions = []
    for match in _PATTERN.finditer(text):
        index = int(next(k for k, v in match.groupdict().items() if v is not None)[1:])
        mentions.append(MarketMention(*match.span(), match.group(), MARKETS[index]))
    return mentions
