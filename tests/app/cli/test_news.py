"""`aftershock news analyze` and `aftershock study --article`, offline on the data pack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.errors import DataError
from app.cli.main import cli
from tests.support import MARKET_DATA, NEWS, REFERENCE

OWN = Path(__file__).parents[2] / "analytics" / "news" / "articles"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture
def run(store: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AFTERSHOCK_HOME", str(store))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_analyze_prints_day0_mentions_universe_and_claims(run) -> None:
    result = run("news", "analyze", str(OWN / "crowdstrike-outage-2024-07.txt"), "--no-comparison")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Day 0: Fri 19 Jul 2024 (event Fri 19 Jul 2024, before open)" in out
    assert '"Early on Friday, July 19, 2024, before U.S. markets opened' in out
    assert "CRWD   CrowdStrike Holdings, Inc." in out
    assert "CRWD   named" in out and "peer of CRWD, SIC 7372" in out
    assert "1. CrowdStrike Holdings, Inc.: down 11% on Fri 19 Jul 2024 → CONSISTENT" in out
    assert "Microsoft Corporation: down at most 1% on Fri 19 Jul 2024 → CONSISTENT" in out


def test_analyze_json(run, tmp_path: Path) -> None:
    out = tmp_path / "analysis.json"
    article = NEWS / "tariff-shock-2025-04.txt"
    result = run(
        "news", "analyze", str(article), "--no-comparison", "--peers", "3", "--json", str(out)
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert (doc["event_date"], doc["timing"], doc["day0"]) == (
        "2025-04-02",
        "after_close",
        "2025-04-03",
    )
    assert [u["reason"] for u in doc["universe"]] == [
        "named",
        "peer of AAPL, SIC 3571",
        "peer of AAPL, SIC 3571",
        "peer of AAPL, SIC 3571",
        "market: Nasdaq Composite",
    ]
    assert [c["verdict"] for c in doc["claims"]][:2] == ["consistent", "consistent"]


def test_remove_drops_proposed_tickers(run, tmp_path: Path) -> None:
    out = tmp_path / "analysis.json"
    article = NEWS / "tariff-shock-2025-04.txt"
    args = ("news", "analyze", str(article), "--no-comparison", "--peers", "0")
    result = run(*args, "--remove", "ONEQ", "--json", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert ([u["ticker"] for u in doc["universe"]], doc["removed"]) == (["AAPL"], ["ONEQ"])


def test_study_article_runs_the_proposal(run, tmp_path: Path) -> None:
    out = tmp_path / "study.json"
    article = OWN / "intel-earnings-2024-08.txt"
    result = run("study", "--article", str(article), "--placebo", "0", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert "article: day 0 Fri 02 Aug 2024" in result.output
    doc = json.loads(out.read_text())
    assert doc["day0"] == "2024-08-02"
    tickers = [f["ticker"] for f in doc["firms"]]
    assert tickers[:2] == ["INTC", "AMD"] and len(tickers) > 400


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("news", "analyze", "https://example.com/story"), "offline, cannot download"),
        (("news", "analyze", "/nonexistent/article.txt"), "cannot be read"),
        (("study", "--article", "x.txt", "--tickers", "NVDA"), "drop --tickers"),
    ],
)
def test_bad_input_is_one_line(args: tuple[str, ...], message: str, store: Path) -> None:
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "AFTERSHOCK_HOME": str(store),
        "AFTERSHOCK_DATA": str(MARKET_DATA),
        "AFTERSHOCK_REFERENCE": str(REFERENCE),
        "AFTERSHOCK_OFFLINE": "1",
    }
    code = "from app.cli.main import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_binary_article_is_refused(run, tmp_path: Path) -> None:
    binary = tmp_path / "picture.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(DataError, match=r"ARTICLE: .*picture\.txt holds binary data"):
        run("news", "analyze", str(binary))
