"""Named universes of the dashboard: the presets and the DeepSeek demo's tickers and groups.

Neutral ground (no Dash, no I/O) so that settings, charts and the dashboard can share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

__all__ = ["DEEPSEEK_SECTORS", "DEEPSEEK_UNIVERSE", "PRESETS"]

PRESETS: Final[Mapping[str, str]] = {
    "deepseek": "DeepSeek: AI & power",
    "sp500": "S&P 500 by sector",
    "allus": "All US stocks",
    "custom": "Custom",
}

# The DeepSeek demo universe (2025-01-27): every ticker is in the shared DeepSeek data pack.
DEEPSEEK_UNIVERSE: Final[Mapping[str, str]] = {
    **dict.fromkeys(
        ("NVDA", "AVGO", "AMD", "TSM", "ASML", "MRVL", "ARM", "MU", "AMAT", "LRCX", "KLAC", "QCOM"),
        "AI chips",
    ),
    **dict.fromkeys(("ANET", "DELL", "SMCI", "CIEN", "COHR"), "AI hardware"),
    **dict.fromkeys(("MSFT", "GOOGL", "AMZN", "META", "ORCL"), "Hyperscalers"),
    **dict.fromkeys(
        ("VST", "CEG", "NRG", "TLN", "GEV", "OKLO", "SMR", "CCJ", "ETN", "PWR", "VRT", "NVT"),
        "Power & infrastructure",
    ),
    **dict.fromkeys(("EQIX", "DLR"), "Data-centre REITs"),
    **dict.fromkeys(("BABA", "BIDU", "JD", "PDD"), "Chinese ADRs"),
    **dict.fromkeys(("JPM", "XOM", "JNJ", "PG", "KO", "WMT"), "Controls"),
}

# Sectors, in the reference's naming (the S&P 500 snapshot's), of the demo's firms that no
# reference table lists (foreign listings, recent IPOs): every chart and table then names
# sectors one way. The groups above name the demo's themes, never a firm's sector.
DEEPSEEK_SECTORS: Final[Mapping[str, str]] = {
    "ASML": "Technology",
    "COHR": "Technology",
    "TLN": "Utilities",
    "OKLO": "Utilities",
    "SMR": "Industrials",
    "NVT": "Industrials",
    "CCJ": "Energy",
    "BABA": "Consumer Cyclical",
    "JD": "Consumer Cyclical",
    "PDD": "Consumer Cyclical",
}
