"""Offline, the page says once that Yahoo Finance is unreachable (issue: first start offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.data.sources import yahoo
from app.dashboard import ids
from app.dashboard.app import create_app
from app.settings import Settings
from tests.support import MARKET_DATA, NEWS, REFERENCE, component_nodes, component_text


def test_unreachable_yahoo_is_one_note_on_the_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not MARKET_DATA.is_dir():
        pytest.skip(f"shared market data not found at {MARKET_DATA}")
    probes: list[str] = []

    def probe() -> str:
        probes.append("probe")
        return "DNS lookup of query2.finance.yahoo.com failed"

    monkeypatch.setattr(yahoo, "probe_yahoo", probe)
    settings = Settings(
        store=tmp_path / "store",
        data_pack=MARKET_DATA,
        news=NEWS,
        reference=REFERENCE,
        offline=False,
    )
    app = create_app(settings)
    banner = next(
        n for n in component_nodes(app.layout) if getattr(n, "id", None) == ids.DATA_BANNER
    )
    text = component_text(banner)
    assert text.count("Yahoo Finance unreachable: using the data pack") == 1
    assert "Some market data is missing" not in text  # the pack has every demo price
    assert probes == ["probe"]
