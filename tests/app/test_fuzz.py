"""Property-based fuzzing of every user input: a valid result, or one error line, never a crash.

CLI cases run in-process (Typer's ``CliRunner``) against a small store; a refused input must
leave the store's files byte-identical. The dashboard's callback endpoint must answer malformed
bodies with 4xx, never 500. Example counts are bounded (the whole file takes about two minutes);
explore further locally with ``pytest tests/test_fuzz.py --hypothesis-seed=N``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analytics.data.factors import read_factor_file
from analytics.data.store import PriceStore
from analytics.errors import AftershockError
from app.cli.main import cli
from app.cli.output import one_line
from app.config import load_config
from tests.support import DEEPSEEK_PACK

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=25, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
FAST = settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])

TICKERS = ["NVDA", "AVGO", "TSM", "SPY", "ZZZQQ", "nvda", "BRK-B", "^IRX", "", " ", "N V", "ıntc"]
DATES = ["2025-01-27", "2025-01-24", "20250127", "2025-02-30", "05/02/2025", "1970-01-01",
         "9999-12-31", "2025-01-27T19:30:00-05:00", "soon", "", "2030-12-31",
         "1990-01-02"]  # fmt: skip
WORDS = ["ticker", "date", "timing", "after_close", "before_open", "adj_close", "1.5", "-2", "nan",
         "inf", "0", ",", ",,", '"', "\ufeff", "\x00", "é", "\t"]  # fmt: skip
cells = st.one_of(st.sampled_from(TICKERS + DATES + WORDS), st.text(max_size=8))


def csv_text(columns: list[str]) -> st.SearchStrategy[str]:
    """CSV-ish text: a header (sometimes the expected one), rows of near-valid cells."""
    header = st.one_of(st.just(",".join(columns)), st.lists(cells, max_size=4).map(",".join))
    rows = st.lists(st.lists(cells, min_size=0, max_size=len(columns) + 1), max_size=12)
    bom = st.sampled_from(["", "\ufeff"])
    return st.tuples(bom, header, rows).map(
        lambda t: t[0] + t[1] + "\n" + "\n".join(",".join(r) for r in t[2]) + "\n"
    )


file_bytes = st.one_of(
    csv_text(["ticker", "date", "adj_close"]).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=300),
)


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-store")
    prices = pd.read_parquet(DEEPSEEK_PACK)
    keep = prices["ticker"].isin(["NVDA", "AVGO", "SPY"]) & (
        pd.to_datetime(prices["date"]) >= pd.Timestamp("2024-01-01")
    )
    PriceStore(root).upsert(prices[keep])
    return root


def _digest(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


def run_cli(args: list[str], store: Path) -> tuple[int, str]:
    """Invoke the CLI in-process as :func:`app.cli.main` would; fail on any crash.

    Returns the exit code and the error line (``""`` on success).
    """
    env = {
        "AFTERSHOCK_HOME": str(store),
        "AFTERSHOCK_OFFLINE": "1",
        "AFTERSHOCK_DATA": "",
        "AFTERSHOCK_REFERENCE": "",
        "AFTERSHOCK_NEWS": "",
    }
    result = CliRunner().invoke(cli, args, env=env, catch_exceptions=True)
    exc = result.exception
    if exc is None or isinstance(exc, SystemExit):
        return result.exit_code, "" if result.exit_code == 0 else result.output
    if isinstance(exc, (AftershockError, OSError)):
        # main() prints these as one line and exits non-zero.
        line = one_line(exc)
        assert line, f"an empty error message for {args}"
        return 2, line
    raise AssertionError(f"{type(exc).__name__} escaped for {args}: {exc}") from exc


def _fresh(store_root: Path, work: Path) -> Path:
    store = work / "store"
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(store_root, store)
    return store


@FUZZ
@given(data=file_bytes)
def test_universe_files(data: bytes, store_root: Path, work: Path) -> None:
    path = work / "universe.csv"
    path.write_bytes(data)
    before = _digest(store_root)
    code, _ = run_cli(
        ["study", "--event-date", "2025-01-27", "--placebo", "0", "--estimation=-60:-2",
         "--min-estimation", "20", "--universe-file", str(path)],
        store_root,
    )  # fmt: skip
    if code != 0:
        assert _digest(store_root) == before


@FUZZ
@given(data=file_bytes, suffix=st.sampled_from([".csv", ".parquet"]))
def test_import_files(data: bytes, suffix: str, store_root: Path, work: Path) -> None:
    store = _fresh(store_root, work)
    path = work / f"prices{suffix}"
    path.write_bytes(data)
    before = _digest(store)
    code, _ = run_cli(["data", "import", str(path)], store)
    if code != 0:
        assert _digest(store) == before
    else:
        PriceStore(store).prices(None)  # what was imported can be read back


@FAST
@given(text=csv_text(["date", "Mkt-RF", "SMB", "HML", "RF"]))
def test_factor_files(text: str, work: Path) -> None:
    path = work / "factors.csv"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        table = read_factor_file(path)
    except AftershockError as exc:
        assert one_line(exc)
    else:
        assert table.index.is_monotonic_increasing and not table.index.has_duplicates


toml_values = st.recursive(
    st.one_of(
        st.integers().map(str),
        st.booleans().map(lambda b: str(b).lower()),
        st.sampled_from(TICKERS + DATES).map(json.dumps),
    ),
    lambda inner: st.lists(inner, max_size=3).map(lambda v: "[" + ", ".join(v) + "]"),
    max_leaves=8,
)
toml_keys = st.sampled_from(["name", "tickers", "date", "model", "window", "cron", "format",
                             "watchlist", "timing", "studies", "x"])  # fmt: skip
toml_tables = st.sampled_from(["", "[watchlists]", "[[studies]]", "[[schedules]]", "[export]",
                               "[nope]", "[[studies"])  # fmt: skip
toml_text = st.lists(
    st.tuples(toml_tables, st.lists(st.tuples(toml_keys, toml_values), max_size=4)), max_size=4
).map(
    lambda parts: "\n".join(
        table + "\n" + "\n".join(f"{k} = {v}" for k, v in pairs) for table, pairs in parts
    )
)


@FAST
@given(text=toml_text, bom=st.booleans())
def test_config_files(text: str, bom: bool, work: Path) -> None:
    path = work / "aftershock.toml"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    try:
        load_config(path)
    except AftershockError as exc:
        assert one_line(exc)


arg_text = st.one_of(st.sampled_from(DATES + TICKERS + WORDS), st.text(max_size=12))
windows = st.one_of(
    st.sampled_from(["0:0", "-1:1", "1:-1", "abc", "0:5000", "-5:5", ":", "0:0:0"]),
    st.tuples(st.integers(-20, 20), st.integers(-20, 20)).map(lambda t: f"{t[0]}:{t[1]}"),
)


@FUZZ
@given(
    date=st.one_of(st.sampled_from(DATES), arg_text),
    tickers=st.lists(st.sampled_from(TICKERS), min_size=0, max_size=3).map(",".join),
    timing=st.sampled_from(["before_open", "after_close", "during_session", "noon", ""]),
    window=windows,
    estimation=st.sampled_from(["-60:-2", "-250:-11", "-2:-60", "x", "-5:5"]),
    benchmark=st.sampled_from(["SPY", "NVDA", "ZZZQQ", "spy", "^X", ""]),
    model=st.sampled_from(["market", "market_adjusted", "ff3", "nope"]),
)
def test_study_arguments(
    date: str,
    tickers: str,
    timing: str,
    window: str,
    estimation: str,
    benchmark: str,
    model: str,
    store_root: Path,
) -> None:
    before = _digest(store_root)
    code, _ = run_cli(
        ["study", "--event-date", date, "--tickers", tickers, "--timing", timing,
         f"--window={window}", f"--estimation={estimation}", "--benchmark", benchmark,
         "--model", model, "--placebo", "0", "--min-estimation", "20"],
        store_root,
    )  # fmt: skip
    if code != 0:
        assert _digest(store_root) == before


# -- the dashboard's callback endpoint -----------------------------------------------------------


@pytest.fixture(scope="module")
def client(store_root: Path) -> Any:
    from app.dashboard.app import create_app
    from app.settings import Settings

    settings = Settings(store=store_root, data_pack=None, news=None, reference=None, offline=True)
    return create_app(settings, prepare=False).server.test_client()


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)
_FIELDS = ["output", "outputs", "inputs", "state", "changedPropIds"]


@st.composite
def callback_bodies(draw: st.DrawFn, outputs: list[str]) -> bytes:
    """A body like the renderer's with some fields replaced by junk, or junk altogether."""
    kind = draw(st.sampled_from(["junk", "shaped", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "junk":
        return json.dumps(draw(json_values)).encode()
    body: dict[str, Any] = {
        "output": draw(st.sampled_from(outputs)),
        "outputs": {"id": "x", "property": "children"},
        "inputs": [],
        "state": [],
        "changedPropIds": [],
    }
    for name in draw(st.lists(st.sampled_from(_FIELDS), max_size=3)):
        body[name] = draw(json_values)
    return json.dumps(body).encode()


def test_dash_endpoint_never_answers_500(client: Any) -> None:
    from app.dashboard.app import create_app  # noqa: F401 (the client fixture built it)

    layout = client.get("/_dash-dependencies").get_json()
    outputs = [d["output"] for d in layout]

    @FAST
    @given(body=callback_bodies(outputs))
    def check(body: bytes) -> None:
        answer = client.post("/_dash-update-component", data=body, content_type="application/json")
        assert answer.status_code < 500, (answer.status_code, body[:200])

    check()


@pytest.mark.parametrize(
    "path",
    [
        "/_dash-component-suites/nope/x.js",
        "/_dash-component-suites/dash/nope.js",
        "/_dash-component-suites/dash/..%2F..%2Fsecrets",
        "/_dash-component-suites/dash_mantine_components/x.v1m1.js",
    ],
)
def test_unknown_component_files_are_404(client: Any, path: str) -> None:
    assert client.get(path).status_code == 404
