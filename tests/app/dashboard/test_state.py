"""View state: URL query <-> view state, control parsing and the universe presets (pure)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.errors import SpecError
from app.dashboard.state import (
    BOOTSTRAP_CHOICES,
    DEEPSEEK_UNIVERSE,
    DEFAULT_STATE,
    LINK_PARAMETERS,
    MODELS,
    PRESETS,
    STANDARDIZATIONS,
    ViewState,
    for_controls,
    format_window,
    from_controls,
    from_query,
    parse_ticker,
    parse_tickers,
    parse_window,
    to_query,
    universe,
)
from tests.support import DEEPSEEK_PACK

CONTROLS: dict[str, Any] = {
    "article": "deepseek-market-jolt.txt",
    "date": "2025-01-27",
    "timing": "before_open",
    "preset": "deepseek",
    "sector": None,
    "tickers": ["aapl", "BRK.B"],
    "benchmark": "spy",
    "model": "market",
    "estimation_start": -250,
    "estimation_end": -11,
    "windows": ["0:0", "-1:1", "-5:+5"],
}


def test_empty_query_is_the_deepseek_demo() -> None:
    for search in (None, "", "?"):
        assert from_query(search) == (DEFAULT_STATE, [])
    assert DEFAULT_STATE.article == "deepseek-market-jolt.txt"
    assert DEFAULT_STATE.date == dt.date(2025, 1, 27)
    assert DEFAULT_STATE.timing == "before_open"
    assert DEFAULT_STATE.windows == ((0, 0), (-1, 1), (-5, 5))


def test_query_is_readable() -> None:
    state = ViewState(tickers=("AAPL", "BRK-B"), windows=((0, 0), (-1, 1)))
    assert to_query(state) == (
        "?article=deepseek-market-jolt.txt&date=2025-01-27&timing=before_open&preset=deepseek"
        "&tickers=AAPL,BRK-B&benchmark=SPY&model=market&est=-250:-11&windows=0:0,-1:1"
    )


windows_st = st.lists(
    st.tuples(st.integers(-20, 20), st.integers(0, 20)).map(lambda w: (w[0], w[0] + w[1])),
    min_size=1,
    max_size=5,
    unique=True,
)
tickers_st = st.lists(
    st.from_regex(r"[A-Z]{1,5}(-[A-Z])?", fullmatch=True), max_size=8, unique=True
)


@given(
    date=st.dates(dt.date(1995, 1, 1), dt.date(2030, 12, 31)),
    timing=st.sampled_from(["before_open", "during_session", "after_close"]),
    preset=st.sampled_from(sorted(PRESETS)),
    tickers=tickers_st,
    model=st.sampled_from(sorted(MODELS)),
    windows=windows_st,
    # StudyOptions' rule: at least min_estimation (120) estimation sessions, as in the CLI.
    est_length=st.integers(120, 400),
    article=st.sampled_from([None, "deepseek-market-jolt.txt", "my article & notes.txt"]),
    bootstrap=st.sampled_from(sorted(BOOTSTRAP_CHOICES)),
    standardization=st.sampled_from(sorted(STANDARDIZATIONS)),
)
def test_query_round_trip(
    date: dt.date,
    timing: Any,
    preset: str,
    tickers: list[str],
    model: str,
    windows: list[tuple[int, int]],
    est_length: int,
    article: str | None,
    bootstrap: int,
    standardization: Any,
) -> None:
    if preset == "custom" and not tickers:
        tickers = ["NVDA"]
    end = min(w[0] for w in windows) - 1
    state = ViewState(
        article=article,
        date=date,
        timing=timing,
        preset=preset,
        sector="Technology" if preset == "sp500" else None,
        tickers=tuple(tickers),
        model=model,
        estimation=(end - est_length + 1, end),
        windows=tuple(windows),
        bootstrap=bootstrap,
        standardization=standardization,
    )
    assert from_query(to_query(state)) == (state, [])


@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("date=2025-02-30", "date"),
        ("date=yesterday", "date"),
        ("timing=noon", "timing"),
        ("preset=nasdaq", "preset"),
        ("preset=sp500", "preset"),
        ("preset=custom", "preset"),
        ("benchmark=S%20P", "benchmark"),
        ("model=figarch", "model"),
        ("windows=5:1", "windows"),
        ("windows=abc", "windows"),
        ("est=-5:0", "est"),
        ("est=-20:-11", "est"),
    ],
)
def test_bad_link_parameter_falls_back_and_is_reported(query: str, key: str) -> None:
    state, problems = from_query("?" + query)
    assert len(problems) == 1
    assert f"{key}=" in problems[0]
    assert state == DEFAULT_STATE


def test_unknown_and_huge_link_parameters_are_reported_briefly() -> None:
    state, problems = from_query("?dat=2024-08-05&date=" + "9" * 100_000)
    assert state == DEFAULT_STATE
    assert problems[0].startswith("link parameter 'dat' ignored: it is not one of article, date")
    assert problems[1].startswith("link parameter date='99999")
    assert all(len(p) <= 300 for p in problems)
    written = {
        part.split("=")[0] for part in to_query(ViewState(sector="x")).lstrip("?").split("&")
    }
    assert written == set(LINK_PARAMETERS) - {"tickers", "placebo", "boot", "std", "show", "tab"}


def test_the_test_options_reach_the_study_and_bad_ones_are_reported() -> None:
    state, problems = from_query("?std=sum_sar&boot=0")
    assert problems == [] and (state.standardization, state.bootstrap) == ("sum_sar", 0)
    options = state.options(["NVDA"])
    assert (options.standardization, options.bootstrap) == ("sum_sar", 0)
    state, problems = from_query("?std=median&boot=5")
    assert (state.standardization, state.bootstrap) == ("exact", 999)
    assert sorted(problems) == [
        "link parameter boot='5' ignored: bootstrap: '5' is not one of 0, 999, 9999 (0: off)",
        "link parameter std='median' ignored: standardization: 'median' is not one of exact, "
        "sum_sar",
    ]


def test_blank_article_means_pasted_text() -> None:
    assert from_query("?article=&date=2025-01-27")[0].article is None


def test_good_parameters_survive_next_to_a_bad_one() -> None:
    state, problems = from_query("?date=2024-08-05&model=nope&windows=-1:1")
    assert state.date == dt.date(2024, 8, 5)
    assert state.model == DEFAULT_STATE.model
    assert state.windows == ((-1, 1),)
    assert problems == [
        "link parameter model='nope' ignored: model: 'nope' is not one of "
        "market, market_adjusted, constant_mean, capm, ff3, ff5, carhart, etf_factors, "
        "factors, scholes_williams, dimson, garch, egarch"
    ]


def test_from_controls_parses_and_normalises() -> None:
    state = from_controls(**CONTROLS)
    assert state == ViewState(tickers=("AAPL", "BRK-B"))


def test_from_controls_accepts_datetime_strings_from_the_date_picker() -> None:
    assert from_controls(**{**CONTROLS, "date": "2025-01-27T00:00:00"}).date == dt.date(2025, 1, 27)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"date": None}, "event_date: pick a date"),
        (
            {"date": "27/01/2025x"},
            "event_date: '27/01/2025x' is not a date; write it as YYYY-MM-DD",
        ),
        ({"date": "1900-01-01"}, "event_date: 1900-01-01 is outside"),
        ({"timing": "lunch"}, "timing: 'lunch' is not one of"),
        ({"preset": "dow"}, "universe: 'dow' is not one of"),
        ({"preset": "sp500"}, "sector: pick an S&P 500 sector"),
        ({"preset": "custom", "tickers": []}, "tickers: add at least one ticker"),
        ({"tickers": ["NVDA", "no way"]}, "tickers: 'no way' is not a valid ticker symbol"),
        ({"benchmark": ""}, "benchmark: '' is not a valid ticker symbol"),
        ({"model": None}, "model: None is not one of"),
        ({"windows": []}, "windows: choose at least one event window"),
        ({"windows": ["0:0", "3:-3"]}, "windows: 3:-3 is reversed; the start must not be after"),
        ({"windows": ["zero"]}, "windows: 'zero' is not a window"),
        ({"estimation_start": None}, "estimation: give both ends"),
        ({"estimation_start": -5, "estimation_end": -20}, "estimation: -5:-20 is reversed"),
        (
            {"estimation_end": 0},
            "estimation: -250:0 is overlapping the event window starting at day -5",
        ),
        (
            {"estimation_start": -100},
            "min_estimation: 120 must be between 3 and the estimation length 90; lower it or "
            "widen the estimation window",
        ),
    ],
)
def test_from_controls_names_the_bad_control(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message.replace("(", r"\(").replace(")", r"\)")):
        from_controls(**{**CONTROLS, **change})


def test_sp500_keeps_its_sector_other_presets_drop_it() -> None:
    state = from_controls(**{**CONTROLS, "preset": "sp500", "sector": "Energy"})
    assert state.sector == "Energy"
    assert from_controls(**{**CONTROLS, "sector": "Energy"}).sector is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("-1:1", (-1, 1)),
        ("[-5, +5]", (-5, 5)),
        (" 0:0 ", (0, 0)),
        ("0;5", (0, 5)),
        ((-3, 3), (-3, 3)),
    ],
)
def test_parse_window_forms(value: Any, expected: tuple[int, int]) -> None:
    assert parse_window(value) == expected
    assert parse_window(format_window(expected)) == expected


def test_tickers_are_normalised_and_deduplicated() -> None:
    assert parse_tickers("nvda, brk.b  NVDA ^irx") == ("NVDA", "BRK-B", "^IRX")
    assert parse_ticker(" msft ") == "MSFT"
    with pytest.raises(SpecError, match="too many"):
        parse_tickers([f"T{i}" for i in range(601)])


def test_with_ticker_adds_once() -> None:
    state = DEFAULT_STATE.with_ticker("aapl")
    assert state.tickers == ("AAPL",)
    assert state.with_ticker("AAPL") is state


def test_universe_of_each_preset() -> None:
    members = {"Energy": ["XOM", "CVX"], "Technology": ["AAPL", "NVDA"]}
    deepseek = universe(DEFAULT_STATE.with_ticker("NVDA").with_ticker("IBM"), members)
    assert deepseek[: len(DEEPSEEK_UNIVERSE)] == tuple(DEEPSEEK_UNIVERSE)
    assert deepseek[-1] == "IBM"
    assert len(deepseek) == len(DEEPSEEK_UNIVERSE) + 1
    sp = ViewState(preset="sp500", sector="Energy", tickers=("XOM", "SLB"))
    assert universe(sp, members) == ("XOM", "CVX", "SLB")
    assert universe(ViewState(preset="custom", tickers=("A", "B")), members) == ("A", "B")
    with pytest.raises(SpecError, match="sector: 'Utilities' is not an S&P 500 sector"):
        universe(ViewState(preset="sp500", sector="Utilities"), members)


def test_deepseek_preset_is_covered_by_the_shared_pack() -> None:
    if not DEEPSEEK_PACK.is_file():
        pytest.skip(f"shared DeepSeek pack not found at {DEEPSEEK_PACK}")
    in_pack = set(pq.read_table(DEEPSEEK_PACK, columns=["ticker"]).column("ticker").to_pylist())
    assert set(DEEPSEEK_UNIVERSE) <= in_pack
    assert {"AI chips", "Hyperscalers", "Power & infrastructure", "Controls"} <= set(
        DEEPSEEK_UNIVERSE.values()
    )


def test_the_window_shown_and_the_tab_travel_in_the_link() -> None:
    state, problems = from_query("?windows=0:0,-1:1&show=-1:1&tab=caar")
    assert (state.shown, state.tab, problems) == ((-1, 1), "caar", [])
    assert "&show=-1:1&tab=caar" in to_query(state)
    assert from_query(to_query(state))[0] == state
    # The first window and the Prices tab are the defaults: not written.
    assert "show=" not in to_query(state.viewing("0:0", "prices"))
    assert "tab=" not in to_query(state.viewing("0:0", "prices"))


def test_a_bad_window_shown_or_tab_is_reported() -> None:
    state, problems = from_query("?windows=0:0&show=-5:5&tab=charts")
    assert (state.shown, state.tab) == ((0, 0), "prices")
    assert problems == [
        "link parameter show='-5:5' ignored: it is not one of the windows 0:0",
        "link parameter tab='charts' ignored: use one of prices, abnormal, caar, sectors, grid, "
        "tests, xsec",
    ]


def test_control_messages_name_the_controls() -> None:
    assert for_controls("event_date: pick a date") == "Event date: pick a date"
    assert for_controls("tickers: add one") == "Add tickers: add one"
    message = (
        "Kenneth French's data library is unreachable; give a factor file (factors) or use "
        "model etf_factors (offline)"
    )
    assert for_controls(message) == (
        "Kenneth French's data library is unreachable; pick the model “4 factors (ETF proxies)” "
        "(offline)"
    )
    assert for_controls("no usable firm: every firm") == "No usable firm: every firm"
