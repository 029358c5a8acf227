"""Industry peers of the companies an article names, largest first.

Peers share the company's 4-digit SEC industry (SIC) code, then its 3-digit group; a company
without a SIC code in the reference takes the S&P 500 members of its industry. Within each
tier the largest come first (S&P 500 market cap, then the SEC list's order, which is by size).
Several named companies share the peer budget in turns.

>>> import pandas as pd
>>> sic = pd.DataFrame({"ticker": ["INTC", "AMD", "NVDA", "TXN"], "sic": [3674, 3674, 3674, 3672],
...                     "description": ["Semiconductors"] * 3 + ["Printed Circuit Boards"]})
>>> sizes = pd.Series({"NVDA": 3e12, "AMD": 2e11, "TXN": 1.7e11})
>>> for peer in find_peers(["INTC"], sic, sizes, limit=3):
...     print(peer.ticker, peer.reason)
NVDA peer of INTC, SIC 3674
AMD peer of INTC, SIC 3674
TXN peer of INTC, SIC 367x
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

__all__ = ["DEFAULT_PEERS", "Peer", "find_peers"]

DEFAULT_PEERS = 20


@dataclass(frozen=True)
class Peer:
    """A proposed peer: its ticker, the named company it is a peer of, and why."""

    ticker: str
    of: str
    reason: str


def _ranked(tickers: pd.Index, sizes: pd.Series) -> list[str]:
    """Largest first: by ``sizes`` where known, then in the given order."""
    frame = pd.DataFrame({"size": sizes.reindex(tickers).to_numpy(), "order": range(len(tickers))})
    frame = frame.sort_values(["size", "order"], ascending=[False, True], na_position="last")
    return [str(tickers[i]) for i in frame["order"]]


def _candidates(
    company: str, sic: pd.DataFrame, sizes: pd.Series, industries: pd.Series | None
) -> list[Peer]:
    codes = sic.set_index("ticker")["sic"]
    out: list[Peer] = []
    if company in codes.index:
        code = int(codes[company])
        same = sic["ticker"][(sic["sic"] == code) & (sic["ticker"] != company)]
        group = sic["ticker"][(sic["sic"] // 10 == code // 10) & (sic["sic"] != code)]
        out += [
            Peer(t, company, f"peer of {company}, SIC {code}")
            for t in _ranked(pd.Index(same), sizes)
        ]
        out += [
            Peer(t, company, f"peer of {company}, SIC {code // 10}x")
            for t in _ranked(pd.Index(group), sizes)
        ]
    elif industries is not None and company in industries.index:
        industry = industries[company]
        same = industries.index[(industries == industry) & (industries.index != company)]
        out += [
            Peer(t, company, f"peer of {company}, industry {industry}")
            for t in _ranked(same, sizes)
        ]
    return out


def find_peers(
    companies: Sequence[str],
    sic: pd.DataFrame,
    sizes: pd.Series,
    *,
    industries: pd.Series | None = None,
    limit: int = DEFAULT_PEERS,
    exclude: Sequence[str] = (),
) -> list[Peer]:
    """Up to ``limit`` peers of ``companies`` (see the module docstring), never one of them.

    Parameters
    ----------
    companies
        The named companies' tickers, most mentioned first.
    sic
        ``ticker``, ``sic``, ``description`` (:func:`analytics.data.reference.sic_codes`).
    sizes
        Market cap (or any size) by ticker, for the order.
    industries
        Industry label by ticker (the S&P 500's), for companies without a SIC code.
    limit
        The most peers proposed in all.
    exclude
        Tickers never proposed (e.g. those the study already holds).
    """
    taken = set(companies) | set(exclude)
    queues = [iter(_candidates(c, sic, sizes, industries)) for c in companies]
    peers: list[Peer] = []
    while queues and len(peers) < limit:
        for queue in list(queues):
            peer = next((p for p in queue if p.ticker not in taken), None)
            if peer is None:
                queues.remove(queue)
                continue
            taken.add(peer.ticker)
            peers.append(peer)
            if len(peers) >= limit:
                break
    return peers
