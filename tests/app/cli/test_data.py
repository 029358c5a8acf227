"""``aftershock data import|fetch|info`` through Typer's CliRunner."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from analytics.calendar import sessions
from analytics.data.store import PriceStore
from analytics.errors import DataError, SpecError
from app.cli.data import cli
from tests.support import DEEPSEEK_PACK

runner = CliRunner()


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No settings leak in from the developer's shell; Yahoo is never called."""
    for name in ("AFTERSHOCK_DATA", "AFTERSHOCK_NEWS", "AFTERSHOCK_REFERENCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AFTERSHOCK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A CSV data-pack directory: AAA and BBB over January 2024."""
    days = sessions("2024-01-02", "2024-01-31")
    frame = pd.DataFrame(
        {
            "ticker": np.repeat(["AAA", "BBB"], len(days)),
            "date": np.tile(days.strftime("%Y-%m-%d"), 2),
            "adj_close": np.arange(1.0, 2 * len(days) + 1),
        }
    )
    directory = tmp_path / "pack"
    directory.mkdir()
    frame.to_csv(directory / "prices.csv", index=False)
    return directory


def test_import_deepseek_pack_then_reimport(tmp_path: Path) -> None:
    store = tmp_path / "store"
    result = runner.invoke(cli, ["import", str(DEEPSEEK_PACK), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "imported 149,625 rows of 132 tickers" in result.output
    assert "(149,625 new or changed)" in result.output
    coverage = PriceStore(store).coverage()
    assert len(coverage) == 132 and coverage["rows"].sum() == 149_625
    again = runner.invoke(cli, ["import", str(DEEPSEEK_PACK), "--store", str(store)])
    assert again.exit_code == 0 and "(0 new or changed)" in again.output


def test_import_uses_aftershock_home_by_default(pack: Path, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["import", str(pack)])
    assert result.exit_code == 0, result.output
    assert PriceStore(tmp_path / "home").tickers() == ["AAA", "BBB"]


def test_import_invalid_rows_fail_unless_dropped(pack: Path, tmp_path: Path) -> None:
    bad = pd.DataFrame({"ticker": ["CCC", "CCC"], "date": ["2024-01-02", "2024-01-03"]})
    bad.assign(adj_close=[5.0, -1.0]).to_csv(pack / "bad.csv", index=False)
    strict = runner.invoke(cli, ["import", str(pack)])
    assert isinstance(strict.exception, DataError)
    assert "adj_close is zero or negative" in str(strict.exception)
    assert PriceStore(tmp_path / "home").tickers() == []
    lenient = runner.invoke(cli, ["import", str(pack), "--drop-invalid"])
    assert lenient.exit_code == 0, lenient.output
    assert "skipped 1 invalid rows: 1 adj_close is zero or negative" in lenient.output
    assert PriceStore(tmp_path / "home").coverage()["rows"].tolist() == [21, 21, 1]


def test_fetch_from_the_data_pack(
    pack: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AFTERSHOCK_DATA", str(pack))
    args = ["fetch", "aaa, BBB", "--start", "2024-01-10", "--end", "2024-01-31"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "fetched 30 rows for 2 of 2 tickers (30 new or changed)" in result.output
    stored = PriceStore(tmp_path / "home").coverage()
    assert stored["first"].tolist() == [pd.Timestamp("2024-01-10")] * 2


def test_fetch_reports_a_ticker_nobody_has(pack: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AFTERSHOCK_DATA", str(pack))
    result = runner.invoke(
        cli, ["fetch", "AAA,NOPE", "--start", "2024-01-02", "--end", "2024-01-05"]
    )
    assert result.exit_code == 1
    assert "no prices for NOPE: data pack: not in data pack" in result.output


def test_fetch_offline_without_a_pack_is_a_spec_error() -> None:
    result = runner.invoke(cli, ["fetch", "AAA", "--start", "2024-01-02"])
    assert isinstance(result.exception, SpecError)
    assert "unset AFTERSHOCK_OFFLINE" in str(result.exception)


def test_fetch_rejects_reversed_dates_and_empty_tickers(pack: Path) -> None:
    reversed_ = runner.invoke(cli, ["fetch", "AAA", "--start", "2024-02-01", "--end", "2024-01-01"])
    assert isinstance(reversed_.exception, SpecError)
    empty = runner.invoke(cli, ["fetch", " , ", "--start", "2024-01-02"])
    assert isinstance(empty.exception, SpecError) and "TICKERS" in str(empty.exception)


def test_info_on_empty_and_filled_store(pack: Path) -> None:
    empty = runner.invoke(cli, ["info"])
    assert empty.exit_code == 0 and "is empty" in empty.output
    runner.invoke(cli, ["import", str(pack)])
    full = runner.invoke(cli, ["info"])
    assert full.exit_code == 0, full.output
    assert "AAA" in full.output and "2024-01-02" in full.output and "2024-01-31" in full.output
    assert "42 rows of 2 tickers" in full.output
    some = runner.invoke(cli, ["info", "BBB,ZZZ", "--limit", "1"])
    lines = some.output.splitlines()
    assert any("ZZZ" in line and "-" in line for line in lines)
    assert not any("AAA" in line for line in lines)
    limited = runner.invoke(cli, ["info", "--limit", "1"])
    assert "1 more tickers" in limited.output


def test_main_turns_user_errors_into_one_red_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from app.cli.main import main  # the whole command line, not only `data`

    missing = tmp_path / "no-such-pack"
    monkeypatch.setattr(sys, "argv", ["aftershock", "data", "import", str(missing)])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: data pack {missing} does not exist")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_help_lists_the_commands() -> None:
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert all(command in result.output for command in ("import", "fetch", "info"))
