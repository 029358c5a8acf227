"""StudyOptions: the one declaration of a study's options, its window and ticker grammars."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from analytics.errors import SpecError
from analytics.study.options import (
    MAX_SESSIONS,
    StudyOptions,
    catch,
    option_error,
    parse_window,
    window_key,
)
from analytics.tickers import parse_tickers, ticker


@given(a=st.integers(-MAX_SESSIONS, MAX_SESSIONS), length=st.integers(0, 200))
def test_window_keys_round_trip(a: int, length: int) -> None:
    b = a + length
    if b - a + 1 > MAX_SESSIONS or abs(b) > MAX_SESSIONS:
        with pytest.raises(SpecError, match="too long or too far"):
            parse_window((a, b))
        return
    assert parse_window(window_key((a, b))) == (a, b)
    assert parse_window(f"[{a}, {b}]") == (a, b)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1:-1", "window: 1:-1 is reversed; the start must not be after the end (-1:1)"),
        ("1:2:3", "window: '1:2:3' is not a window; write it as a:b"),
        ("", "window: '' is not a window"),
        ((True, 2), "window: True is not a whole number of trading days"),
    ],
)
def test_bad_windows_name_the_parameter(value: object, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        parse_window(value)  # type: ignore[arg-type]
    assert str(caught.value).startswith(message)


def test_event_date_is_iso_only() -> None:
    assert StudyOptions(event_date="2025-01-25").event_date == dt.date(2025, 1, 25)
    assert StudyOptions(event_date="2025-01-27T00:00:00").event_date == dt.date(2025, 1, 27)
    for bad in ("01/27/2025", "Jan 27 2025", "2025-01-27T10:00", "2025-02-30"):
        error = option_error(catch(lambda bad=bad: StudyOptions(event_date=bad)))
        assert str(error).startswith(f"event_date: {bad!r} is not a date"), error
        assert error.parameter == "event_date"
    error = option_error(catch(lambda: StudyOptions(event_date=dt.datetime(2025, 1, 27, 9, 30))))
    assert (
        str(error)
        == "event_date: 2025-01-27 09:30:00 has a time; give the date only, e.g. 2025-01-27"
    )


def test_typed_sources_take_no_text_for_numbers_but_links_and_flags_do() -> None:
    assert StudyOptions(placebo="50").placebo == 50  # type: ignore[arg-type]
    for value, kind in (("50", "string"), (True, "boolean"), (1.5, "float")):
        with pytest.raises(ValidationError) as caught:
            StudyOptions.from_typed({"placebo": value})
        assert (
            str(option_error(caught.value)) == f"placebo: {value!r} is a {kind}; write it like 200"
        )


def test_frozen_and_no_unknown_option() -> None:
    options = StudyOptions()
    with pytest.raises(ValidationError):
        options.placebo = 3  # type: ignore[misc]
    error = option_error(catch(lambda: StudyOptions(plcebo=3)))  # type: ignore[call-arg]
    assert str(error).startswith("plcebo: unknown option (did you mean 'placebo'?)")


def test_cross_checks_name_the_parameter() -> None:
    error = option_error(catch(lambda: StudyOptions(estimation="-250:-3")))
    assert error.parameter == "estimation"
    assert "overlapping the event window starting at day -5" in str(error)
    error = option_error(catch(lambda: StudyOptions(estimation="-100:-11", min_estimation=120)))
    assert error.parameter == "min_estimation"


def test_one_ticker_grammar() -> None:
    assert parse_tickers("nvda, brk.b\tBRK/B ^irx nvda") == ("NVDA", "BRK-B", "^IRX")
    assert StudyOptions(tickers=["brk.b"]).tickers == ("BRK-B",)
    for bad in ("ıntc", "NVDA;ls", "-X", "", "A" * 21):
        with pytest.raises(SpecError, match="is not a valid ticker symbol"):
            ticker(bad)
