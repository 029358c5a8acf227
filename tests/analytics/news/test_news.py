"""News: loading, cleaning, dates and company mentions, on the shared articles and by hand."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from analytics.data.reference import company_aliases
from analytics.errors import DataError, SpecError
from analytics.news import (
    CompanyMention,
    DateMention,
    Span,
    clean_text,
    find_companies,
    find_event_dates,
    highlight_spans,
    load_articles,
    parse_article,
)
from tests.support import NEWS, REFERENCE

DEEPSEEK = "deepseek-market-jolt.txt"
TARIFFS = "tariff-shock-2025-04.txt"
SELLOFF = "global-selloff-2024-08-05.txt"


@pytest.fixture(scope="module")
def aliases() -> dict[str, str]:
    return company_aliases(REFERENCE)


@pytest.fixture(scope="module")
def articles() -> dict[str, str]:
    """Each shared article's cleaned body, paragraphs joined by newlines."""
    return {a.source: "\n".join(clean_text(a.body)) for a in load_articles(NEWS)}


def write_news(folder: Path, entries: list[dict[str, str]], files: dict[str, bytes]) -> Path:
    (folder / "index.json").write_text(json.dumps({"articles": entries}))
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


# --- loading -----------------------------------------------------------------------------------


def test_load_articles_reads_the_index() -> None:
    loaded = load_articles(NEWS)
    assert [(a.source, a.date, a.timing) for a in loaded] == [
        (DEEPSEEK, dt.date(2025, 1, 27), "before_open"),
        (TARIFFS, dt.date(2025, 4, 2), "after_close"),
        (SELLOFF, dt.date(2024, 8, 5), "before_open"),
    ]
    assert loaded[0].headline == "DeepSeek's Market Jolt: US Stocks Shed Trillions"
    assert loaded[0].body.startswith("Advertisements\nIn 2025, the emergence of DeepSeek")
    assert loaded[1].headline == "Tariff Announcement Sends Stocks Into Two-Day Rout"


def test_load_articles_adds_unlisted_files_without_a_date(tmp_path: Path) -> None:
    entry = {"file": "a.txt", "event_date": "2025-01-27", "timing": "after_close"}
    write_news(tmp_path, [entry], {"a.txt": b"A\nbody", "b.txt": b"\n\nB head\nB body"})
    (tmp_path / "notes.md").write_text("not an article")
    loaded = load_articles(tmp_path)
    assert [(a.source, a.headline, a.body, a.date, a.timing) for a in loaded] == [
        ("a.txt", "A", "body", dt.date(2025, 1, 27), "after_close"),
        ("b.txt", "B head", "B body", None, None),
    ]


@pytest.mark.parametrize(
    ("index", "files", "message"),
    [
        (None, {}, r"index\.json does not exist"),
        (b"{not json", {}, r"index\.json: malformed"),
        (b'{"items": []}', {}, r"index\.json: malformed"),
        (b'{"articles": [{"file": "../x.txt"}]}', {}, r"'\.\./x\.txt' is not a file name"),
        (b'{"articles": [{"file": "gone.txt"}]}', {}, r"gone\.txt: cannot be read"),
        (
            b'{"articles": [{"file": "a.txt", "event_date": "2025-02-30"}]}',
            {"a.txt": b"A"},
            r"event_date '2025-02-30' of a\.txt is not a date; use YYYY-MM-DD",
        ),
        (
            b'{"articles": [{"file": "a.txt", "timing": "noon"}]}',
            {"a.txt": b"A"},
            r"timing 'noon' of a\.txt is not one of before_open",
        ),
        (b'{"articles": [{"file": "a.txt"}]}', {"a.txt": b"\x89PNG\x00\x01"}, r"a\.txt: .*NUL"),
        (b'{"articles": [{"file": "a.txt"}]}', {"a.txt": b" \n\n "}, r"a\.txt: holds no text"),
    ],
)
def test_load_articles_errors_name_the_file(
    tmp_path: Path, index: bytes | None, files: dict[str, bytes], message: str
) -> None:
    if index is not None:
        (tmp_path / "index.json").write_bytes(index)
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    with pytest.raises(DataError, match=message):
        load_articles(tmp_path)


def test_parse_article() -> None:
    article = parse_article("\n  \nAdvertisement\n  Big   <b>News</b> \r\nLine one\r\nLine two")
    assert article.headline == "Big News"
    assert article.body == "Line one\nLine two"
    assert (article.date, article.timing, article.source) == (None, None, "pasted")
    upload = parse_article("\ufeffHead\nBody é".encode(), source="upload.txt")
    assert (upload.headline, upload.body, upload.source) == ("Head", "Body é", "upload.txt")


def test_parse_article_limits() -> None:
    with pytest.raises(DataError, match=r"pasted: .*limit of 1,000,000 bytes"):
        parse_article("x" * 5_000_000)
    with pytest.raises(DataError, match=r"limit of 1,000,000 bytes"):
        parse_article("é" * 600_000)  # 600,000 characters but 1.2 MB of UTF-8
    assert parse_article("Head\n" + "é" * 600_000, max_bytes=2_000_000).headline == "Head"
    with pytest.raises(DataError, match=r"paper\.pdf: contains NUL bytes.*binary file"):
        parse_article(b"%PDF-1.4\x00\x01\x02", source="paper.pdf")
    with pytest.raises(DataError, match=r"is not UTF-8 text \(byte 1\)"):
        parse_article(b"A\xff\xfeB")
    with pytest.raises(DataError, match="contains NUL characters"):
        parse_article("Head\x00line")
    with pytest.raises(DataError, match="holds no text"):
        parse_article("  \n Advertisements \n\n")
    with pytest.raises(SpecError, match=r"max_bytes: 0 is not a positive number of bytes"):
        parse_article("Head", max_bytes=0)


# --- cleaning ----------------------------------------------------------------------------------


def test_clean_text_on_the_scraped_deepseek_article(articles: dict[str, str]) -> None:
    text = articles[DEEPSEEK]
    paragraphs = text.split("\n")
    assert "Advertisements" not in paragraphs
    assert not any("Advertisement" in p for p in paragraphs)
    for join in ["approachWhat", "enthusiastsIt", "capitalizationConsequently", "GPUsWhile"]:
        assert join not in text
    for fixed in [
        "visionary approach. What initially started",
        "tech enthusiasts. It unleashed",
        "the AI industry. Questions abounded",
        "groundbreaking technological innovations. Constrained by",
        "on Nvidia. The substantial decline",
        "Nvidia’s GPUs. While rumors",
        "across China. Educational institutions",
        "DeepSeek's value. As a vanguard",
    ]:
        assert fixed in text
    # Every remaining lower-to-upper case change inside a word is a real name.
    inner = {m.group() for m in re.finditer(r"\w*[a-z][A-Z]\w*", text)}
    assert inner == {"DeepSeek", "InfiniBand", "MoE"}
    raw_body = (NEWS / DEEPSEEK).read_text(encoding="utf-8").split("\n", 1)[1]
    assert text.count("DeepSeek") == raw_body.count("DeepSeek") == 31  # no name was split
    assert "  " not in text
    assert paragraphs[0].startswith("In 2025, the emergence of DeepSeek")
    assert paragraphs[-1] == "Nonetheless, challenges abound for DeepSeek"


def test_clean_text_keeps_names() -> None:
    text = (
        "The iPhone, PayPal, YouTube, McDonald's, ChatGPT, OpenAI, NVIDIA's, LinkedIn, "
        "WhatsApp and ServiceNow. CoreWave rose; CoreWave fell."
    )
    assert clean_text(text) == [text]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Growth slowedThe rest", "Growth slowed. The rest"),
        ("the industryQuestions abounded", "the industry. Questions abounded"),
        ("It rose in ChinaFoo fell. China gained", "It rose in China. Foo fell. China gained"),
        ("Chips from ChinaFoo sold", "Chips from ChinaFoo sold"),  # "China" is not on its own
        ("They bought CPUsThen sold", "They bought CPUs. Then sold"),
        ("a joinThe", "a join. The"),
        ("so doThe", "so doThe"),  # two letters are not a plausible word end
    ],
)
def test_clean_text_restores_joined_sentences(text: str, expected: str) -> None:
    assert clean_text(text) == [expected]


def test_clean_text_protected_names() -> None:
    text = "Widget rose and WidgetMaker fell"
    assert clean_text(text) == ["Widget rose and Widget. Maker fell"]
    assert clean_text(text, protected=["WidgetMaker"]) == [text]


def test_clean_text_strips_html() -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Page</title><style>p {color: red}</style></head>"
        "<body><p>Hello <b>world</b> &amp; friends</p><script>alert('x')</script>"
        "<div>Second<br>Third</div><!-- hidden --><noscript>Enable JS</noscript></body></html>"
    )
    assert clean_text(page) == ["Hello world & friends", "Second", "Third"]
    multiline = "<script>\nvar a = '<p>';\n</script>\n<p>Text\n<STYLE type='x'>\np {}\n</STYLE>"
    assert clean_text(multiline) == ["Text"]
    pasted = parse_article("<html>\n<script>\nvar x = 1;\n</script>\n<h1>Title</h1>\n<p>Body</p>")
    assert (pasted.headline, clean_text(pasted.body)) == ("Title", ["Body"])
    escaped = "Before &lt;script&gt;alert(1)&lt;/script&gt;after <img src=x onerror=alert(1)>"
    assert clean_text(escaped) == ["Before after"]
    assert clean_text("Prices: 3 < 5 and 7 > 6, 5 &lt; 6") == ["Prices: 3 < 5 and 7 > 6, 5 < 6"]


def test_clean_text_drops_noise_and_repeats() -> None:
    text = "\n".join(
        [
            "Advertisement",
            "ADVERTISEMENT",
            "Sponsored",
            "Read more",
            "Share this:",
            "Loading...",
            "We use cookies to improve your experience. By continuing you agree.",
            "Accept all cookies",
            "First  paragraph\u200b\twith\u00a0spaces.",
            "First paragraph with spaces.",
            "Second paragraph.",
            "First paragraph with spaces.",
            "Read more about the Fed's decision here.",
        ]
    )
    assert clean_text(text) == [
        "First paragraph with spaces.",
        "Second paragraph.",
        "First paragraph with spaces.",
        "Read more about the Fed's decision here.",
    ]
    assert clean_text("") == []


# --- dates -------------------------------------------------------------------------------------


def test_dates_in_the_shared_articles(articles: dict[str, str]) -> None:
    found = {name: [m.date for m in find_event_dates(text)] for name, text in articles.items()}
    # DeepSeek: "January 27" takes its year from "In 2025" at the start of the article.
    assert found[DEEPSEEK] == [dt.date(2025, 1, 27)]
    assert found[TARIFFS] == [dt.date(2025, 4, d) for d in (2, 3, 4, 9)]
    assert found[SELLOFF] == [dt.date(2024, 8, 5)]
    text = articles[TARIFFS]
    assert [m.text for m in find_event_dates(text)] == [
        "April 2, 2025",
        "Thursday, April 3",
        "Friday, April 4",
        "April 9",
    ]


@pytest.mark.parametrize(
    ("text", "matched", "date"),
    [
        ("Stocks fell on January 27, 2025.", "January 27, 2025", dt.date(2025, 1, 27)),
        ("Stocks fell on Jan. 27, 2025.", "Jan. 27, 2025", dt.date(2025, 1, 27)),
        ("Stocks fell on Jan 27 2025.", "Jan 27 2025", dt.date(2025, 1, 27)),
        ("Stocks fell on 27 January 2025.", "27 January 2025", dt.date(2025, 1, 27)),
        ("Stocks fell on 27th of January, 2025.", "27th of January, 2025", dt.date(2025, 1, 27)),
        ("Stocks fell on 2025-01-27.", "2025-01-27", dt.date(2025, 1, 27)),
        ("Filed 2025-01-27T08:00:00Z.", "2025-01-27", dt.date(2025, 1, 27)),
        (
            "Stocks fell on Monday, January 27, 2025.",
            "Monday, January 27, 2025",
            dt.date(2025, 1, 27),
        ),
        ("Stocks fell on Sept. 3rd, 2024.", "Sept. 3rd, 2024", dt.date(2024, 9, 3)),
        ("Stocks fell on 29 February 2024.", "29 February 2024", dt.date(2024, 2, 29)),
    ],
)
def test_date_formats(text: str, matched: str, date: dt.date) -> None:
    [mention] = find_event_dates(text)
    assert mention == DateMention(
        text.index(matched), text.index(matched) + len(matched), matched, date
    )


@pytest.mark.parametrize(
    "text",
    [
        "No date here, just 5 percent and the S&P 500.",
        "February 30, 2025 never happened, nor did 2025-13-01 or 29 February 2025.",
        "Investors may 5 times out of 10 be wrong.",  # "may" in lower case is the verb
        "The index rose in January 2025.",  # a month without a day
        "It fell on March 3.",  # no year anywhere, no default
    ],
)
def test_no_dates(text: str) -> None:
    assert find_event_dates(text) == []


def test_year_inference() -> None:
    def dates(text: str, default_year: int | None = None) -> list[dt.date]:
        return [m.date for m in find_event_dates(text, default_year=default_year)]

    assert dates("It fell on March 3.", default_year=2024) == [dt.date(2024, 3, 3)]
    # The year the article mentions beats the default.
    assert dates("In 2025 it fell on March 3.", default_year=2024) == [dt.date(2025, 3, 3)]
    # An explicit year in the same paragraph beats the article's most frequent year.
    text = "In 2023 and 2023 again.\nAfter Dec. 30, 2024, it fell on January 2."
    assert dates(text) == [dt.date(2024, 12, 30), dt.date(2024, 1, 2)]
    assert dates("In January 2025 stocks fell. On January 27 Nvidia dropped.") == [
        dt.date(2025, 1, 27)
    ]
    # The closest dated mention before wins over one after.
    text = "On May 1, 2023 it rose; on June 2 it fell; on July 3, 2024 it rose."
    assert dates(text) == [dt.date(2023, 5, 1), dt.date(2023, 6, 2), dt.date(2024, 7, 3)]
    # Equally frequent years: the latest ("since 2020" looks back from 2025).
    assert dates("The worst day since 2020 came in 2025, on April 3.") == [dt.date(2025, 4, 3)]
    with pytest.raises(SpecError, match=r"default_year: '2025' is not a year"):
        find_event_dates("x", default_year="2025")  # type: ignore[arg-type]


# --- companies ---------------------------------------------------------------------------------


def test_companies_in_the_shared_articles(
    articles: dict[str, str], aliases: dict[str, str]
) -> None:
    text = articles[DEEPSEEK]
    mentions = find_companies(text, aliases)
    # The article names Nvidia (13 times, 6 of them possessive) and no other listed company:
    # not Broadcom, and "DeepSeek", "Wall Street", "Silicon Valley" or "China" are not tickers.
    assert {m.ticker for m in mentions} == {"NVDA"}
    assert len(mentions) == 13
    assert all(text[m.start : m.end] == m.text == "Nvidia" for m in mentions)
    tickers = {name: [m.ticker for m in find_companies(t, aliases)] for name, t in articles.items()}
    assert tickers[TARIFFS] == ["SPY", "AAPL", "SPY", "QQQ", "SPY"]
    assert tickers[SELLOFF] == ["SPY", "QQQ", "NVDA", "AAPL", "MSFT"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nvidia's chips and NVIDIA’s GPUs", [("Nvidia", "NVDA"), ("NVIDIA", "NVDA")]),
        ("We arm the team; Arm rose", [("Arm", "ARM")]),
        (
            "an apple a day; the meta question; Apple and Meta",
            [("Apple", "AAPL"), ("Meta", "META")],
        ),
        ("Coca-Cola and Coca Cola, not coca-cola", [("Coca-Cola", "KO"), ("Coca Cola", "KO")]),
        ("Bank of America rose, bank of America did not", [("Bank of America", "BAC")]),
        ("Taiwan Semiconductor and Taiwan", [("Taiwan Semiconductor", "TSM")]),
        ("Meta platforms rose", [("Meta", "META")]),  # "platforms" in lower case: not the name
        ("S&P Global rose while the S&P 500 fell", [("S&P Global", "SPGI"), ("S&P 500", "SPY")]),
        ("Monday's news: Block and Match fell", []),
        ("Nvidias and Nvidian", []),
    ],
)
def test_company_names(aliases: dict[str, str], text: str, expected: list[tuple[str, str]]) -> None:
    mentions = find_companies(text, aliases)
    assert [(m.text, m.ticker) for m in mentions] == expected
    assert all(text[m.start : m.end] == m.text for m in mentions)


def test_company_tickers(aliases: dict[str, str]) -> None:
    text = "Buy $NVDA and $BRK.B, not $FOO or $100. Apple Inc. (NASDAQ: AAPL) and (NYSE: BRK.B)."
    mentions = find_companies(text, aliases)
    assert [(m.text, m.ticker) for m in mentions] == [
        ("$NVDA", "NVDA"),
        ("$BRK.B", "BRK-B"),
        ("Apple", "AAPL"),
        ("AAPL", "AAPL"),  # the exchange prefix is not the Nasdaq index
        ("BRK.B", "BRK-B"),
    ]
    assert all(text[m.start : m.end] == m.text for m in mentions)
    # An unknown ticker counts once it is in the universe.
    [foo] = find_companies("$FOO", aliases, universe=["foo"])
    assert foo == CompanyMention(0, 4, "$FOO", "FOO")


def test_company_universe_and_custom_tables() -> None:
    table = {"Acme": "acme", "Acme Rockets": "ROCK", "Beta-Max": "brk.b"}
    text = "Acme Rockets beat Acme; Beta Max and beta max"
    assert [(m.text, m.ticker) for m in find_companies(text, table)] == [
        ("Acme Rockets", "ROCK"),
        ("Acme", "ACME"),
        ("Beta Max", "BRK-B"),
    ]
    assert [m.text for m in find_companies(text, table, universe={"acme"})] == ["Acme"]
    assert find_companies(text, {}) == []


# --- highlighting ------------------------------------------------------------------------------


def test_highlight_spans(aliases: dict[str, str]) -> None:
    paragraph = "On Monday, January 27, 2025, Nvidia’s shares fell 17% while Broadcom slid."
    spans = highlight_spans(
        paragraph, find_event_dates(paragraph), find_companies(paragraph, aliases)
    )
    assert spans == [
        Span("On "),
        Span("Monday, January 27, 2025", "date", date=dt.date(2025, 1, 27)),
        Span(", "),
        Span("Nvidia", "company", ticker="NVDA"),
        Span("’s shares fell 17% while "),
        Span("Broadcom", "company", ticker="AVGO"),
        Span(" slid."),
    ]
    assert highlight_spans("Plain text.", [], []) == [Span("Plain text.")]
    assert highlight_spans("", [], []) == []


def test_highlight_spans_over_a_whole_article(
    articles: dict[str, str], aliases: dict[str, str]
) -> None:
    text = articles[DEEPSEEK]
    dates, companies = find_event_dates(text), find_companies(text, aliases)
    offset, kinds = 0, []
    for paragraph in text.split("\n"):
        spans = highlight_spans(paragraph, dates, companies, offset=offset)
        assert "".join(s.text for s in spans) == paragraph
        kinds += [(s.kind, s.text) for s in spans if s.kind != "plain"]
        offset += len(paragraph) + 1
    assert kinds.count(("company", "Nvidia")) == 13
    assert ("date", "January 27") in kinds


def test_highlight_spans_overlaps_and_mismatches() -> None:
    paragraph = "Acme Rockets rose"
    long = CompanyMention(0, 12, "Acme Rockets", "ROCK")
    short = CompanyMention(0, 4, "Acme", "ACME")
    inner = CompanyMention(5, 12, "Rockets", "RKT")
    assert [s.text for s in highlight_spans(paragraph, [], [short, inner, long])] == [
        "Acme Rockets",
        " rose",
    ]
    with pytest.raises(SpecError, match=r"mention 'Acme' at 0 does not match.*pass offset="):
        highlight_spans("Other text here", [], [short])
