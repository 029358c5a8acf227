"""The bad-input corpus through the dashboard: every case gets an inline message, never raises,
never renders raw HTML, and never changes what the store already holds.

Callbacks are called as plain functions on a store pre-filled from the DeepSeek pack, with that
pack as the only source (offline). A case that asks for a study runs the background job too, and
the message may come from either. Uploads are generated here. The same kinds of input go
through a browser in ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import dash_mantine_components as dmc
import pandas as pd
import pytest
from dash import dcc, html, no_update

from analytics.data.store import PriceStore
from analytics.news import MAX_ARTICLE_BYTES
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.features.controls import controls_of, run_job, sync_state
from app.dashboard.features.news import layout as news_pane
from app.dashboard.features.news import render_article, upload_article, upload_rejected
from app.dashboard.features.results import grid_table
from app.dashboard.state import DEFAULT_STATE, to_query
from app.settings import Settings
from tests.support import DEEPSEEK_PACK, NEWS, REFERENCE, component_nodes, component_texts

TEN_THOUSAND = [f"Q{i:05d}" for i in range(10_000)]
MB = 1_000_000


def assert_safe(component: Any) -> None:
    """Text only: no script or embedded document, no raw-HTML rendering anywhere."""
    for node in component_nodes(component):
        assert not isinstance(node, html.Script | html.Iframe | html.ObjectEl | html.Embed), node
        assert not getattr(node, "dangerously_allow_html", False), node
        assert not isinstance(node, dcc.Markdown), node


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DashboardData:
    store = tmp_path_factory.mktemp("store")
    PriceStore(store).upsert(pd.read_parquet(DEEPSEEK_PACK))
    settings = Settings(
        store=store, data_pack=DEEPSEEK_PACK, news=NEWS, reference=REFERENCE, offline=True
    )
    return DashboardData(settings)


def _stored(data: DashboardData) -> pd.Series:
    frame = PriceStore(data.settings.store).prices(None)
    return frame.set_index(["ticker", "date"])["adj_close"]


@pytest.fixture(scope="module")
def baseline(data: DashboardData) -> pd.Series:
    return _stored(data)


# -- how each kind of input reaches the dashboard ------------------------------------------------


def _study(data: DashboardData, out: dict[str, Any]) -> list[Any]:
    """The state callback's alert, then what the background study and its grid say."""
    shown = [out["alert"]]
    if isinstance(out["run"], dict):
        key, problem, _ = run_job(data, out["run"], lambda line: None)
        shown.append(problem)
        if key is not None:
            shown.append(grid_table(data, key)[2])
    return shown


def controls(**values: Any) -> Callable[[DashboardData], list[Any]]:
    """A control changed to ``values`` (the others at the demo's)."""

    def case(data: DashboardData) -> list[Any]:
        out = sync_state(
            data,
            trigger=ids.EVENT_DATE,
            search=to_query(DEFAULT_STATE),
            study_key=None,
            focus="0:0",
            run_clicks=0,
            values=controls_of(DEFAULT_STATE) | values,
        )
        return _study(data, out)

    return case


def link(search: str) -> Callable[[DashboardData], list[Any]]:
    """The page opened with query string ``search``."""

    def case(data: DashboardData) -> list[Any]:
        out = sync_state(
            data,
            trigger=None,
            search=search,
            study_key=None,
            focus=None,
            run_clicks=0,
            values=controls_of(DEFAULT_STATE),
        )
        return _study(data, out)

    return case


def paste(text: str) -> Callable[[DashboardData], list[Any]]:
    """``text`` pasted into the article box."""
    return lambda data: list(render_article(data, selected=None, text=text))


def upload(raw: bytes, name: str = "article.txt") -> Callable[[DashboardData], list[Any]]:
    """A file with bytes ``raw`` uploaded (as the browser encodes it)."""
    contents = "data:text/plain;base64," + base64.b64encode(raw).decode()

    def case(data: DashboardData) -> list[Any]:
        text, picker, problem = upload_article(contents, name)
        shown = [problem]
        if text is not no_update:
            shown += render_article(data, selected=picker, text=text)
        return shown

    return case


def refused(name: str, size: int) -> Callable[[DashboardData], list[Any]]:
    """A file the browser refused to upload, as assets/aftershock.js reports it."""
    return lambda data: [upload_rejected({"name": name, "size": size, "at": 1})]


LATIN1 = "Café crème\nLes marchés ont chuté le 27 janvier 2025.".encode("latin-1")
UTF16 = "Headline\nNvidia fell on January 27, 2025.".encode("utf-16")
TOO_BIG = b"Headline\n" + b"Nvidia fell sharply. " * 75_000  # 1.5 MB
HUGE_LINK = "?date=" + "9" * 100_000

# (case id, input, text the inline message must contain, its colour)
CASES: list[tuple[str, Callable[[DashboardData], list[Any]], str, str]] = [
    # tickers
    ("tickers-empty-custom", controls(preset="custom", tickers=[]), "add at least one", "red"),
    ("tickers-lowercase-unknown", controls(preset="custom", tickers=["zzzzq"]),
     "no usable firm", "red"),
    ("tickers-unknown", controls(preset="custom", tickers=["ZZZZQ", "QQQZZ"]),
     "unknown ticker", "red"),
    ("tickers-unknown-added", controls(tickers=["ZZZZQ"]), "ZZZZQ (all windows)", "gray"),
    ("tickers-sql", controls(tickers=["NVDA');DROP TABLE prices;--"]), "valid ticker", "red"),
    ("tickers-sql-or", controls(tickers=["' OR '1'='1"]), "valid ticker", "red"),
    ("tickers-shell", controls(tickers=["$(rm -rf ~)"]), "valid ticker", "red"),
    ("tickers-backticks", controls(tickers=["`reboot`"]), "valid ticker", "red"),
    ("tickers-pipe", controls(tickers=["NVDA|cat /etc/passwd"]), "valid ticker", "red"),
    ("tickers-path", controls(tickers=["../../etc/passwd"]), "valid ticker", "red"),
    ("tickers-10000", controls(tickers=TEN_THOUSAND), "10000 tickers is too many", "red"),
    ("tickers-10000-link", link("?tickers=" + ",".join(TEN_THOUSAND)), "too many", "yellow"),
    ("benchmark-shell", controls(benchmark="SPY;rm -rf /"), "benchmark:", "red"),
    ("benchmark-only", controls(preset="custom", tickers=["SPY"]), "only the benchmark", "red"),
    # dates
    ("date-weekend", controls(date="2025-01-25"), "day 0 is the next session, Mon 27 Jan", "blue"),
    ("date-holiday", controls(date="2025-01-09"), "Thu 09 Jan 2025 is not an NYSE trading day",
     "blue"),
    ("date-future", controls(date="2030-06-03"), "in the future", "red"),
    ("date-1900", controls(date="1900-01-01"), "outside the supported range", "red"),
    ("date-malformed", controls(date="2025-13-45"), "is not a date", "red"),
    ("date-words", controls(date="yesterday"), "is not a date", "red"),
    ("date-empty", controls(date=None), "pick a date", "red"),
    ("date-garbage-link", link("?date=banana"), "date='banana' ignored", "yellow"),
    ("date-nul-link", link("?date=2025-01-27%00"), "ignored", "yellow"),
    ("date-future-link", link("?date=2030-06-03"), "in the future", "red"),
    # windows
    ("window-reversed", controls(windows=["5:1"]), "is reversed", "red"),
    ("window-malformed", controls(windows=["abc"]), "is not a window", "red"),
    ("window-none", controls(windows=[]), "choose at least one", "red"),
    ("window-enormous", controls(windows=["0:5000"]), "too long", "red"),
    ("estimation-enormous", controls(estimation_start=-100_000), "too long", "red"),
    ("estimation-overlaps-event", controls(estimation_end=3), "window before day", "red"),
    ("event-overlaps-estimation", controls(windows=["-20:20"]), "window before day", "red"),
    ("estimation-short", controls(estimation_start=-100), "estimation length 90", "red"),
    ("estimation-reversed", controls(estimation_start=-11, estimation_end=-250),
     "is reversed", "red"),
    ("estimation-text", controls(estimation_start="ten"), "not whole numbers", "red"),
    # uploads
    ("upload-empty", upload(b""), "holds no text", "red"),
    ("upload-binary", upload(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20, "chart.png"),
     "binary", "red"),
    ("upload-too-large", upload(TOO_BIG), "files up to 1.0 MB", "red"),
    ("upload-refused-by-browser", refused("big.txt", 5 * MB), "big.txt is 5.0 MB", "red"),
    ("upload-latin1", upload(LATIN1), "save it as UTF-8", "red"),
    ("upload-utf16", upload(UTF16), "UTF-16", "red"),
    ("upload-not-base64", lambda data: [upload_article("data:text/plain;base64,%%%", "a.txt")[2]],
     "not readable", "red"),
    # news text
    ("text-five-megabytes", paste("Headline\n" + "word " * MB), "5.0 MB; the limit is 1.0 MB",
     "red"),
    ("text-no-date", paste("Calm day\nNothing happened at Apple."), "No date found", "blue"),
    ("text-only-markup", paste("<b></b><script>alert(1)</script>"), "holds no text", "red"),
    ("text-nul", paste("Headline\nbody\x00more"), "NUL", "red"),
    # links
    ("link-unknown-key", link("?dat=2025-01-27"), "'dat' ignored", "yellow"),
    ("link-script", link("?tickers=%3Cscript%3Ealert(1)%3C/script%3E"), "valid ticker", "yellow"),
    ("link-huge", link(HUGE_LINK), "ignored", "yellow"),
    ("link-mangled", link("?&&==&=x&model[]=1&windows=%ff%fe"), "ignored", "yellow"),
    ("link-sector-missing", link("?preset=sp500"), "needs a sector", "yellow"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "message", "color"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_dashboard_case(
    case: Callable[[DashboardData], list[Any]],
    message: str,
    color: str,
    data: DashboardData,
    baseline: pd.Series,
) -> None:
    shown = case(data)
    alerts = [node for node in component_nodes(shown) if isinstance(node, dmc.Alert)]
    text = " ".join(component_texts(alerts))
    assert message.lower() in text.lower(), text[:500]
    assert color in {a.color for a in alerts}, [a.color for a in alerts]
    assert all(len(line) <= 500 for line in component_texts(alerts))
    assert_safe(shown)
    now = _stored(data).reindex(baseline.index)
    assert bool((now.to_numpy() == baseline.to_numpy()).all()), "stored rows changed"


def test_markup_in_an_article_is_shown_as_text_only(data: DashboardData) -> None:
    text = (
        "Chips <i>slide</i>\n<script>document.title='pwned'</script>"
        "<p onclick=\"alert('x')\">Nvidia <b>fell</b> on January 27, 2025.</p>"
        "<iframe src='https://evil.example'></iframe><img src=x onerror=alert(2)> a < b > c"
    )
    view, problem = render_article(data, selected=None, text=text)
    assert problem is None
    assert_safe(view)
    shown = " ".join(component_texts(view))
    assert view[0].children == "Chips slide"
    assert "pwned" not in shown and "onerror" not in shown and "onclick" not in shown
    assert "Nvidia" in shown and "fell on" in shown


def test_lowercase_tickers_are_normalised_not_refused(data: DashboardData) -> None:
    (alert, problem, _) = controls(tickers=["nvda", "brk.b"])(data)
    assert alert is None and problem is None
    out = link("?tickers=nvda,amd")(data)
    assert out[0] is None


def test_a_lone_surrogate_is_rendered(data: DashboardData) -> None:
    view, problem = render_article(data, selected=None, text="Headline\n\ud800 fell on May 1, 2025")
    assert problem is None and view


@pytest.mark.parametrize(
    "rejected", [None, {}, {"size": "lots"}, {"size": True}, {"size": -1}, "big.txt"]
)
def test_malformed_rejection_reports_are_ignored(rejected: Any) -> None:
    assert upload_rejected(rejected) is no_update


def test_refused_file_name_is_text_and_short() -> None:
    shown = upload_rejected({"name": "<img src=x onerror=alert(1)>" * 20, "size": 2 * MB})
    assert_safe(shown)
    assert isinstance(shown, dmc.Alert)
    assert "<img src=x onerror=alert(1)>" in " ".join(component_texts(shown))
    assert len(" ".join(component_texts(shown.children))) < 300


def test_the_page_caps_uploads_at_the_article_limit() -> None:
    upload_box = next(n for n in component_nodes(news_pane([])) if isinstance(n, dcc.Upload))
    assert getattr(upload_box, "max_size") == MAX_ARTICLE_BYTES == MB  # noqa: B009
