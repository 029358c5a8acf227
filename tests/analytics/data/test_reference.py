"""Reference loaders on the shared files, and their normalisation rules on hand-made files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analytics.data.reference import (
    COMMON_WORDS,
    HAND_ALIASES,
    company_aliases,
    name_variants,
    sec_companies,
    sectors,
    sp500,
    sp500_market_caps,
    yahoo_symbol,
)
from analytics.errors import DataError
from tests.support import REFERENCE

SNAPSHOT_HEADER = (
    "ticker,short_name,long_name,exchange,sector,industry,country,price,market_cap,index_weight\n"
)


def write_snapshot(folder: Path, date: str, rows: list[str]) -> Path:
    path = folder / f"sp500-companies-{date}.csv"
    path.write_text(SNAPSHOT_HEADER + "".join(row + "\n" for row in rows))
    return path


def test_sec_companies_reads_every_row_in_yahoo_form() -> None:
    companies = sec_companies(REFERENCE)
    assert len(companies) == 10_215  # the count the shared README documents
    assert list(companies.columns) == ["ticker", "name", "cik"]
    assert companies["ticker"].is_unique
    assert not companies["ticker"].str.contains(r"[./a-z]").any()
    nvidia = companies.set_index("ticker").loc["NVDA"]
    assert (nvidia["name"], nvidia["cik"]) == ("NVIDIA CORP", 1045810)  # SEC EDGAR's CIK
    assert {"BRK-A", "BRK-B", "BF-A", "BF-B"} <= set(companies["ticker"])


def test_loaders_hand_out_copies() -> None:
    first = sec_companies(REFERENCE)
    first.loc[0, "ticker"] = "CHANGED"
    first["extra"] = 1
    again = sec_companies(REFERENCE)
    assert again.loc[0, "ticker"] == "NVDA"
    assert "extra" not in again.columns
    aliases = company_aliases(REFERENCE)
    aliases["nvidia"] = "XXX"
    assert company_aliases(REFERENCE)["nvidia"] == "NVDA"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("BRK.B", "BRK-B"), (" bf/b ", "BF-B"), ("BRK-B", "BRK-B"), ("nvda", "NVDA")],
)
def test_yahoo_symbol(raw: str, expected: str) -> None:
    assert yahoo_symbol(raw) == expected


def test_sp500_snapshot() -> None:
    members = sp500(REFERENCE)
    assert len(members) == 502  # 503 lines in the file: the header and 502 share classes
    assert members["ticker"].is_unique
    assert {"BRK-B", "BF-B", "GOOGL", "GOOG"} <= set(members["ticker"])
    assert members["as_of"].eq(pd.Timestamp("2024-12-20")).all()
    assert members["weight"].sum() == pytest.approx(1.0, abs=1e-6)
    nvda = members.set_index("ticker").loc["NVDA"]
    # Values of the NVDA row of sp500-companies-2024-12-20.csv, read by eye.
    assert nvda["name"] == "NVIDIA Corporation"
    assert (nvda["sector"], nvda["industry"]) == ("Technology", "Semiconductors")
    assert nvda["price"] == 134.7
    assert nvda["market_cap"] == 3.2988e12


def test_sp500_normalises_tickers_and_takes_the_latest_snapshot(tmp_path: Path) -> None:
    row = "BRK.B,Berkshire,Berkshire Hathaway Inc.,NYQ,Financial Services,Insurance,US,450,9e11,1"
    write_snapshot(tmp_path, "2023-06-30", [row.replace("450", "300")])
    write_snapshot(tmp_path, "2024-12-20", [row])
    (tmp_path / "sp500-companies-latest.csv").write_text("not a dated snapshot")
    members = sp500(tmp_path)
    assert members["ticker"].tolist() == ["BRK-B"]
    assert members["price"].tolist() == [450.0]
    assert members["as_of"].tolist() == [pd.Timestamp("2024-12-20")]
    caps = sp500_market_caps(tmp_path)
    assert caps.to_dict("list") == {
        "ticker": ["BRK-B"],
        "date": [pd.Timestamp("2024-12-20")],
        "market_cap": [9e11],
    }


def test_sp500_errors_name_the_file_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"sp500-companies-\*\.csv.*shared reference"):
        sp500(tmp_path)
    (tmp_path / "sp500-companies-2024-01-02.csv").write_text("ticker,price\nAAPL,1\n")
    with pytest.raises(DataError, match=r"sp500-companies-2024-01-02\.csv: missing column.*sector"):
        sp500(tmp_path)
    row = "AAPL,Apple,Apple Inc.,NMS,Technology,Consumer Electronics,US,-1,3e12,1"
    write_snapshot(tmp_path, "2024-01-03", [row])
    with pytest.raises(DataError, match="not positive for AAPL"):
        sp500(tmp_path)


def test_sp500_market_caps() -> None:
    caps = sp500_market_caps(REFERENCE)
    assert list(caps.columns) == ["ticker", "date", "market_cap"]
    assert len(caps) == 502
    assert caps["date"].eq(pd.Timestamp("2024-12-20")).all()
    assert caps.set_index("ticker").loc["AAPL", "market_cap"] == 3.84682e12


def test_sectors_use_snapshot_labels_then_sic_codes() -> None:
    labels = sectors(REFERENCE)
    assert labels.index.is_unique
    assert labels.name == "sector"
    assert labels["NVDA"] == "Technology"
    assert labels["JPM"] == "Financial Services"
    assert labels["AMZN"] == "Consumer Cyclical"  # the snapshot's label, not its SIC code's
    assert labels["AAOI"] == "Technology"  # SIC 3674, not in the S&P 500
    assert labels["CHWY"] == "Consumer Cyclical"  # SIC 5961, catalog retail
    assert labels["BE"] == "Industrials"  # SIC 3620, electrical apparatus
    assert len(labels) == 502 + 451  # S&P members plus SIC tech names outside the index


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("NVIDIA CORP", ("nvidia",)),
        ("BANK OF AMERICA CORP /DE/", ("bank of america",)),
        ("ELI LILLY & Co", ("eli lilly",)),
        ("NOVO NORDISK A S", ("novo nordisk",)),
        ("Alibaba Group Holding Ltd", ("alibaba",)),
        ("ASML HOLDING NV", ("asml",)),
        ("The Cigna Group", ("cigna",)),
        ("AMAZON COM INC", ("amazon",)),
        ("COSTCO WHOLESALE CORP /NEW", ("costco wholesale",)),
        ("WNS (HOLDINGS) LTD", ("wns",)),
        ("Meta Platforms, Inc.", ("meta platforms", "meta")),
        ("MICRON TECHNOLOGY INC", ("micron technology", "micron")),
        ("Alphabet Inc. Class A", ("alphabet",)),
        ("Cheniere Energy Partners, L.P.", ("cheniere energy partners",)),
        ("Inc.", ()),
    ],
)
def test_name_variants(title: str, expected: tuple[str, ...]) -> None:
    assert name_variants(title) == expected


def test_company_aliases() -> None:
    aliases = company_aliases(REFERENCE)
    expected = {
        "nvidia": "NVDA",
        "broadcom": "AVGO",
        "google": "GOOGL",
        "alphabet": "GOOGL",
        "s&p 500": "SPY",
        "bank of america": "BAC",
        "cisco": "CSCO",  # "Cisco Systems" without its descriptive word
        "eli lilly": "LLY",
        "jpmorgan chase": "JPM",
        "taiwan semiconductor manufacturing": "TSM",
        "berkshire hathaway": "BRK-B",  # the SEC lists BRK-B first
        "brown forman": "BF-B",  # the S&P 500 share class, though the SEC lists BF-A first
    }
    assert {k: aliases.get(k) for k in expected} == expected
    assert all(k == k.lower() for k in aliases)
    assert all(v == yahoo_symbol(v) for v in aliases.values())
    assert HAND_ALIASES.items() <= aliases.items()


def test_company_aliases_leave_out_common_words() -> None:
    aliases = company_aliases(REFERENCE)
    # Weekdays, everyday words and tech terms that are also SEC registrants' names.
    for word in ["monday", "news", "block", "match", "gap", "quantum", "crypto", "billion"]:
        assert word in COMMON_WORDS
        assert word not in aliases
    # Generic words in many titles ("american", "global"), and one- or two-letter names.
    for word in ["american", "global", "first", "on", "hp", "bp"]:
        assert word not in aliases
    # "Global AI" and "AI Technology" are registrants made only of generic words.
    assert "global ai" not in aliases
    assert "ai technology" not in aliases


def test_reference_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"sec-company-tickers\.json does not exist"):
        sec_companies(tmp_path)
    (tmp_path / "sec-company-tickers.json").write_text(json.dumps([{"ticker": "X"}]))
    with pytest.raises(DataError, match=r"sec-company-tickers\.json: not the SEC .* format"):
        sec_companies(tmp_path)
    write_snapshot(tmp_path, "2024-12-20", ["A,A,A Inc.,NYQ,Healthcare,Diagnostics,US,1,1e9,1"])
    with pytest.raises(DataError, match=r"sec-sic-tech\.csv does not exist"):
        sectors(tmp_path)
