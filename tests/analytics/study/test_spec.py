"""StudySpec: normalization of the two event forms and every validation error."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.calendar import day_zero, parse_date
from analytics.errors import SpecError
from analytics.study.spec import FirmEvent, SpecWarning, StudySpec, parse_window, window_key


def test_common_date_form_normalizes_tickers_and_resolves_day0() -> None:
    spec = StudySpec.create(tickers=" nvda,avgo  AMD ", date="2025-01-25")  # a Saturday
    assert spec.tickers == ("NVDA", "AVGO", "AMD")
    events = spec.events
    assert list(events.columns) == ["event_id", "ticker", "date", "timing", "day0"]
    assert events["event_id"].tolist() == [0, 1, 2]
    assert (events["day0"] == pd.Timestamp("2025-01-27")).all()
    assert (events["timing"] == "before_open").all()
    assert spec.benchmark == "SPY" and spec.model == "market"
    assert spec.estimation == (-250, -11)
    assert spec.window_keys == ("0:0", "-1:1", "-5:5")
    assert spec.event_span == (-5, 5)


def test_after_close_moves_day0_to_next_session() -> None:
    spec = StudySpec.create(tickers=["NVDA"], date="2025-01-24", timing="after_close")
    assert spec.events["day0"].iloc[0] == pd.Timestamp("2025-01-27")


def test_events_table_with_optional_timing() -> None:
    table = pd.DataFrame(
        {
            "Ticker": ["nvda", "NVDA", "msft"],
            "Date": ["2025-01-27", "2024-08-05", "2025-01-24"],
            "timing": ["before_open", "during_session", "after_close"],
        }
    )
    events = StudySpec.create(events=table).events
    assert events["ticker"].tolist() == ["NVDA", "NVDA", "MSFT"]
    assert events["day0"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-27",
        "2024-08-05",
        "2025-01-27",
    ]
    rows = StudySpec.create(events=[("AMD", "2025-01-20")], timing="during_session").events
    assert rows["day0"].iloc[0] == pd.Timestamp("2025-01-21")  # MLK day is a holiday
    assert rows["timing"].iloc[0] == "during_session"


def test_duplicates_and_benchmark_are_dropped_with_a_warning() -> None:
    with pytest.warns(SpecWarning, match="dropped 2"):
        spec = StudySpec.create(tickers="NVDA nvda SPY AMD", date="2025-01-27")
    assert spec.tickers == ("NVDA", "AMD")
    table = [("NVDA", "2025-01-25"), ("NVDA", "2025-01-27")]  # same day 0
    with pytest.warns(SpecWarning, match="NVDA 2025-01-27"):
        assert len(StudySpec.create(events=table).firm_events) == 1


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tickers": [], "date": "2025-01-27"}, "no firm"),
        ({"tickers": "SPY", "date": "2025-01-27"}, "no firm"),
        ({"tickers": ["NVDA; rm -rf /"], "date": "2025-01-27"}, "not a valid ticker"),
        ({"tickers": ["A' OR 1=1--"], "date": "2025-01-27"}, "not a valid ticker"),
        ({"tickers": ["$(reboot)"], "date": "2025-01-27"}, "not a valid ticker"),
        ({"tickers": ["NVDA"]}, "tickers/date"),
        ({"tickers": ["NVDA"], "date": "yesterday-ish"}, "not a date"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "timing": "noon"}, "timing"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "benchmark": "S P Y"}, "benchmark"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "model": "figarch"}, "model: 'figarch'"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "dimson_lags": 0}, "dimson_lags"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "dimson_lags": 11}, "dimson_lags"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "returns": "pct"}, "returns"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": [(1, -1)]}, "reversed"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": []}, "no event window"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": ["1-2"]}, "a:b"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": [(0.5, 1)]}, "whole number"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "estimation": (-11, -250)}, "reversed"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "estimation": (-250, -1)}, "overlapping"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": [(-20, 0)]}, "overlapping"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "windows": [(0, 5000)]}, "too long"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "estimation": (-2000, -11)}, "too long"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "min_estimation": 300}, "min_estimation"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "min_estimation": 2}, "min_estimation"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "placebo": -1}, "placebo"),
        (
            {
                "tickers": ["NVDA"],
                "date": "2025-01-27",
                "estimation": (-12, -6),
                "min_estimation": 3,
                "placebo": 9,
            },
            "no room",
        ),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "spike_screen": "drop"}, "spike_screen"),
        ({"tickers": ["NVDA"], "date": "2025-01-27", "spike_jump": 0.5}, "spike_jump"),
        (
            {"tickers": ["NVDA"], "date": "2025-01-27", "events": [("AMD", "2025-01-27")]},
            "not both",
        ),
        ({"events": pd.DataFrame({"symbol": ["NVDA"], "date": ["2025-01-27"]})}, "ticker"),
        ({"events": [("NVDA",)]}, "not a \\(ticker"),
        ({"tickers": ["NVDA"], "date": "1900-01-02"}, "outside the supported range"),
    ],
)
def test_invalid_specs_raise_spec_errors_naming_the_parameter(kwargs: dict, match: str) -> None:
    with pytest.raises(SpecError, match=match):
        StudySpec.create(**kwargs)


def test_direct_construction_is_validated_too() -> None:
    spec = StudySpec.create(tickers="NVDA AMD", date="2025-01-27")
    with pytest.raises(SpecError, match="not normalized"):
        dataclasses.replace(
            spec,
            firm_events=(FirmEvent(event_id=0, ticker="nvda", date=pd.Timestamp("2025-01-27")),),
        )
    with pytest.raises(SpecError, match="listed twice"):
        dataclasses.replace(spec, firm_events=spec.firm_events + spec.firm_events[:1])
    with pytest.raises(SpecError, match="benchmark NVDA cannot also be a firm"):
        dataclasses.replace(spec, benchmark="NVDA")
    with pytest.raises(SpecError, match="repeats a window"):
        dataclasses.replace(spec, windows=((0, 0), (0, 0)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.model = "capm"  # type: ignore[misc]


def test_windows_accept_text_and_are_deduplicated() -> None:
    windows: list[str | tuple[int, int]] = ["-1:1", (0, 0), "-1,1"]
    spec = StudySpec.create(
        tickers="NVDA",
        date="2025-01-27",
        windows=windows,
        estimation="-120:-21",
        min_estimation=80,
    )
    assert spec.windows == ((-1, 1), (0, 0))
    assert spec.estimation == (-120, -21)
    text = StudySpec.create(tickers="NVDA", date="2025-01-27", windows=" 0:0 -1:1;-5:5 ")
    assert text.windows == ((0, 0), (-1, 1), (-5, 5))
    assert StudySpec.create(tickers="NVDA", date="2025-01-27", windows=(-2, 2)).windows == (
        (-2, 2),
    )


def test_placebo_shift_range_keeps_pseudo_windows_in_the_pre_event_period() -> None:
    spec = StudySpec.create(tickers="NVDA", date="2025-01-27", placebo=100, seed=1)
    low, high = spec.placebo_shifts
    first, last = spec.event_span
    assert (low, high) == (-245, -11)
    assert low + first == spec.estimation[0]  # earliest pseudo window starts at estimation start
    assert high + last == first - 1  # latest pseudo window ends the day before the real one


@given(st.integers(-1000, 1000), st.integers(0, 999))
def test_window_key_round_trips(start: int, length: int) -> None:
    window = (start, min(start + length, 1000))
    assert parse_window(window_key(window)) == window
    assert window_key((-1, 1)) == "-1:1"


def _plain_events(table: pd.DataFrame, benchmark: str) -> list[tuple[int, str, str, str, str]]:
    """DESIGN.md's day-0 rule and create's normalization, one row at a time."""
    kept: list[tuple[int, str, str, str, str]] = []
    seen: set[tuple[str, pd.Timestamp]] = set()
    for ticker, date, timing in table.itertuples(index=False):
        symbol = ticker.strip().upper()
        day0 = day_zero(date, timing)
        if symbol == benchmark or (symbol, day0) in seen:
            continue
        seen.add((symbol, day0))
        when = parse_date(date).strftime("%Y-%m-%d")
        kept.append((len(kept), symbol, when, timing, day0.strftime("%Y-%m-%d")))
    return kept


def test_events_table_matches_a_row_by_row_build() -> None:
    rng = np.random.default_rng(3)
    n = 400
    days = pd.date_range("2024-12-20", "2025-01-31").strftime("%Y-%m-%d").to_numpy()
    spelled = {d: pd.Timestamp(d).strftime("%b %d %Y") for d in days}  # non-ISO text
    dates = [spelled[d] if rng.random() < 0.1 else d for d in rng.choice(days, n)]
    table = pd.DataFrame(
        {
            "ticker": rng.choice([" nvda", "NVDA", "amd ", "brk-b", "^irx", "spy"], n),
            "date": dates,
            "timing": rng.choice(["before_open", "during_session", "after_close"], n),
        }
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = StudySpec.create(events=table)
    expected = _plain_events(table, "SPY")
    assert len(caught) == 1 and f"dropped {n - len(expected)} " in str(caught[0].message)
    events = spec.events
    got = [
        (i, t, d.strftime("%Y-%m-%d"), m, z.strftime("%Y-%m-%d"))
        for i, t, d, m, z in events.itertuples(index=False)
    ]
    assert got == expected
    assert [e.day0 for e in spec.firm_events] == list(events["day0"])
    assert all(e.day0 == day_zero(e.date, e.timing) for e in spec.firm_events)


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([("NVDA", "2025-01-27"), ("AMD", "2025-01-27"), ("A B", "2025-01-27")], "ticker in row 2"),
        ([("NVDA", "2025-01-27"), (7, "2025-01-27")], "ticker in row 1: 7 is not a ticker"),
        ([("NVDA", "2025-01-27"), ("AMD", "2025-02-30")], "date in row 1: '2025-02-30'"),
        ([("NVDA", "2025-01-27"), ("AMD", "1900-01-02")], "date in row 1: 1900-01-02 is outside"),
        ([("NVDA", "2025-01-27", "noon")], "timing in row 0: 'noon'"),
    ],
)
def test_events_errors_name_the_first_bad_row(rows: list[tuple[object, ...]], match: str) -> None:
    with pytest.raises(SpecError, match=match):
        StudySpec.create(events=rows)


def test_events_table_is_built_once_and_private() -> None:
    spec = StudySpec.create(tickers="NVDA AMD", date="2025-01-27")
    first = spec.events
    first.loc[0, "ticker"] = "XXXX"
    first["extra"] = 1
    again = spec.events
    assert again["ticker"].tolist() == ["NVDA", "AMD"] and "extra" not in again
    assert spec._events is spec._events  # cached on the instance, not a field
    same = StudySpec.create(tickers="NVDA AMD", date="2025-01-27")
    assert same == spec and hash(same) == hash(spec)
    assert "_events" not in {f.name for f in dataclasses.fields(spec)}


def test_subset_equals_the_validated_spec_of_the_same_firm_events() -> None:
    table = pd.DataFrame(
        {
            "ticker": ["NVDA", "AMD", "SPY", "AVGO", "TSM", "NVDA"],
            "date": ["2025-01-27", "2025-01-24", "2025-01-27", "2024-08-02", "2024-08-01",
                     "2024-08-02"],
            "timing": ["before_open", "after_close", "before_open", "during_session",
                       "after_close", "before_open"],
            "sector": ["tech", "tech", "", "semis", "semis", "tech"],
        }
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        spec = StudySpec.create(events=table, model="market", bootstrap=99)
    assert spec.dropped  # the benchmark given as a firm
    positions = np.array([3, 0, 2])
    part = spec.subset(positions)
    checked = dataclasses.replace(
        spec,
        firm_events=tuple(spec.firm_events[i] for i in positions),
        covariates=tuple((n, tuple(v[i] for i in positions)) for n, v in spec.covariates),
        dropped=(),
    )
    for field in dataclasses.fields(StudySpec):
        assert getattr(part, field.name) == getattr(checked, field.name), field.name
    pd.testing.assert_frame_equal(part.events, checked.events)
    assert part.events["event_id"].tolist() == [spec.firm_events[i].event_id for i in positions]
    expected = spec.covariate_frame.iloc[positions].reset_index(drop=True)
    pd.testing.assert_frame_equal(part.covariate_frame, expected)


@pytest.mark.parametrize("form", ["tickers", "events"])
def test_create_hands_its_checked_events_to_the_spec(
    form: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks = []
    check = StudySpec._check_events
    monkeypatch.setattr(StudySpec, "_check_events", lambda self: checks.append(check(self)))
    table = pd.DataFrame(
        {
            "ticker": ["nvda", "AMD", "BRK.B", "SPY", "AMD"],
            "date": ["2025-01-25", "2025-01-24", "Jan 27 2025", "2025-01-27", "2025-01-24"],
            "timing": ["before_open", "after_close", "during_session", "before_open",
                       "after_close"],
        }
    )  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SpecWarning)
        if form == "events":
            created = StudySpec.create(events=table)
        else:
            created = StudySpec.create(tickers=list(table["ticker"]), date="2025-01-25")
    assert not checks  # create checked its events itself
    checked = dataclasses.replace(created)  # a direct construction checks them
    assert len(checks) == 1
    pd.testing.assert_frame_equal(created.events, checked.events)
    assert [e.day0 for e in created.firm_events] == list(checked.events["day0"])
    assert all(e.day0 == day_zero(e.date, e.timing) for e in created.firm_events)
    with pytest.raises(SpecError, match="benchmark SPY cannot also be a firm"):
        dataclasses.replace(
            created,
            firm_events=(
                *created.firm_events[:1],
                FirmEvent(event_id=9, ticker="SPY", date=pd.Timestamp("2025-01-27")),
            ),
        )


def test_digest_tells_every_setting_and_firm_event_apart_and_is_stable() -> None:
    import subprocess
    import sys

    events = pd.DataFrame(
        {
            "ticker": ["NVDA", "AMD", "AVGO"],
            "date": ["2025-01-27", "2025-01-24", "2024-08-02"],
            "timing": ["before_open", "after_close", "during_session"],
        }
    )
    spec = StudySpec.create(events=events)
    assert spec.digest() == StudySpec.create(events=events.copy()).digest()
    variants = [
        dataclasses.replace(spec, model="market_adjusted"),
        dataclasses.replace(spec, windows=((0, 0),)),
        dataclasses.replace(spec, placebo=0),
        dataclasses.replace(spec, dropped=(("XYZ", "invalid ticker"),)),
        StudySpec.create(events=events.assign(timing=["before_open"] * 3)),
        StudySpec.create(events=events.assign(date=["2025-01-27", "2025-01-24", "2024-08-05"])),
        StudySpec.create(events=events.assign(ticker=["NVDA", "AMD", "INTC"])),
        StudySpec.create(events=events.iloc[[1, 0, 2]]),
    ]
    digests = {spec.digest(), *(v.digest() for v in variants)}
    assert len(digests) == len(variants) + 1
    code = (
        "import pandas as pd; from analytics.study.spec import StudySpec; "
        f"print(StudySpec.create(events=pd.DataFrame({events.to_dict('list')!r})).digest())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == spec.digest()  # the same in another process
