"""XNYS calendar arithmetic: properties on random dates, and golden facts not made by the code.

The golden facts come from the NYSE holiday schedule as published (2025: New Year's Day, the
national day of mourning for President Carter on January 9, MLK Day, Presidents' Day, Good Friday,
Memorial Day, Juneteenth, Independence Day, Labor Day, Thanksgiving, Christmas).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics.calendar import (
    TIMINGS,
    DateLike,
    Timing,
    day_zero,
    day_zero_many,
    is_session,
    next_session,
    offset,
    parse_date,
    parse_dates,
    previous_session,
    relative_days,
    sessions,
)
from analytics.errors import SpecError

# Far enough from the supported range's ends (1990-01-02 .. 2030-12-31) that a shift of up to
# 400 sessions (about 19 months) each way stays inside it.
DATES = st.dates(min_value=dt.date(1992, 1, 1), max_value=dt.date(2028, 12, 31))
SHIFTS = st.integers(min_value=-400, max_value=400)
EXAMPLES = settings(max_examples=60, deadline=None)


def _session(date: dt.date) -> pd.Timestamp:
    """A session near ``date`` (keeps a margin of 400 sessions inside the supported range)."""
    clipped = min(max(date, dt.date(1992, 1, 1)), dt.date(2029, 6, 1))
    return day_zero(clipped)


# --- golden facts ------------------------------------------------------------------------------


def test_golden_2025_sessions() -> None:
    assert not is_session("2025-01-09")  # national day of mourning (President Carter)
    assert not is_session("2025-07-04")  # Independence Day
    assert not is_session("2025-01-20")  # MLK Day
    assert not is_session("2025-01-25")  # a Saturday
    assert is_session("2025-01-27")  # the DeepSeek Monday
    assert len(sessions("2025-01-01", "2025-12-31")) == 250  # 261 weekdays less 11 holidays


def test_golden_day_zero_and_offsets() -> None:
    assert day_zero("2025-01-25", "before_open") == pd.Timestamp("2025-01-27")  # Saturday
    assert day_zero("2025-01-24", "after_close") == pd.Timestamp("2025-01-27")  # Friday
    assert day_zero("2025-01-27", "during_session") == pd.Timestamp("2025-01-27")
    assert day_zero("2025-07-03", "after_close") == pd.Timestamp("2025-07-07")
    assert offset("2025-01-27", -5) == pd.Timestamp("2025-01-17")  # skips MLK Day
    assert offset("2025-01-08", 1) == pd.Timestamp("2025-01-10")  # skips January 9
    days = pd.DatetimeIndex(["2025-01-24", "2025-01-21", "2025-01-17", "2025-01-28"])
    assert relative_days("2025-01-27", days).tolist() == [-1, -4, -5, 1]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("1900-01-01", "outside the supported range"),
        ("2025-02-30", "not a date"),
        ("yesterday-ish", "not a date"),
        (None, "not a date"),
    ],
)
def test_parse_date_errors(value: str | None, match: str) -> None:
    with pytest.raises(SpecError, match=f"when: .*{match}"):
        parse_date(value, name="when")  # type: ignore[arg-type]


def test_parse_dates_names_the_first_bad_row() -> None:
    with pytest.raises(SpecError, match=r"date in row 1: 1900-01-01 is outside"):
        parse_dates(["2025-01-27", "1900-01-01", "nope"])
    with pytest.raises(SpecError, match=r"date in row 1: 'nope' is not a date"):
        parse_dates(["2025-01-27", "nope", "1900-01-01"])
    with pytest.raises(SpecError, match=r"date in row 2: '2025-02-30' is not a date"):
        parse_dates(["2025-01-27", "Jan 28 2025", "2025-02-30"])


def test_day_zero_many_errors() -> None:
    with pytest.raises(SpecError, match=r"timing in row 1: 'noon'"):
        day_zero_many(["2025-01-27", "2025-01-28"], ["before_open", "noon"])
    with pytest.raises(SpecError, match="3 timings for 2 dates"):
        day_zero_many(["2025-01-27", "2025-01-28"], ["before_open"] * 3)
    with pytest.raises(SpecError, match=r"row 1\) falls outside"):
        day_zero_many(["2025-01-27", "2030-12-31"], "after_close")


# --- properties --------------------------------------------------------------------------------


@EXAMPLES
@given(DATES, SHIFTS)
def test_offset_round_trips(date: dt.date, n: int) -> None:
    session = _session(date)
    assert offset(offset(session, n), -n) == session
    assert (offset(session, n) > session) == (n > 0)


@EXAMPLES
@given(DATES, st.lists(SHIFTS, min_size=1, max_size=8))
def test_relative_days_agree_with_offset(date: dt.date, shifts: list[int]) -> None:
    day0 = _session(date)
    dates = pd.DatetimeIndex([offset(day0, n) for n in shifts])
    assert relative_days(day0, dates).tolist() == shifts
    span = sessions(min(dates.min(), day0), max(dates.max(), day0))
    assert relative_days(day0, span).tolist() == list(range(min(0, *shifts), max(0, *shifts) + 1))


@EXAMPLES
@given(DATES)
def test_day_zero_rules(date: dt.date) -> None:
    before = day_zero(date, "before_open")
    assert day_zero(date, "during_session") == before
    assert is_session(before) and before >= pd.Timestamp(date)
    assert (before == pd.Timestamp(date)) == is_session(date)
    assert previous_session(before) < pd.Timestamp(date)  # no session in [date, day 0)
    after = day_zero(date, "after_close")
    assert after == next_session(date) > pd.Timestamp(date)
    assert previous_session(after) <= pd.Timestamp(date)
    assert before.weekday() < 5 and after.weekday() < 5


@EXAMPLES
@given(DATES)
def test_next_and_previous_session_are_strict(date: dt.date) -> None:
    day = pd.Timestamp(date)
    after, before = next_session(date), previous_session(date)
    assert before < day < after
    assert is_session(after) and is_session(before)
    assert len(sessions(before, after)) == (3 if is_session(date) else 2)
    if is_session(date):
        assert after == offset(date, 1) and before == offset(date, -1)


@EXAMPLES
@given(st.lists(st.tuples(DATES, st.sampled_from(TIMINGS)), min_size=1, max_size=20))
def test_day_zero_many_matches_day_zero(events: list[tuple[dt.date, Timing]]) -> None:
    dates = [d for d, _ in events]
    timings = [t for _, t in events]
    expected = [day_zero(d, t) for d, t in events]
    assert day_zero_many(np.array(dates, dtype="datetime64[D]"), timings).tolist() == expected
    assert day_zero_many(pd.DatetimeIndex(dates), np.array(timings)).tolist() == expected
    assert day_zero_many(dates, "after_close").tolist() == [next_session(d) for d in dates]


FORMATS = st.sampled_from(["iso", "iso-time", "text", "date", "timestamp", "aware"])


def _spell(date: dt.date, form: str) -> DateLike:
    spellings: dict[str, DateLike] = {
        "iso": date.isoformat(),
        "iso-time": f"{date.isoformat()}T15:45:00",
        "text": date.strftime("%b %d %Y"),
        "date": date,
        "timestamp": pd.Timestamp(date) + pd.Timedelta(hours=9),
        "aware": pd.Timestamp(date, tz="America/New_York") + pd.Timedelta(hours=21),
    }
    return spellings[form]


@EXAMPLES
@given(st.lists(st.tuples(DATES, FORMATS), min_size=1, max_size=12))
def test_parse_dates_matches_parse_date(items: list[tuple[dt.date, str]]) -> None:
    values = [_spell(d, form) for d, form in items]
    expected = [parse_date(v) for v in values]
    assert parse_dates(values).tolist() == expected
