"""`aftershock study`: the CLI contract scripts depend on, run on the offline data pack."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import openpyxl
import pytest

from analytics.errors import SpecError
from app.cli.main import main

TESTS = (
    "cs_t",
    "patell_z",
    "adj_patell_z",
    "bmp_t",
    "kp_bmp_t",
    "skew_t",
    "boot_p",
    "portfolio_t",
    "gen_sign_z",
    "cz_sign_z",
    "corrado_z",
    "grank_t",
    "wilcoxon",
)


def test_json_contract(run, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA,AVGO,MSFT,NOPE",
        "--estimation=-250:-11", "--window=0:0", "--window=-1:1", "--window=-5:5",
        "--placebo", "50", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["day0"] == "2025-01-27"
    firms = {f["ticker"]: f for f in doc["firms"]}
    assert firms["NOPE"]["status"].startswith("excluded: ")
    nvda = firms["NVDA"]
    assert nvda["status"] == "ok" and nvda["n_estimation"] == 240
    assert {"alpha", "beta", "sigma"} <= nvda.keys()
    assert set(nvda["windows"]) == {"0:0", "-1:1", "-5:5"}
    assert {"car", "scar", "bhar", "t", "p"} <= nvda["windows"]["-1:1"].keys()
    day0 = next(d for d in doc["days"] if d["ticker"] == "NVDA" and d["day"] == 0)
    assert day0["date"] == "2025-01-27"
    # README of the shared data: NVDA 142.41 -> 118.24 on 2025-01-27.
    assert day0["ret"] == pytest.approx(118.24 / 142.41 - 1, abs=1e-4)
    assert day0["ar"] == pytest.approx(day0["ret"] - day0["expected"], abs=1e-12)
    agg = doc["aggregate"]["-1:1"]
    assert agg["n"] == 3
    cars = [firms[t]["windows"]["-1:1"]["car"] for t in ("NVDA", "AVGO", "MSFT")]
    assert agg["caar"] == pytest.approx(sum(cars) / 3, rel=1e-12)
    for name in TESTS:
        assert set(agg["tests"][name]) >= {"stat", "p"}
    assert agg["tests"]["placebo"]["k"] == 50
    assert 0 < agg["tests"]["placebo"]["p"] <= 1
    assert agg["tests"]["boot_p"]["k"] == 999
    assert doc["standardization"] == "exact"
    assert "SPY" not in firms


def test_standardization_and_bootstrap_flags(run, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    common = ["study", "--event-date", "2025-01-27", "--tickers", "NVDA,AVGO,MSFT,AMD",
              "--placebo", "0"]  # fmt: skip
    exact = run(*common, "--json", str(out))
    assert exact.exit_code == 0, exact.output
    before = json.loads(out.read_text())
    result = run(*common, "--standardization", "sum_sar", "--bootstrap", "99", "--json", str(out))
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    assert doc["standardization"] == "sum_sar"
    agg, old = doc["aggregate"]["-5:5"], before["aggregate"]["-5:5"]
    assert agg["tests"]["boot_p"]["k"] == 99
    assert agg["tests"]["cs_t"] == old["tests"]["cs_t"]  # CARs are the same either way
    assert agg["tests"]["bmp_t"]["stat"] != old["tests"]["bmp_t"]["stat"]
    # One firm by hand: the sum of its daily SARs over sqrt(11).
    nvda = next(f for f in doc["firms"] if f["ticker"] == "NVDA")
    sars = [d["sar"] for d in doc["days"] if d["ticker"] == "NVDA" and -5 <= d["day"] <= 5]
    assert nvda["windows"]["-5:5"]["scar"] == pytest.approx(sum(sars) / 11**0.5, rel=1e-12)
    with pytest.raises(SpecError, match="standardization: 'sum' is not one of exact, sum_sar"):
        run(*common, "--standardization", "sum")


def test_summary_and_weekend_date(run) -> None:
    result = run("study", "--event-date", "2025-01-25", "--tickers", "NVDA,AVGO", "--placebo", "0")
    assert result.exit_code == 0, result.output
    assert "Day 0: 2025-01-27" in result.output
    assert "patell_z" in result.output


def test_universe_file_with_event_rows(run, tmp_path: Path) -> None:
    table = tmp_path / "events.csv"
    table.write_text(
        "ticker,date,timing\nNVDA,2025-01-27,before_open\nAAPL,2024-08-02,after_close\n"
    )
    out = tmp_path / "o.json"
    result = run("study", "--universe-file", str(table), "--placebo", "0", "--json", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["day0"] == ["2024-08-05", "2025-01-27"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--event-date", "2025-13-45", "--tickers", "NVDA"], "is not a date"),
        (["--event-date", "2025-01-27"], "no tickers"),
        (["--tickers", "NVDA"], "--event-date: required"),
        (["--event-date", "2025-01-27", "--tickers", "NVDA", "--window=1:-1"], "reversed"),
        (["--event-date", "2025-01-27", "--tickers", "NOPE1,NOPE2"], "no usable firm"),
        (["--event-date", "2025-01-27", "--tickers", "NVDA;rm -rf"], "not a valid ticker"),
        (["--event-date", "2025-01-27", "--tickers", "NVDA", "--model", "magic"], "magic"),
        (["--event-date", "1900-01-01", "--tickers", "NVDA"], "outside the supported range"),
    ],
)
def test_user_errors_are_one_line(
    run, args: list[str], message: str, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(sys, "argv", ["aftershock", "study", *args, "--placebo", "0"])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code == 2
    assert message in err
    # One error line; warnings about tickers without prices may come before it.
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(errors) == 1
    assert all(line.startswith(("error:", "no prices for")) for line in err.strip().splitlines())


def test_json_run_names_every_dropped_input_with_its_reason(run, tmp_path: Path) -> None:
    """FI (Fiserv) is an SEC-listed S&P 500 member the data pack lacks: "not in the data";
    ZZZQ is no company: "unknown ticker"; SPY is the benchmark."""
    out = tmp_path / "out.json"
    result = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA,FI,ZZZQ,SPY",
        "--placebo", "0", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "SpecWarning" not in result.output
    for line in ("FI: not in the data", "ZZZQ: unknown ticker", "SPY: is the benchmark"):
        assert line in result.output
    excluded = {(e["ticker"], e["reason"]) for e in json.loads(out.read_text())["excluded"]}
    assert excluded == {
        ("FI", "excluded: not in the data"),
        ("ZZZQ", "excluded: unknown ticker"),
        ("SPY", "excluded: is the benchmark"),
    }


def test_an_event_after_the_data_ends_says_when_prices_end(
    run, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The pack's prices end on 2026-08-03: one line says so, not "missing price in window"."""
    args = ["study", "--event-date", "2026-09-15", "--tickers", "NVDA", "--placebo", "0"]
    monkeypatch.setattr(sys, "argv", ["aftershock", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    err = capsys.readouterr().err
    assert stop.value.code != 0
    assert "error: event_date: prices end on 2026-08-03" in err
    assert "(--event-date)" in err and "missing price" not in err


def test_json_mode_prints_the_method_warnings(run, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    result = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA,AVGO", "--window=0:0",
        "--placebo", "0", "--json", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (warning,) = json.loads(out.read_text())["warnings"]
    assert warning.startswith("window 0:0: only 2 firms; the cross-sectional tests")
    assert warning in result.output


def test_xlsx_and_latex_hold_the_json_numbers(run, tmp_path: Path) -> None:
    out, book_path, tex_path = tmp_path / "out.json", tmp_path / "t.xlsx", tmp_path / "t.tex"
    result = run(
        "study", "--event-date", "2025-01-27", "--tickers", "NVDA,AVGO,MSFT", "--window=-1:1",
        "--placebo", "0", "--json", str(out), "--xlsx", str(book_path), "--latex", str(tex_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text())
    book = openpyxl.load_workbook(book_path, read_only=True)
    rows = list(book["aggregate"].iter_rows(values_only=True))
    caar = rows[1][rows[0].index("caar")]
    assert caar == doc["aggregate"]["-1:1"]["caar"]
    tex = tex_path.read_text()
    assert f"CAAR (\\%) & ${caar * 100:.2f}$ & & 3 \\\\" in tex
    patell = doc["aggregate"]["-1:1"]["tests"]["patell_z"]
    assert f"Patell Z & ${patell['stat']:.3f}$ & ${patell['p']:.4f}$ & 3 \\\\" in tex
