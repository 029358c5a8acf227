"""The dashboard's model picker offers every model of the engine, each with a label."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from analytics.study.options import MODELS
from app.dashboard.cache import DashboardData
from app.dashboard.state import DEFAULT_STATE
from app.dashboard.state import MODELS as LABELS
from app.settings import Settings
from tests.support import DEEPSEEK_PACK


def _data(tmp_path: Path) -> DashboardData:
    settings = Settings(
        store=tmp_path / "store", data_pack=DEEPSEEK_PACK, news=None, reference=None, offline=True
    )
    return DashboardData(settings, cache_dir=tmp_path / "cache")


def test_every_engine_model_has_a_label_and_an_option(tmp_path: Path) -> None:
    assert set(LABELS) == set(MODELS)
    options = {o["value"]: o for o in _data(tmp_path).model_options()}
    assert set(options) == set(MODELS)
    for key in ("scholes_williams", "dimson", "garch", "egarch"):
        assert not options[key].get("disabled")
    # Model factors needs a factor file, which the dashboard has only from its workspace.
    assert options["factors"]["disabled"] is True
    assert "needs a factor file" in options["factors"]["label"]


def test_a_dashboard_study_runs_the_thin_trading_model(tmp_path: Path, shared_dir) -> None:
    data = _data(tmp_path)
    state = dataclasses.replace(DEFAULT_STATE, model="dimson", placebo=0)
    result = data.result(data.run(state))
    assert result is not None and result.spec.model == "dimson"
    assert (result.firms["status"] == "ok").sum() > 10
