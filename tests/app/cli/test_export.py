"""`aftershock export`: every chart of a study written as image files by one browser."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from app.cli.main import cli
from tests.support import MARKET_DATA, REFERENCE


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSHOCK_HOME", str(tmp_path / "store"))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")


@pytest.mark.slow
@pytest.mark.usefixtures("env")
def test_export_writes_every_chart_per_window(tmp_path: Path) -> None:
    out = tmp_path / "charts"
    args = ["export", "--event-date", "2025-01-27", "--tickers", "NVDA,AVGO,VST,CEG"]
    args += ["--window=0:0", "--window=-1:1", "--out", str(out), "--width", "800"]
    args += ["--height", "500", "--scale", "1"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.glob("*.png"))
    per_window = ["abnormal_returns", "caar", "dollar_impact", "sector_treemap", "tests"]
    expected = sorted(
        ["price_paths.png"] + [f"{n}_{w}.png" for n in per_window for w in ("0_0", "-1_1")]
    )
    assert names == expected
    for path in out.glob("*.png"):
        head = path.read_bytes()[:24]
        assert head[:8] == b"\x89PNG\r\n\x1a\n"
        width, _height = struct.unpack(">II", head[16:24])
        assert width == 800
    assert set(json.loads((out / "study.json").read_text())["aggregate"]) == {"0:0", "-1:1"}
    book = openpyxl.load_workbook(out / "study.xlsx", read_only=True)
    assert book.sheetnames == ["settings", "firms", "days", "windows", "aar", "aggregate", "tests",
                               "excluded"]  # fmt: skip
    assert (out / "tables.tex").read_text().count(r"\begin{tabular}") == 2


@pytest.mark.usefixtures("env")
def test_export_rejects_unknown_format(tmp_path: Path) -> None:
    args = ["export", "--event-date", "2025-01-27", "--tickers", "NVDA", "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--format", "gif"])
    assert result.exit_code != 0
    assert "gif" in str(result.exception)
