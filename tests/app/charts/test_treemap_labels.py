"""The treemap says the truth about its sizes and names sectors one way.

Firms without a market value are drawn at the median known value: the subtitle gives that value,
and no market value shown (a firm's, a sector's, the total) includes an imputed one."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from app.charts.impact import sector_treemap
from app.settings import Settings, open_workspace
from app.universes import DEEPSEEK_UNIVERSE
from tests.support import REFERENCE

TICKERS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


def _windows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ticker": TICKERS,
            "window": "-1:1",
            "car": [-0.10, 0.05, -0.02, 0.08, 0.01],
            "status": "ok",
        }
    )


def test_imputed_sizes_are_named_and_never_summed_into_market_values() -> None:
    sectors = pd.Series({"AAA": "Tech", "BBB": "Tech", "CCC": "Energy", "DDD": "Energy"})
    caps = pd.Series({"AAA": 3e12, "BBB": 1e12, "CCC": 2e11})  # DDD, EEE: none
    fig = sector_treemap(
        _windows(), sectors.reindex(TICKERS).fillna("Unknown"), caps, window="-1:1"
    )
    (tm,) = fig.data
    values = dict(zip(tm.ids, tm.values, strict=True))
    shown = dict(zip(tm.ids, tm.customdata, strict=True))
    median = 1e12  # of 3T, 1T, 0.2T
    assert values["all/Energy/DDD"] == values["all/Unknown/EEE"] == median
    subtitle = fig.layout.title.subtitle.text
    assert "2 firms without a market value drawn at the median known value ($1.0T)" in subtitle
    assert shown["all/Energy/DDD"] == "n/a (drawn at the median, $1.0T)"
    assert shown["all/Tech/AAA"] == "$3.0T"
    assert shown["all/Tech"] == "$4.0T"
    assert shown["all/Energy"] == "$200B (+1 without)"
    assert shown["all/Unknown"] == "n/a"
    assert shown["all"] == "$4.2T (+2 without)"  # not 6.2T with the imputed sizes


def test_demo_universe_sectors_use_the_references_naming(tmp_path: Path) -> None:
    settings = Settings(
        store=tmp_path, data_pack=None, news=None, reference=REFERENCE, offline=True
    )
    workspace = open_workspace(settings)
    reference = set(workspace.sector_labels.astype(str))
    labels = workspace.sectors(list(DEEPSEEK_UNIVERSE))
    assert set(labels) <= reference, set(labels) - reference
    assert not set(labels) & set(DEEPSEEK_UNIVERSE.values())
    assert labels["ASML"] == "Technology" and labels["BABA"] == "Consumer Cyclical"
