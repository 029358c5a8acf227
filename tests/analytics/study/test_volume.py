"""Abnormal volume against a plain loop of Campbell & Wasley's formulas and scipy."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics import calendar
from analytics.study.spec import StudySpec
from analytics.study.volume import abnormal_volume
from analytics.workspace import Workspace
from tests.support import DEEPSEEK_PACK


def _loop(est, window):
    scavs, savs = [], []
    for i in range(est.shape[1]):
        history = [math.log1p(v) for v in est[:, i] if not math.isnan(v)]
        if len(history) < 30:
            continue
        mu, sd = statistics.fmean(history), statistics.stdev(history)
        mine = [(math.log1p(v) - mu) / sd for v in window[:, i] if not math.isnan(v)]
        if not mine or sd == 0:
            continue
        savs += mine
        scavs.append(sum(mine) / math.sqrt(len(mine)))
    n = len(scavs)
    z = sum(scavs) / math.sqrt(n)
    t = statistics.fmean(scavs) / (statistics.stdev(scavs) / math.sqrt(n))
    return statistics.fmean(savs), z, 2 * stats.norm.sf(abs(z)), t, 2 * stats.t.sf(abs(t), n - 1), n


def test_the_volume_tests_match_the_formulas() -> None:
    rng = np.random.default_rng(5)
    est = np.exp(rng.normal(13, 0.4, (200, 20)))
    window = np.exp(rng.normal(13.5, 0.4, (3, 20)))  # volume up about 65%
    est[:180, 3] = np.nan  # 20 estimation days: left out
    est[rng.random(est.shape) < 0.03] = np.nan
    window[1, 5] = np.nan
    got = abnormal_volume(est, window)
    mean_sav, z, z_p, t, t_p, n = _loop(est, window)
    assert got.n == n == 19
    assert got.mean_sav == pytest.approx(mean_sav, rel=1e-12)
    assert got.z == pytest.approx(z, rel=1e-12) and got.z_p == pytest.approx(z_p, rel=1e-9)
    assert got.t == pytest.approx(t, rel=1e-12) and got.t_p == pytest.approx(t_p, rel=1e-9)
    assert got.mean_sav > 0.8 and got.z_p < 1e-6


def test_without_volume_every_value_is_nan() -> None:
    got = abnormal_volume(np.full((100, 3), np.nan), np.full((3, 3), np.nan))
    assert got.n == 0 and math.isnan(got.mean_sav) and math.isnan(got.t_p)


# -- through the workspace, on a store that holds volume ---------------------------------------

TICKERS = ["NVDA", "AVGO", "AMD", "MU", "TSM"]


def test_a_store_with_volume_gets_the_volume_tests_by_an_independent_path(tmp_path) -> None:
    long = pd.read_parquet(DEEPSEEK_PACK)
    long["date"] = pd.to_datetime(long["date"])
    long = long[long["ticker"].isin([*TICKERS, "SPY"])].copy()
    rng = np.random.default_rng(9)
    long["volume"] = np.exp(rng.normal(16, 0.3, len(long))).round()
    spike = (long["date"] == pd.Timestamp("2025-01-27")) & long["ticker"].isin(TICKERS)
    long.loc[spike, "volume"] *= 4  # the selloff traded four times the usual shares
    workspace = Workspace.open(tmp_path / "store", offline=True)
    workspace.store.upsert(long)
    spec = StudySpec.create(tickers=",".join(TICKERS), date="2025-01-27", placebo=0)
    result = workspace.run(spec, fetch=False)
    assert result.abnormal_volume is not None
    grid = calendar.sessions("2023-06-01", "2025-03-31")
    day0 = grid.get_loc(pd.Timestamp("2025-01-27"))
    wide = long.pivot(index="date", columns="ticker", values="volume").reindex(grid)[TICKERS]
    est = wide.iloc[day0 + spec.estimation[0] : day0 + spec.estimation[1] + 1].to_numpy()
    for key, (start, end) in zip(spec.window_keys, spec.windows, strict=True):
        window = wide.iloc[day0 + start : day0 + end + 1].to_numpy()
        mean_sav, z, z_p, t, t_p, n = _loop(est, window)
        got = result.abnormal_volume[key]
        assert got.n == n == 5
        assert got.mean_sav == pytest.approx(mean_sav, rel=1e-12)
        assert got.z == pytest.approx(z, rel=1e-12) and got.t == pytest.approx(t, rel=1e-12)
        assert got.z_p == pytest.approx(z_p, rel=1e-9) and got.t_p == pytest.approx(t_p, rel=1e-9)
    assert result.abnormal_volume["0:0"].mean_sav > 3  # log 4 ≈ 1.39, over an sd of 0.3
    document = json.loads(result.to_json())["abnormal_volume"]
    assert document["0:0"]["n"] == 5
    assert "Abnormal volume (log volume" in str(result.summary())


def test_prices_without_volume_say_so_and_nothing_breaks(tmp_path) -> None:
    workspace = Workspace.open(tmp_path / "store", data_pack=DEEPSEEK_PACK, offline=True)
    result = workspace.run(StudySpec.create(tickers="NVDA,AMD", date="2025-01-27", placebo=0))
    assert result.abnormal_volume is None
    assert json.loads(result.to_json())["abnormal_volume"] is None
    assert "Abnormal volume: no volume in the data" in str(result.summary())
