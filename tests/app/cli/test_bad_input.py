"""The bad-input corpus: every case gets a clear message and a non-zero exit, never a traceback,
and never changes what the store already holds.

Cases run through the real entry point (`app.cli.main.main`) against a store pre-filled from the
DeepSeek data pack. Files are generated here, never committed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from analytics.data.store import PriceStore
from analytics.errors import DataError
from analytics.news import clean_text, find_event_dates, parse_article
from app.cli.main import main
from tests.support import DEEPSEEK_PACK, MARKET_DATA, REFERENCE

EVENT = ["--event-date", "2025-01-27"]
NVDA = ["--tickers", "NVDA,AVGO"]


def _files(root: Path) -> dict[str, Callable[[], Path]]:
    """Generators of malformed files, keyed by the name cases refer to."""

    def write(name: str, data: bytes | str) -> Path:
        path = root / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
        return path

    good = "ticker,date,adj_close\nNVDA,2025-01-27,118.24\n"
    return {
        "empty.csv": lambda: write("empty.csv", b""),
        "binary.csv": lambda: write("binary.csv", bytes(range(256)) * 64),
        "columns.csv": lambda: write("columns.csv", "symbol,day,price\nNVDA,2025-01-27,1\n"),
        "dupes.csv": lambda: write("dupes.csv", good + "NVDA,2025-01-27,118.24\n"),
        "baddate.csv": lambda: write("baddate.csv", "ticker,date,adj_close\nNVDA,2025-13-45,1\n"),
        "nan.csv": lambda: write("nan.csv", "ticker,date,adj_close\nNVDA,2025-01-27,\n"),
        "negative.csv": lambda: write(
            "negative.csv", "ticker,date,adj_close\nNVDA,2025-01-27,-5\n"
        ),
        "text.csv": lambda: write("text.csv", "ticker,date,adj_close\nNVDA,2025-01-27,abc\n"),
        "header.csv": lambda: write("header.csv", "ticker,date,adj_close\n"),
        "ragged.csv": lambda: write("ragged.csv", good + "NVDA,2025-01-28\n"),
        "fake.parquet": lambda: write("fake.parquet", b"PAR1 not really parquet"),
        "emptydir": lambda: (root / "emptydir").mkdir() or root / "emptydir",
        "universe-empty.txt": lambda: write("universe-empty.txt", "\n\n"),
        "universe-binary.txt": lambda: write("universe-binary.txt", b"\xff\xfe\x00\x01" * 100),
        "universe-baddate.csv": lambda: write("universe-baddate.csv", "ticker,date\nNVDA,soon\n"),
        "universe-injection.txt": lambda: write("universe-injection.txt", "NVDA\n$(reboot)\n"),
    }


TEN_THOUSAND = ",".join(f"Q{i:05d}" for i in range(10_000))

# (case id, argv after `aftershock`, text the one-line error must contain)
CASES: list[tuple[str, list[str], str]] = [
    # tickers
    ("tickers-empty", ["study", *EVENT, "--tickers", ""], "no tickers"),
    ("tickers-blank-list", ["study", *EVENT, "--tickers", " , , "], "no tickers"),
    ("tickers-unknown", ["study", *EVENT, "--tickers", "ZZZZQ,QQQZZ"], "no usable firm"),
    ("tickers-sql", ["study", *EVENT, "--tickers", "NVDA');DROP TABLE prices;--"], "not a valid"),
    ("tickers-sql-or", ["study", *EVENT, "--tickers", "' OR '1'='1"], "not a valid ticker"),
    ("tickers-shell-subst", ["study", *EVENT, "--tickers", "$(rm -rf ~)"], "not a valid ticker"),
    ("tickers-backticks", ["study", *EVENT, "--tickers", "`reboot`"], "not a valid ticker"),
    ("tickers-pipe", ["study", *EVENT, "--tickers", "NVDA|cat /etc/passwd"], "not a valid"),
    ("tickers-semicolon", ["study", *EVENT, "--tickers", "NVDA;ls"], "not a valid ticker"),
    ("tickers-path", ["study", *EVENT, "--tickers", "../../etc/passwd"], "not a valid ticker"),
    ("tickers-too-long", ["study", *EVENT, "--tickers", "A" * 60], "not a valid ticker"),
    ("tickers-unicode", ["study", *EVENT, "--tickers", "NVDÅ"], "not a valid ticker"),
    ("tickers-10000", ["study", *EVENT, "--tickers", TEN_THOUSAND, "--placebo", "0"], "usable"),
    ("tickers-only-benchmark", ["study", *EVENT, "--tickers", "SPY"], "benchmark"),
    # dates
    ("date-1900", ["study", "--event-date", "1900-01-01", *NVDA], "outside the supported range"),
    ("date-malformed", ["study", "--event-date", "2025-13-45", *NVDA], "is not a date"),
    ("date-feb-30", ["study", "--event-date", "2025-02-30", *NVDA], "is not a date"),
    ("date-words", ["study", "--event-date", "yesterday", *NVDA], "is not a date"),
    ("date-empty", ["study", "--event-date", "", *NVDA], "is not a date"),
    ("date-missing", ["study", *NVDA], "--event-date"),
    ("date-future", ["study", "--event-date", "2030-06-03", *NVDA], "prices end on"),
    ("date-far-future", ["study", "--event-date", "2999-01-01", *NVDA], "outside"),
    ("date-before-data", ["study", "--event-date", "1995-01-03", *NVDA], "no prices"),
    ("timing-bad", ["study", *EVENT, *NVDA, "--timing", "midnight"], "midnight"),
    # windows
    ("window-reversed", ["study", *EVENT, *NVDA, "--window=1:-1"], "reversed"),
    ("window-malformed", ["study", *EVENT, *NVDA, "--window=abc"], "is not a window"),
    ("window-three-parts", ["study", *EVENT, *NVDA, "--window=1:2:3"], "is not a window"),
    ("window-enormous", ["study", *EVENT, *NVDA, "--window=0:5000"], "too long"),
    ("estimation-enormous", ["study", *EVENT, *NVDA, "--estimation=-100000:-11"], "too long"),
    ("estimation-overlaps", ["study", *EVENT, *NVDA, "--estimation=-5:5"], "overlap"),
    ("estimation-touches", ["study", *EVENT, *NVDA, "--estimation=-250:-1"], "overlap"),
    ("estimation-reversed", ["study", *EVENT, *NVDA, "--estimation=-11:-250"], "reversed"),
    ("min-estimation-zero", ["study", *EVENT, *NVDA, "--min-estimation", "0"], "min_estimation"),
    ("min-estimation-huge", ["study", *EVENT, *NVDA, "--min-estimation", "9999"], "min_estimation"),
    ("placebo-negative", ["study", *EVENT, *NVDA, "--placebo", "-5"], "placebo"),
    ("model-unknown", ["study", *EVENT, *NVDA, "--model", "magic"], "magic"),
    ("returns-unknown", ["study", *EVENT, *NVDA, "--returns", "weird"], "weird"),
    ("benchmark-unknown", ["study", *EVENT, *NVDA, "--benchmark", "ZZZQQ"], "ZZZQQ"),
    ("benchmark-injection", ["study", *EVENT, *NVDA, "--benchmark", "SPY;rm"], "not a valid"),
    # universe files
    ("universe-missing", ["study", *EVENT, "--universe-file", "{tmp}/nope.txt"], "nope.txt"),
    ("universe-empty", ["study", *EVENT, "--universe-file", "{universe-empty.txt}"], "empty"),
    ("universe-binary", ["study", *EVENT, "--universe-file", "{universe-binary.txt}"], "text"),
    ("universe-baddate", ["study", "--universe-file", "{universe-baddate.csv}"], "soon"),
    ("universe-injection", ["study", *EVENT, "--universe-file", "{universe-injection.txt}"],
     "valid"),
    # data import: malformed files
    ("import-missing", ["data", "import", "{tmp}/nope.csv"], "nope.csv"),
    ("import-empty", ["data", "import", "{empty.csv}"], "empty.csv"),
    ("import-binary", ["data", "import", "{binary.csv}"], "binary.csv"),
    ("import-columns", ["data", "import", "{columns.csv}"], "adj_close"),
    ("import-duplicates", ["data", "import", "{dupes.csv}"], "duplicate"),
    ("import-bad-date", ["data", "import", "{baddate.csv}"], "date"),
    ("import-nan", ["data", "import", "{nan.csv}"], "adj_close"),
    ("import-negative", ["data", "import", "{negative.csv}"], "adj_close"),
    ("import-text-price", ["data", "import", "{text.csv}"], "adj_close"),
    ("import-header-only", ["data", "import", "{header.csv}"], "header.csv"),
    ("import-ragged", ["data", "import", "{ragged.csv}"], "ragged.csv"),
    ("import-fake-parquet", ["data", "import", "{fake.parquet}"], "fake.parquet"),
    ("import-empty-dir", ["data", "import", "{emptydir}"], "emptydir"),
    # data fetch / info
    ("fetch-reversed", ["data", "fetch", "NVDA", "--start", "2025-02-01", "--end", "2025-01-01"],
     "start"),
    ("fetch-bad-ticker", ["data", "fetch", "NV DA;x", "--start", "2025-01-01"], "not a valid"),
    ("fetch-bad-date", ["data", "fetch", "NVDA", "--start", "someday"], "someday"),
    ("fetch-unknown", ["data", "fetch", "ZZZQQ", "--start", "2025-01-01", "--end", "2025-01-31"],
     "ZZZQQ"),
    # export
    ("export-format", ["export", *EVENT, *NVDA, "--out", "{tmp}/charts", "--format", "gif"], "gif"),
]  # fmt: skip


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    PriceStore(root).upsert(pd.read_parquet(DEEPSEEK_PACK))
    return root


def _stored(root: Path) -> pd.Series:
    return PriceStore(root).prices(None).set_index(["ticker", "date"])["adj_close"]


@pytest.fixture(scope="module")
def baseline(store_dir: Path) -> pd.Series:
    return _stored(store_dir)


def _unchanged(root: Path, baseline: pd.Series) -> bool:
    """Every row stored before is still there with the same price (fetches may add rows)."""
    now = _stored(root).reindex(baseline.index)
    return bool((now.to_numpy() == baseline.to_numpy()).all())


@pytest.mark.parametrize(("argv", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cli_case(
    argv: list[str],
    message: str,
    store_dir: Path,
    baseline: pd.Series,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AFTERSHOCK_HOME", str(store_dir))
    monkeypatch.setenv("AFTERSHOCK_DATA", str(MARKET_DATA))
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")
    files = _files(tmp_path)
    args = []
    for arg in argv:
        key = arg.strip("{}") if arg.startswith("{") and arg.endswith("}") else None
        args.append(str(files[key]()) if key in files else arg.replace("{tmp}", str(tmp_path)))
    monkeypatch.setattr(sys, "argv", ["aftershock", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert stop.value.code not in (0, None), captured.out
    assert "Traceback" not in err + captured.out
    # User mistakes are one error line; a fetch that found nothing reports per ticker instead.
    assert message.lower() in (err + captured.out).lower(), err
    assert _unchanged(store_dir, baseline)


def test_news_html_is_stripped() -> None:
    text = "Headline\n<script>alert('x')</script><p>Nvidia <b>fell</b> on January 27, 2025.</p>"
    article = parse_article(text)
    cleaned = " ".join(clean_text(article.body))
    assert "<" not in cleaned and "alert" not in cleaned
    assert "Nvidia fell on January 27, 2025." in cleaned


def test_news_five_megabytes_rejected() -> None:
    with pytest.raises(DataError, match=r"MB|bytes"):
        parse_article("Headline\n" + "word " * 1_000_000)


def test_news_without_date_finds_none() -> None:
    assert find_event_dates("Markets were calm. Nothing happened at all.") == []


@pytest.mark.parametrize("data", [b"\x00\x01binary", b"", b"   \n  ", b"\xff\xfe\xfa"])
def test_news_unreadable_rejected(data: bytes) -> None:
    with pytest.raises(DataError):
        parse_article(data)
