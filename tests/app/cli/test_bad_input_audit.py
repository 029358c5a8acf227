"""Findings of the independent hostile-input audit (parts B and C): each case failed before.

Wrong results reported as success must now be refused or computed right; every other case is
one error line and a non-zero exit through the real entry point, with the store unchanged.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.calendar import parse_date, parse_dates
from analytics.data.factors import read_factor_file
from analytics.data.schema import split_invalid, validate_prices
from analytics.data.store import PriceStore
from analytics.errors import DataError, SpecError
from app.cli.main import main
from app.config import load_config
from tests.support import DEEPSEEK_PACK, REFERENCE

EVENT = ["--event-date", "2025-01-27"]


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("store")
    PriceStore(root).upsert(pd.read_parquet(DEEPSEEK_PACK))
    return root


def _digest(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture
def cli(store_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``aftershock ARGS`` offline *without a data pack* on the pre-filled store."""
    monkeypatch.setenv("AFTERSHOCK_HOME", str(store_dir))
    monkeypatch.delenv("AFTERSHOCK_DATA", raising=False)
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "1")

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["aftershock", *args])
        try:
            main()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def refused(cli, store_dir: Path, *args: str, contains: str) -> str:
    before = _digest(store_dir)
    code, out, err = cli(*args)
    assert code != 0, out
    assert "Traceback" not in out + err
    lines = [line for line in err.strip().splitlines() if line]
    assert len(lines) == 1, err
    assert contains.lower() in lines[0].lower(), lines[0]
    assert _digest(store_dir) == before
    return lines[0]


# -- B: wrong results reported as success ------------------------------------------------------


@pytest.mark.parametrize("text", ["01/06/2023", "13/06/2023", "06.01.2023"])
def test_factor_files_refuse_day_first_dates(tmp_path: Path, text: str) -> None:
    path = tmp_path / "factors.csv"
    path.write_text(
        f"date,Mkt-RF,SMB,HML,RF\n2023-01-05,0.1,0.2,0.3,0.01\n{text},0.1,0.2,0.3,0.01\n"
    )
    with pytest.raises(DataError, match="YYYY-MM-DD or YYYYMMDD"):
        read_factor_file(path)


def test_factor_files_accept_iso_yyyymmdd_and_a_bom(tmp_path: Path) -> None:
    iso, compact = tmp_path / "iso.csv", tmp_path / "compact.csv"
    iso.write_bytes(b"\xef\xbb\xbfdate,Mkt-RF,RF\n2023-06-01,0.5,0.01\n2023-06-13,0.4,0.01\n")
    compact.write_text("date,Mkt-RF,RF\n20230601,0.5,0.01\n20230613,0.4,0.01\n")
    expected = [pd.Timestamp("2023-06-01"), pd.Timestamp("2023-06-13")]
    assert list(read_factor_file(iso).index) == expected
    assert list(read_factor_file(compact).index) == expected


@pytest.mark.parametrize("day", ["1970-01-02", "2100-01-04", "9999-12-31"])
def test_imports_refuse_dates_outside_the_calendar(cli, store_dir: Path, tmp_path: Path, day: str):
    path = tmp_path / "prices.csv"
    path.write_text(f"ticker,date,adj_close\nNVDA,{day},1.5\n")
    refused(cli, store_dir, "data", "import", str(path), contains="outside the supported range")


def test_parquet_integer_dates_are_yyyymmdd_not_nanoseconds() -> None:
    frame = pd.DataFrame(
        {"ticker": ["NVDA", "NVDA"], "date": [20250127, 20250128], "adj_close": [1.0, 2.0]}
    )
    prices = validate_prices(frame, origin="pack")
    assert prices["date"].tolist() == [pd.Timestamp("2025-01-27"), pd.Timestamp("2025-01-28")]
    _, invalid = split_invalid(
        frame.assign(date=[20251327, 1737936000]), origin="pack"
    )  # month 13; seconds since 1970
    assert len(invalid) == 2


def test_parquet_far_future_timestamps_are_refused(tmp_path: Path) -> None:
    stamps = pa.array([pd.Timestamp("2100-01-04")]).cast(pa.timestamp("us"))
    path = tmp_path / "far.parquet"
    pq.write_table(pa.table({"ticker": ["NVDA"], "date": stamps, "adj_close": [1.0]}), path)
    with pytest.raises(DataError, match="outside the supported range"):
        validate_prices(pd.read_parquet(path), origin=str(path))


def test_event_date_with_an_offset_is_new_york_time() -> None:
    # 19:30 in New York is 00:30 UTC the next day: the event is on the 27th, after the close.
    assert parse_date("2025-01-27T19:30:00-05:00") == pd.Timestamp("2025-01-27")
    assert parse_date("2025-01-28T00:30:00Z") == pd.Timestamp("2025-01-27")
    both = parse_dates(["2025-01-27T19:30:00-05:00", "2025-01-27", "2025-01-28T00:30:00+00:00"])
    assert both.tolist() == [pd.Timestamp("2025-01-27")] * 3


def test_event_date_with_an_offset_resolves_day0_in_new_york(cli, tmp_path: Path) -> None:
    out = tmp_path / "study.json"
    code, _, err = cli(
        "study", "--event-date", "2025-01-27T19:30:00-05:00", "--timing", "after_close",
        "--tickers", "NVDA", "--placebo", "0", "--json", str(out),
    )  # fmt: skip
    assert code == 0, err
    doc = json.loads(out.read_text())
    assert doc["day0"] == "2025-01-28"
    assert doc["firms"][0]["event_date"] == "2025-01-27"


@pytest.mark.parametrize(
    ("width", "height", "scale"), [(8000, 4000, 4), (8000, 8000, 2.5), (16385, 200, 1)]
)
def test_export_caps_the_pixel_size(width: int, height: int, scale: float) -> None:
    from app.charts.export import check_image_size

    with pytest.raises(SpecError, match="pixel"):
        check_image_size(width, height, scale)
    check_image_size(1200, 700, 2)


def test_export_refuses_a_huge_image_before_the_study(cli, store_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "charts"
    refused(
        cli, store_dir, "export", *EVENT, "--tickers", "NVDA", "--out", str(out),
        "--width", "8000", "--height", "4000", "--scale", "4", contains="32000x16000",
    )  # fmt: skip
    assert not out.exists()


def test_offline_study_on_a_complete_store_needs_no_source(cli) -> None:
    code, out, err = cli("study", *EVENT, "--tickers", "NVDA,AVGO", "--placebo", "0")
    assert code == 0, err
    assert "sources: none given" not in err
    assert "NVDA" in out


def test_offline_study_names_what_the_store_lacks(cli, store_dir: Path) -> None:
    # Offline with no data pack, the stored prices are enough for NVDA; only ZZZQQ is missing,
    # and it is named (not "sources: none given").
    before = _digest(store_dir)
    code, out, err = cli("study", *EVENT, "--tickers", "NVDA,ZZZQQ", "--placebo", "0")
    assert "Traceback" not in out + err
    assert "no prices for ZZZQQ: no source configured" in err
    assert "NVDA" not in err
    assert code == 0 and "NVDA" in out
    assert _digest(store_dir) == before


# -- C: one line instead of a traceback ---------------------------------------------------------


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize(
    ("name", "data", "contains"),
    [
        ("ragged.csv", "ticker,date\nNVDA,2025-01-27,x\nAVGO\n", "more fields"),
        ("empty-ticker.csv", "ticker,date\n,2025-01-27\n", "empty ticker"),
        ("empty-date.csv", "ticker,date\nNVDA,\n", "empty date"),
        ("slash.csv", "ticker,date\nNVDA,05/02/2025\n", "ambiguous"),
        ("far.csv", "ticker,date\nNVDA,9999-12-31\n", "outside the supported range"),
        ("nul.txt", b"NVDA\n\x00\x00", "binary"),
        ("latin.txt", b"NVDA\n\xe9\n", "UTF-8"),
    ],
)
def test_bad_universe_files(
    cli, store_dir: Path, tmp_path: Path, name: str, data: bytes | str, contains: str
) -> None:
    path = _write(tmp_path, name, data)
    refused(cli, store_dir, "study", *EVENT, "--universe-file", str(path), contains=contains)


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_device_is_not_a_universe(cli, store_dir: Path, device: str) -> None:
    refused(cli, store_dir, "study", *EVENT, "--universe-file", device, contains="regular file")


def test_a_silent_pipe_as_universe_times_out(
    cli, store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.cli.files.UNIVERSE_TIMEOUT_S", 0.5)
    fifo = tmp_path / "universe.fifo"
    os.mkfifo(fifo)
    # A writer that opens the pipe and never writes nor closes it, like a stuck producer.
    done = threading.Event()

    def writer() -> None:
        with open(fifo, "wb"):
            done.wait(10)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    try:
        refused(cli, store_dir, "study", *EVENT, "--universe-file", str(fifo), contains="within")
    finally:
        done.set()
        thread.join()


def test_a_huge_universe_is_refused_by_size(
    cli, store_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.cli.files.UNIVERSE_MAX_BYTES", 1000)
    path = _write(tmp_path, "big.txt", "NVDA\n" * 1000)
    refused(cli, store_dir, "study", *EVENT, "--universe-file", str(path), contains="larger than")


def test_a_sparse_gigabyte_universe_is_judged_on_its_first_bytes(
    cli, store_dir: Path, tmp_path: Path
) -> None:
    path = tmp_path / "sparse.txt"
    with path.open("wb") as handle:
        handle.truncate(2**30)  # a 1 GiB file of NUL bytes, taking no disk space
    refused(cli, store_dir, "study", *EVENT, "--universe-file", str(path), contains="binary")


def test_many_firm_events_are_refused_in_one_short_line(
    cli, store_dir: Path, tmp_path: Path
) -> None:
    path = _write(tmp_path, "u.txt", "\n".join(f"Q{i:06d}" for i in range(200_001)))
    line = refused(
        cli, store_dir, "study", *EVENT, "--universe-file", str(path), contains="200,001"
    )
    assert len(line) < 300


def test_the_drop_warning_is_one_capped_line() -> None:
    from analytics.study.spec import SpecWarning, StudySpec

    with pytest.warns(SpecWarning) as caught:
        StudySpec.create(tickers=["NVDA"] * 5000, date="2025-01-27")
    message = str(caught[0].message)
    assert "and 4,989 more" in message and len(message) < 400


@pytest.mark.parametrize(
    ("text", "ok"),
    [("\ufeffNVDA\nAVGO\n", True), ("\ufeffticker,date\nNVDA,2025-01-27\n", True)],
)
def test_universe_files_may_start_with_a_bom(cli, tmp_path: Path, text: str, ok: bool) -> None:
    path = _write(tmp_path, "bom.csv", text)
    extra = [] if "date" in text else EVENT
    code, out, err = cli("study", *extra, "--universe-file", str(path), "--placebo", "0")
    assert code == 0, err
    assert "NVDA" in out


def test_an_unreadable_file_in_an_import_directory(cli, store_dir: Path, tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    _write(pack, "a.csv", "ticker,date,adj_close\nNVDA,2025-01-27,1\n")
    # Reading /proc/self/mem at offset 0 fails with EIO, even for root.
    (pack / "b.csv").symlink_to("/proc/self/mem")
    refused(cli, store_dir, "data", "import", str(pack), contains="b.csv")


def test_json_naming_a_folder_is_refused_before_the_study(
    cli, store_dir: Path, tmp_path: Path
) -> None:
    refused(cli, store_dir, "study", *EVENT, "--tickers", "NVDA", "--json", str(tmp_path),
            contains="is a folder")  # fmt: skip


@pytest.mark.parametrize(
    ("option", "example"), [("--xlsx", "study.xlsx"), ("--latex", "tables.tex")]
)
def test_a_folder_as_table_file_is_refused_with_an_example(
    cli, store_dir: Path, tmp_path: Path, option: str, example: str
) -> None:
    line = refused(cli, store_dir, "study", *EVENT, "--tickers", "NVDA", option, str(tmp_path),
                   contains=f"{option}: {tmp_path} is a folder")  # fmt: skip
    assert line.endswith(f"e.g. {tmp_path / example}")


def test_json_to_a_full_device_is_one_line(cli, store_dir: Path) -> None:
    refused(cli, store_dir, "study", *EVENT, "--tickers", "NVDA", "--placebo", "0",
            "--json", "/dev/full", contains="no space")  # fmt: skip


@pytest.mark.parametrize("command", ["study", "export"])
def test_an_existing_file_as_output_folder(
    cli, store_dir: Path, tmp_path: Path, command: str
) -> None:
    target = _write(tmp_path, "taken", "keep me")
    option = "--csv" if command == "study" else "--out"
    refused(cli, store_dir, command, *EVENT, "--tickers", "NVDA", option, str(target),
            contains="not a folder")  # fmt: skip
    assert target.read_text() == "keep me"


def test_a_column_type_changed_by_another_tool(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "store"
    PriceStore(root).upsert(pd.read_parquet(DEEPSEEK_PACK))
    victim = sorted((root / "prices").glob("2025*.parquet"))[0]
    table = pq.read_table(victim)
    table = table.set_column(1, "date", table.column("date").cast(pa.string()))
    pq.write_table(table, victim)
    monkeypatch.setenv("AFTERSHOCK_HOME", str(root))
    pack = _write(tmp_path, "p.csv", "ticker,date,adj_close\nNVDA,2025-01-27,1\n")
    refused(cli, root, "data", "import", str(pack), contains="store damaged")


def test_a_deeply_nested_toml(tmp_path: Path) -> None:
    path = _write(tmp_path, "deep.toml", "a = " + "[" * 5000 + "]" * 5000)
    with pytest.raises(SpecError, match="nested too deeply"):
        load_config(path)


def test_a_toml_with_a_bom(tmp_path: Path) -> None:
    path = _write(tmp_path, "bom.toml", b'\xef\xbb\xbf[watchlists]\nchips = ["NVDA"]\n')
    assert load_config(path).watchlists["chips"] == ("NVDA",)


@pytest.mark.parametrize("text", ["05/02/2025", "5.2.2025", "02-05-2025"])
def test_slash_dates_are_ambiguous(text: str) -> None:
    with pytest.raises(SpecError, match="ambiguous"):
        parse_date(text)


def test_iso_and_month_name_dates_still_parse() -> None:
    assert parse_date("2025-02-05") == parse_date("Feb 5 2025") == pd.Timestamp("2025-02-05")
