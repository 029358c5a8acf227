"""The dashboard, ``aftershock export`` and the refresh job draw identical figures for one study.

Each entry point runs the same study (five chip stocks around the DeepSeek day, offline, data
pack and reference folder configured) its own way; the figures each would write or show are
captured and compared through ``fig.to_dict()`` (as JSON): same traces, same numbers, same layout.
The treemap is sized by market values at day −1 and the price chart has the same day 0 everywhere.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import pytest
from typer.testing import CliRunner

from app.charts.figures import CHARTS
from app.cli.main import cli
from app.config import load_config
from app.dashboard.cache import DashboardData
from app.dashboard.state import ViewState
from app.dashboard.views import build_figure
from app.jobs import refresh as refreshing
from app.settings import Settings
from tests.support import DEEPSEEK_PACK, REFERENCE, fill_store

TICKERS = ("NVDA", "AVGO", "AMD", "MSFT", "VST")
WINDOWS = ("0:0", "-1:1")
CONFIG = f"""
[[studies]]
name = "chips"
tickers = [{", ".join(f'"{t}"' for t in TICKERS)}]
event_date = 2025-01-27
windows = [{", ".join(f'"{w}"' for w in WINDOWS)}]
"""

pytestmark = pytest.mark.slow


class _NoBrowser:
    """Stands in for the Chromium exporter: nothing is rendered, only the figures are kept."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def __enter__(self) -> _NoBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    store = tmp_path / "store"
    fill_store(store)
    for name, value in {
        "AFTERSHOCK_HOME": store,
        "AFTERSHOCK_DATA": DEEPSEEK_PACK,
        "AFTERSHOCK_REFERENCE": REFERENCE,
        "AFTERSHOCK_OFFLINE": "1",
    }.items():
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("AFTERSHOCK_NEWS", raising=False)
    monkeypatch.delenv("AFTERSHOCK_CONFIG", raising=False)
    return Settings(
        store=store, data_pack=DEEPSEEK_PACK, news=None, reference=REFERENCE, offline=True
    )


@contextlib.contextmanager
def _captured(monkeypatch: pytest.MonkeyPatch, module: Any) -> Iterator[dict[str, go.Figure]]:
    """The figures ``module.export_figures`` is asked to write (nothing is written)."""
    seen: dict[str, go.Figure] = {}

    def capture(figures: Mapping[str, go.Figure], out: Path, **kwargs: object) -> list[Path]:
        seen.update(figures)
        Path(out).mkdir(parents=True, exist_ok=True)
        return []

    with monkeypatch.context() as patch:
        patch.setattr(module, "export_figures", capture)
        yield seen


def _dicts(figures: Mapping[str, go.Figure]) -> dict[str, Any]:
    """``fig.to_dict()`` of each figure, through JSON so that arrays compare by value."""
    return {name: json.loads(fig.to_json()) for name, fig in figures.items()}


def test_dashboard_export_and_refresh_draw_identical_figures(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import export as exporting

    args = ["export", "--event-date", "2025-01-27", "--tickers", ",".join(TICKERS)]
    args += [f"--window={w}" for w in WINDOWS] + ["--out", str(tmp_path / "cli")]
    with _captured(monkeypatch, exporting) as from_cli:
        outcome = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert outcome.exit_code == 0, outcome.output

    config_path = tmp_path / "aftershock.toml"
    config_path.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setattr(refreshing, "FigureExporter", _NoBrowser)
    with _captured(monkeypatch, refreshing) as from_refresh:
        report = refreshing.refresh(load_config(config_path), settings)
    assert [r.status for r in report.runs] == ["ok"], report

    data = DashboardData(settings)
    state = ViewState(
        article=None,
        preset="custom",
        tickers=TICKERS,
        windows=tuple((int(a), int(b)) for a, b in (w.split(":") for w in WINDOWS)),
    )
    key = data.run(state)
    result = data.result(key)
    assert result is not None
    from_dashboard = {"price_paths": build_figure(data, "price_paths", result, key, WINDOWS[0])}
    for window in WINDOWS:
        for name in CHARTS[1:]:
            fig = build_figure(data, name, result, key, window)
            from_dashboard[f"{name}_{window.replace(':', '_')}"] = fig

    expected = {"price_paths"} | {f"{n}_{w.replace(':', '_')}" for n in CHARTS[1:] for w in WINDOWS}
    assert set(from_cli) == set(from_refresh) == set(from_dashboard) == expected
    cli_dicts = _dicts(from_cli)
    assert _dicts(from_refresh) == cli_dicts
    assert _dicts(from_dashboard) == cli_dicts
    # Not vacuous: the treemap is sized by market values and the price chart has lines.
    treemap = from_cli["sector_treemap_-1_1"].data[0]
    assert len(treemap.values) > 0 and all(v > 0 for v in treemap.values)
    assert len(from_cli["price_paths"].data) >= len(TICKERS)
