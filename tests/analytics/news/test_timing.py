"""Day 0 and timing from an article's text; weekdays resolved against the story's dates."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.errors import SpecError
from analytics.news.reading import read_article, split_sentences
from analytics.news.timing import event_timing, market_reaction, timing_words

D = dt.date


def timing_of(*paragraphs: str, headline: str = "Headline", **index: object):
    return event_timing(read_article(headline, list(paragraphs)), **index)  # type: ignore[arg-type]


def test_sentences_do_not_end_at_abbreviations() -> None:
    text = "U.S. stocks fell on Jan. 27. Nvidia Corp. lost 17%. Then Apple Inc. rose!"
    assert split_sentences(text) == [
        "U.S. stocks fell on Jan. 27.",
        "Nvidia Corp. lost 17%.",
        "Then Apple Inc. rose!",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("after the closing bell on August 1", "after_close"),
        ("On the evening of April 2, after U.S. exchanges had closed", "after_close"),
        ("late on Thursday the company said", "after_close"),
        ("in after-hours trading", "after_close"),
        ("before U.S. markets opened on Friday", "before_open"),
        ("in premarket trading", "before_open"),
        ("before the opening bell", "before_open"),
        ("during the session on Tuesday", "during_session"),
        ("shares were halted midday", "during_session"),
        ("Nvidia fell 17% on Monday", None),
    ],
)
def test_timing_words(text: str, expected: str | None) -> None:
    assert timing_words(text) == expected


def test_market_reaction_needs_a_move_and_a_market() -> None:
    assert market_reaction("the S&P 500 fell about 4.8 percent")
    assert market_reaction("Intel's shares plunged 26%")
    assert not market_reaction("the White House announced sweeping tariffs")
    assert not market_reaction("profits fell")  # a move, but not of a market


def test_after_close_announcement_makes_the_next_session_day_0() -> None:
    t = timing_of(
        "After the closing bell on Thursday, August 1, 2024, Intel reported a loss.",
        "Intel's shares plunged 26% on Friday.",
    )
    assert (t.event_date, t.timing, t.day0) == (D(2024, 8, 1), "after_close", D(2024, 8, 2))
    assert t.sentence.startswith("After the closing bell")
    assert t.source == "text"


def test_friday_after_close_moves_day_0_over_the_weekend() -> None:
    t = timing_of(
        "Late on Friday, March 7, 2025, the company cut its forecast.",
        "When trading resumed on Monday, its stock sank 12%.",
    )
    assert (t.event_date, t.timing, t.day0) == (D(2025, 3, 7), "after_close", D(2025, 3, 10))


def test_pre_market_news_is_day_0_itself() -> None:
    t = timing_of(
        "Early on Friday, July 19, 2024, before U.S. markets opened, an update crashed PCs.",
        "CrowdStrike's stock tumbled 11% on Friday.",
    )
    assert (t.event_date, t.timing, t.day0) == (D(2024, 7, 19), "before_open", D(2024, 7, 19))


def test_first_reaction_is_the_earliest_day_not_the_first_written() -> None:
    t = timing_of(
        "On April 9 the S&P 500 jumped 9.5 percent.",
        "A week earlier, on Thursday, April 3, 2025, the S&P 500 fell 4.8 percent.",
    )
    assert t.day0 == D(2025, 4, 3)
    assert "first market reaction" in t.reason


def test_reaction_without_time_of_day_is_before_the_open_of_that_day() -> None:
    t = timing_of(
        "In 2025 it was news.", "The market fluctuations observed on January 27 were big."
    )
    assert (t.event_date, t.timing, t.day0) == (D(2025, 1, 27), "before_open", D(2025, 1, 27))
    assert "no time of day" in t.reason


def test_weekday_alone_is_resolved_against_the_story() -> None:
    sentences = read_article(
        "h",
        [
            "On Friday, August 2, 2024, Intel plunged 26%.",
            "A jobs report released the previous Thursday did not help.",
            "It fell another 6% on Monday.",
            "On Friday it rose.",
        ],
    )
    days = [s.days for s in sentences[1:]]
    assert days == [(D(2024, 8, 2),), (D(2024, 8, 1),), (D(2024, 8, 5),), (D(2024, 8, 9),)]


def test_a_weekday_that_disagrees_with_its_date_is_noted() -> None:
    t = timing_of("On Friday, August 3, 2024, Intel shares plunged 26%.")
    assert t.notes == ("the text says Friday but August 3, 2024 is a Saturday",)
    assert t.day0 == D(2024, 8, 5)  # the written date wins; a Saturday moves to Monday


def test_index_values_win_over_the_text() -> None:
    t = timing_of("Shares fell on March 3, 2025.", date=D(2025, 3, 7), timing="after_close")
    assert (t.event_date, t.timing, t.day0, t.source) == (
        D(2025, 3, 7),
        "after_close",
        D(2025, 3, 10),
        "index",
    )


def test_year_comes_from_the_article_date_when_the_text_has_none() -> None:
    sentences = read_article("h", ["Stocks fell on March 3."], date=D(2025, 3, 5))
    assert sentences[1].days == (D(2025, 3, 3),)


def test_no_date_is_a_clear_error() -> None:
    with pytest.raises(SpecError, match="names no date"):
        timing_of("Nvidia fell sharply.")
