"""``aftershock study --chunk-size`` / ``--cluster``: the out-of-core study from the command
line gives the in-memory study's numbers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.errors import AftershockError

TICKERS = ["NVDA", "AMD", "AVGO", "MSFT", "GOOGL", "META", "ORCL", "TSM", "MU", "INTC"]


@pytest.fixture
def events(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    days = sessions("2023-06-01", "2026-06-30")
    table = pd.DataFrame(
        {
            "ticker": rng.choice(TICKERS, 300),
            "date": days[rng.integers(0, len(days), 300)].strftime("%Y-%m-%d"),
        }
    ).drop_duplicates()
    path = tmp_path / "events.csv"
    table.to_csv(path, index=False)
    return path


def _tests(document: dict) -> pd.DataFrame:
    rows = [
        (window, name, test["stat"], test["p"])
        for window, row in document["aggregate"].items()
        for name, test in row["tests"].items()
        if name != "placebo"
    ]
    return pd.DataFrame(rows, columns=["window", "test", "stat", "p"])


def test_chunked_study_equals_the_in_memory_one(run, events, tmp_path) -> None:
    common = ["study", "--universe-file", str(events), "--placebo", "0"]
    whole = run(*common, "--json", str(tmp_path / "whole.json"))
    assert whole.exit_code == 0, whole.output
    chunked = run(*common, "--chunk-size", "70", "--json", str(tmp_path / "parts.json"))
    assert chunked.exit_code == 0, chunked.output
    parts = json.loads((tmp_path / "parts.json").read_text())
    document = json.loads((tmp_path / "whole.json").read_text())
    got = pd.DataFrame(parts["tests"]).set_index(["window", "test"])[["stat", "p"]]
    want = _tests(document).set_index(["window", "test"]).loc[got.index]
    np.testing.assert_allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-12)
    folder = Path(parts["tables"])
    assert folder.parent.name == "results"
    windows = pd.concat(pd.read_parquet(f) for f in sorted(folder.glob("windows-*.parquet")))
    assert len(windows) == 3 * len(pd.read_csv(events))


def test_chunked_study_prints_its_tables_and_folder(run, events, tmp_path) -> None:
    answer = run("study", "--universe-file", str(events), "--placebo", "0", "--chunk-size", "100",
                 "--csv", str(tmp_path / "csv"))  # fmt: skip
    assert answer.exit_code == 0, answer.output
    assert "p-values by window" in answer.output and "grank_t" in answer.output
    assert "per-firm tables (Parquet)" in answer.output
    assert {p.name for p in (tmp_path / "csv").iterdir()} == {
        "aggregate.csv",
        "tests.csv",
        "aar.csv",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--chunk-size", "50"], "placebo=0"),  # the default placebo does not run out of core
        (["--placebo", "0", "--cluster", "nowhere"], "local, local:N"),
        (["--placebo", "0", "--chunk-size", "50", "--xlsx", "x.xlsx"], "--xlsx"),
    ],
)
def test_out_of_core_refusals(run, events, args, message) -> None:
    with pytest.raises(AftershockError, match=message):
        run("study", "--universe-file", str(events), *args)


def test_chunk_size_must_be_positive(run, events) -> None:
    answer = run("study", "--universe-file", str(events), "--placebo", "0", "--chunk-size", "0")
    assert answer.exit_code == 2 and "chunk-size" in answer.output
