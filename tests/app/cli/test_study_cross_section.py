"""`aftershock study --regress/--group-by` on the offline data pack, with a universe file's
columns as covariates."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from app.cli.main import main

UNIVERSE = """ticker,date,theme,ai_exposure
NVDA,2025-01-27,chips,0.9
AVGO,2025-01-27,chips,0.8
AMD,2025-01-27,chips,0.7
MU,2025-01-27,chips,
VST,2025-01-27,power,0.6
CEG,2025-01-27,power,0.5
KO,2025-01-27,staples,0.0
PG,2025-01-27,staples,0.0
WMT,2025-01-27,staples,0.1
"""


@pytest.fixture
def universe(tmp_path: Path) -> Path:
    path = tmp_path / "universe.csv"
    path.write_text(UNIVERSE, encoding="utf-8")
    return path


def test_regression_and_groups_in_the_json(run, universe: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run(
        "study", "--universe-file", str(universe), "--regress", "beta,log_mcap,ai_exposure",
        "--group-by", "theme", "--placebo", "0", "--window=0:0", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    fit = doc["regression"]["0:0"]
    assert fit["n"] == 8  # MU has no ai_exposure
    assert [t["name"] for t in fit["terms"]] == ["const", "beta", "log_mcap", "ai_exposure"]
    window = doc["groups"]["windows"]["0:0"]
    assert {g["group"]: g["n"] for g in window["groups"]} == {"chips": 4, "power": 2, "staples": 3}
    assert [(d["a"], d["b"]) for d in window["differences"]] == [
        ("chips", "rest"),
        ("power", "rest"),
        ("staples", "rest"),
    ]
    caar = {g["group"]: g["caar"] for g in window["groups"]}
    assert caar["chips"] < 0 < caar["staples"]


def test_the_summary_groups_by_reference_sector(run, universe: Path) -> None:
    result = run(
        "study", "--universe-file", str(universe), "--group-by", "sector", "--regress", "beta",
        "--placebo", "0", "--window=0:0",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Groups by sector (CAAR, cross-sectional t):" in result.output
    assert "Technology" in result.output and "Consumer Defensive" in result.output
    assert "Cross-sectional regression of CAR on beta:" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--regress", "theme"], "regress: column 'theme' is not numeric (value 'chips')"),
        (["--regress", "size"], "numeric columns (ai_exposure)"),
        (["--group-by", "nope"], "universe file's columns (theme, ai_exposure)"),
    ],
)
def test_a_bad_column_is_one_error_line(
    run, universe: Path, args: list[str], message: str, monkeypatch, capsys
) -> None:
    argv = ["aftershock", "study", "--universe-file", str(universe), *args, "--placebo", "0"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2 and message in err and "Traceback" not in err


def test_the_export_settings_keep_the_cross_section_options() -> None:
    import numpy as np
    import pandas as pd

    from analytics import calendar
    from analytics.data.memory import MemoryPrices
    from analytics.study.engine import run_study
    from analytics.study.spec import StudySpec
    from app.charts.tables import study_settings

    rng = np.random.default_rng(1)
    days = calendar.sessions("2024-01-02", "2025-03-31")
    wide = pd.DataFrame(
        100 * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 3)), axis=0)),
        index=days,
        columns=["SPY", "AAA", "BBB"],
    )
    events = pd.DataFrame(
        {"ticker": ["AAA", "BBB"], "date": "2025-01-27", "theme": ["x", "y"], "w": ["1", "2"]}
    )
    spec = StudySpec.create(events=events, placebo=0, regress="beta,w", group_by="theme")
    settings = study_settings(run_study(spec, MemoryPrices(wide)))
    assert settings["regress"] == ["beta", "w"] and settings["group_by"] == "theme"
    assert [(e["theme"], e["w"]) for e in settings["universe"]["events"]] == [
        ("x", "1"),
        ("y", "2"),
    ]
