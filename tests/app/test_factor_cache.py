"""A factor-model study in the dashboard and in the refresh job goes through the study service:
offline it reads Kenneth French's factors from the cache under ``<store>/factors`` and never
calls the network (before, both called the engine without factors and it downloaded them)."""

from __future__ import annotations

import dataclasses
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics import calendar
from analytics.data import factors
from app.config import load_config
from app.dashboard.cache import DashboardData
from app.dashboard.state import DEFAULT_STATE
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import DEEPSEEK_PACK, french_zip

FF3_ZIP = "F-F_Research_Data_Factors_daily_CSV.zip"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store directory whose factor cache holds a seeded FF3 file; the network fails the test."""

    def no_network(*args: object, **kwargs: object) -> bytes:
        pytest.fail(f"the network was used: {args}")

    monkeypatch.setattr(factors, "_urllib_download", no_network)
    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    days = calendar.sessions("2023-06-01", "2025-06-30")
    rng = np.random.default_rng(11)
    table = pd.DataFrame(
        {
            "MKT_RF": rng.normal(0, 0.01, len(days)),
            "SMB": rng.normal(0, 0.005, len(days)),
            "HML": rng.normal(0, 0.005, len(days)),
            "RF": 0.0002,
        },
        index=days,
    )
    root = tmp_path / "store"
    (root / "factors").mkdir(parents=True)
    (root / "factors" / FF3_ZIP).write_bytes(french_zip(table))
    return root


def _settings(store: Path) -> Settings:
    return Settings(store=store, data_pack=DEEPSEEK_PACK, news=None, reference=None, offline=True)


def test_dashboard_factor_study_offline_reads_the_cache(store: Path) -> None:
    cached = (store / "factors" / FF3_ZIP).read_bytes()
    data = DashboardData(_settings(store))
    state = dataclasses.replace(DEFAULT_STATE, model="ff3")
    result = data.result(data.run(state))
    assert result is not None
    assert {"beta_MKT_RF", "beta_SMB", "beta_HML"} <= set(result.firms.columns)
    assert (result.firms["status"] == "ok").sum() > 10
    assert (store / "factors" / FF3_ZIP).read_bytes() == cached


def test_refresh_factor_study_offline_reads_the_cache(store: Path, tmp_path: Path) -> None:
    path = tmp_path / "aftershock.toml"
    path.write_text(
        '[[studies]]\nname = "chips"\ntickers = ["NVDA", "AMD", "AVGO"]\n'
        'event_date = 2025-01-27\nmodel = "ff3"\nplacebo = 0\n',
        encoding="utf-8",
    )
    report = refresh(load_config(path), _settings(store), export=False)
    (run,) = report.runs
    assert run.status == "ok", run.errors
    assert run.n_ok == 3
