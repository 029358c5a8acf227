"""Dashboard callbacks called as plain functions, on the real DeepSeek data (no browser)."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest
from dash import html, no_update

from analytics.data.sources import SourceResult
from analytics.data.sources.files import DataPackSource
from analytics.errors import SourceError
from app.charts.export import FigureExporter
from app.dashboard import ids
from app.dashboard.app import create_app
from app.dashboard.cache import DashboardData
from app.dashboard.features.controls import controls_of, placebo_job, run_job, sync_state
from app.dashboard.features.downloads import download_png, export_all
from app.dashboard.features.news import (
    add_mention,
    open_news,
    pick_date,
    render_article,
    upload_article,
)
from app.dashboard.features.results import (
    dollar_headline,
    grid_table,
    key_with_placebo,
    render_chart,
    significance_panel,
    summary,
)
from app.dashboard.state import ALL_SECTORS, DEFAULT_STATE, ViewState, from_query, to_query
from app.dashboard.views import build_figure
from app.settings import Settings
from tests.support import (
    DEEPSEEK_PACK,
    MARKET_DATA,
    NEWS,
    REFERENCE,
    component_nodes,
    component_texts,
)

DEMO_QUERY = to_query(DEFAULT_STATE)
INTEL = (
    "Intel Shares Crash\nAfter the closing bell on Thursday, August 1, 2024, Intel reported"
    " a loss.\nIntel's shares plunged 26% on Friday."
)


@pytest.fixture(scope="module")
def data(data: DashboardData) -> DashboardData:
    """The conftest's data with the demo prepared (its prices stored, its claims checked)."""
    assert data.prepare_demo() == []
    return data


@pytest.fixture(scope="module")
def demo_key(data: DashboardData) -> str:
    return data.run(DEFAULT_STATE)


def _sync(data: DashboardData, trigger: str | None, **changes: Any) -> dict[str, Any]:
    values = controls_of(DEFAULT_STATE) | changes.pop("values", {})
    return sync_state(
        data,
        trigger=trigger,
        search=changes.pop("search", DEMO_QUERY),
        study_key=changes.pop("study_key", None),
        focus=changes.pop("focus", "0:0"),
        run_clicks=changes.pop("run_clicks", 0),
        values=values,
        opened=changes.pop("opened", None),
        text=changes.pop("text", None),
    )


# -- URL <-> controls ----------------------------------------------------------------------------


def test_page_load_sets_controls_from_the_link_and_requests_the_study(
    data: DashboardData,
) -> None:
    out = _sync(data, None, search="?date=2024-08-05&windows=0:0,-1:1&model=constant_mean")
    assert out["controls"]["date"] == "2024-08-05"
    assert out["controls"]["windows"] == ["0:0", "-1:1"]
    assert out["controls"]["model"] == "constant_mean"
    assert out["search"] is no_update
    assert out["alert"] is None
    assert out["sector_disabled"] is True
    assert [o["value"] for o in out["focus_data"]] == ["0:0", "-1:1"]
    assert out["run"]["query"].startswith("?article=deepseek-market-jolt.txt&date=2024-08-05")


def test_cached_study_is_shown_without_running(data: DashboardData, demo_key: str) -> None:
    out = _sync(data, ids.URL, search="")
    assert out["study_key"] == demo_key
    assert out["run"] is no_update
    assert _sync(data, ids.URL, search="", study_key=demo_key)["study_key"] is no_update


def test_run_button_always_requests_a_run(data: DashboardData, demo_key: str) -> None:
    out = _sync(data, ids.RUN_BUTTON, run_clicks=3, study_key=demo_key)
    assert out["run"] == {"query": DEMO_QUERY, "nonce": 3, "token": out["run"]["token"]}
    again = _sync(data, ids.RUN_BUTTON, run_clicks=3, study_key=demo_key)
    assert again["run"]["token"] != out["run"]["token"], "each request is its own job"


def test_changed_control_rewrites_the_url(data: DashboardData) -> None:
    out = _sync(data, ids.EVENT_WINDOWS, values={"windows": ["0:0", "-10:10"]})
    assert out["search"] == to_query(ViewState(windows=((0, 0), (-10, 10))))
    assert out["controls"]["windows"] is no_update
    assert out["alert"] is None


def test_the_test_options_are_controls_that_change_the_study(data: DashboardData) -> None:
    out = _sync(data, ids.STANDARDIZATION, values={"standardization": "sum_sar", "bootstrap": "0"})
    state = ViewState(standardization="sum_sar", bootstrap=0)
    assert out["search"] == to_query(state) and "std=sum_sar" in out["search"]
    # The study of that link uses them: the summed SCARs, and no bootstrap p.
    result = data.result(data.run(replace(state, placebo=0)))
    assert result is not None
    assert result.spec.standardization == "sum_sar" and result.spec.bootstrap == 0
    tests = result.tests
    assert tests[tests["test"] == "boot_p"]["p"].isna().all()
    page = _sync(data, None, search=out["search"])
    assert page["controls"]["standardization"] == "sum_sar"
    assert page["controls"]["bootstrap"] == "0"


def test_unchanged_state_does_nothing(data: DashboardData) -> None:
    out = _sync(data, ids.MODEL)
    assert out["search"] is no_update
    assert out["run"] is no_update
    assert out["study_key"] is no_update


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"windows": []}, "Event windows: choose at least one event window"),
        ({"windows": ["5:1"]}, "is reversed"),
        ({"date": None}, "Event date: pick a date"),
        ({"estimation_end": 3}, "Estimation from day … to day: "),
        ({"benchmark": "not a ticker"}, "Benchmark:"),
        ({"preset": "sp500", "sector": None}, "S&P 500 sector: pick an S&P 500 sector"),
        (
            {"preset": "sp500", "sector": "Nowhere"},
            "S&P 500 sector: 'Nowhere' is not an S&P 500 sector",
        ),
        ({"preset": "custom", "tickers": ["SPY"]}, "universe holds only the benchmark SPY"),
    ],
)
def test_invalid_controls_give_an_inline_alert(
    data: DashboardData, values: dict[str, Any], message: str
) -> None:
    out = _sync(data, ids.EVENT_WINDOWS, values=values)
    assert message in " ".join(component_texts(out["alert"]))
    assert out["alert"].color == "red"
    assert out["run"] is no_update
    assert out["study_key"] is no_update


def test_bad_link_parameters_are_reported_not_fatal(data: DashboardData) -> None:
    out = _sync(data, ids.URL, search="?windows=banana&date=2025-01-27")
    text = " ".join(component_texts(out["alert"]))
    assert "windows='banana' ignored" in text
    assert out["alert"].color == "yellow"
    assert out["controls"]["windows"] == ["0:0", "-1:1", "-5:5"]


def test_picking_an_article_studies_what_it_proposes(data: DashboardData) -> None:
    out = _sync(data, ids.ARTICLE_SELECT, values={"article": "tariff-shock-2025-04.txt"})
    controls = out["controls"]
    assert (controls["date"], controls["timing"]) == ("2025-04-02", "after_close")
    assert (controls["preset"], controls["benchmark"]) == ("custom", "SPY")
    # The named company, its SIC peers the data can price, the Nasdaq Composite's fund.
    assert controls["tickers"][:3] == ["AAPL", "DELL", "SMCI"] and "ONEQ" in controls["tickers"]
    assert "DELL" in out["search"] and "date=2025-04-02&timing=after_close" in out["search"]
    assert "preset=deepseek" not in out["search"]


def test_a_link_naming_only_an_article_opens_its_proposal(data: DashboardData) -> None:
    out = _sync(data, ids.URL, search="?article=global-selloff-2024-08-05.txt")
    assert out["controls"]["date"] == "2024-08-05"
    assert out["controls"]["tickers"][:3] == ["NVDA", "AAPL", "MSFT"]
    assert "tickers=NVDA,AAPL,MSFT" in out["search"]
    # A link with its own study keeps it.
    kept = _sync(data, ids.URL, search="?article=global-selloff-2024-08-05.txt&date=2025-01-27")
    assert kept["controls"]["date"] == "2025-01-27" and kept["search"] is no_update


def test_pasted_text_proposes_its_study_on_request(data: DashboardData) -> None:
    out = _sync(data, ids.PROPOSAL_APPLY, values={"article": None}, text=INTEL)
    assert (out["controls"]["date"], out["controls"]["timing"]) == ("2024-08-01", "after_close")
    assert out["controls"]["tickers"][0] == "INTC"


def test_the_comparison_group_adds_every_sp500_member_to_the_proposal(
    data: DashboardData,
) -> None:
    out = _sync(data, ids.PROPOSAL_COMPARE, values={"article": None}, text=INTEL)
    chosen = out["controls"]
    assert (chosen["preset"], chosen["sector"]) == ("sp500", ALL_SECTORS)
    assert chosen["tickers"][0] == "INTC" and out["sector_disabled"] is False
    state, _ = from_query(out["search"])
    tickers = data.prepare(state).spec.tickers
    members = set(data.sp500["ticker"])
    assert members - {state.benchmark} <= set(tickers)
    assert set(tickers) == members | set(chosen["tickers"])


def test_sp500_sector_universe(data: DashboardData) -> None:
    values = {"preset": "sp500", "sector": "Utilities"}
    out = _sync(data, ids.UNIVERSE_SECTOR, values=values)
    assert out["alert"] is None
    assert out["sector_disabled"] is False
    prepared = data.prepare(ViewState(preset="sp500", sector="Utilities"))
    assert "NEE" in prepared.spec.tickers
    assert len(prepared.spec.tickers) == len(data.sector_members["Utilities"])


# -- the background study ------------------------------------------------------------------------


def test_run_job_runs_the_study_then_asks_for_its_placebo(
    data: DashboardData, demo_key: str
) -> None:
    lines: list[str] = []
    key, problem, follow_up = run_job(data, {"query": DEMO_QUERY, "nonce": 1}, lines.append)
    assert problem is None and key != demo_key  # the demo's key has the placebo test
    assert lines and lines[0].startswith("Checking prices of 46 tickers")
    result = data.result(key)
    assert result is not None
    assert result.spec.tickers[0] == "NVDA"
    assert result.spec.placebo == 0 and not result.placebo
    assert follow_up["study"] == key and follow_up["query"] == DEMO_QUERY
    done = placebo_job(data, follow_up)
    assert done == {"study": key, "full": demo_key}
    full = data.result(key_with_placebo(key, done))
    assert (
        full is not None
        and full.spec.placebo == 200
        and set(full.placebo)
        == {
            "0:0",
            "-1:1",
            "-5:5",
        }
    )
    # The same study: only the placebo row differs.
    assert (full.aggregate["caar"] == result.aggregate["caar"]).all()
    assert key_with_placebo(key, {"study": "another study", "full": demo_key}) == key


def test_without_placebo_no_follow_up_runs(data: DashboardData) -> None:
    query = to_query(ViewState(placebo=0))
    key, problem, follow_up = run_job(data, {"query": query, "nonce": 0}, lambda line: None)
    assert key is not None and problem is None and follow_up is no_update


def test_run_job_turns_engine_errors_into_an_alert(data: DashboardData) -> None:
    query = to_query(ViewState(benchmark="NOSUCH"))
    key, problem, follow_up = run_job(data, {"query": query, "nonce": 0}, lambda line: None)
    assert key is None and follow_up is no_update
    assert "Benchmark" in " ".join(component_texts(problem))
    assert run_job(data, None, lambda line: None) == (no_update, no_update, no_update)


# -- news pane -----------------------------------------------------------------------------------


def test_demo_article_is_cleaned_and_highlighted(data: DashboardData) -> None:
    view, problem = render_article(data, selected="deepseek-market-jolt.txt", text=None)
    assert problem is None
    assert isinstance(view[0], html.H2)
    assert view[0].children == "DeepSeek's Market Jolt: US Stocks Shed Trillions"
    text = "".join(component_texts(view))
    assert "Advertisements" not in text
    assert "approach. What initially" in text
    nodes = list(component_nodes(view))
    marks: list[Any] = [n for n in nodes if isinstance(n, html.Mark)]
    mentions = [m for m in marks if m.className == "company"]
    assert mentions and {m.id["ticker"] for m in mentions} == {"NVDA"}
    assert len({m.id["index"] for m in mentions}) == len(mentions)
    assert all(m.id["type"] == ids.COMPANY_MENTION for m in mentions)
    assert not any(hasattr(n, "dangerously_allow_html") for n in nodes)


def test_pasted_text_finds_dates_and_companies(data: DashboardData) -> None:
    text = "Apple slides\nApple and Microsoft fell on August 5, 2024 as markets tumbled."
    view, problem = render_article(data, selected=None, text=text)
    assert problem is None
    marks: list[Any] = [n for n in component_nodes(view) if isinstance(n, html.Mark)]
    assert [m.className for m in marks] == ["company", "company", "event-date"]
    assert [m.id["ticker"] for m in marks[:2]] == ["AAPL", "MSFT"]
    assert marks[2].id == ids.date_mention("2024-08-05", 0)
    assert marks[2].title == "Mon 05 Aug 2024: click to make it the event date"
    assert (marks[2].role, marks[2].tabIndex) == ("button", 0)


def test_clicking_a_date_makes_it_the_event_date() -> None:
    mention = ids.date_mention("2024-08-05", 1)
    assert pick_date(mention, [0, 1]) == "2024-08-05"
    assert pick_date(mention, [0, 0]) is no_update
    assert pick_date({"type": ids.DATE_MENTION, "date": "2024-13-45"}, [1]) is no_update
    assert pick_date(None, [1]) is no_update


def test_a_weekend_date_says_where_day_0_moved(data: DashboardData) -> None:
    out = _sync(data, ids.EVENT_DATE, values={"date": "2025-01-25"})
    assert out["alert"].color == "blue"
    assert out["alert"].title == "Day 0 moved"
    assert " ".join(component_texts(out["alert"].children)) == (
        "Sat 25 Jan 2025 is not an NYSE trading day: day 0 is the next session, Mon 27 Jan 2025."
    )
    assert out["run"]["query"].startswith("?article=deepseek-market-jolt.txt&date=2025-01-25")


def test_article_errors_are_inline(data: DashboardData) -> None:
    _, problem = render_article(data, selected="missing.txt", text=None)
    assert "not in the news folder" in " ".join(component_texts(problem))
    _, problem = render_article(data, selected=None, text="\x00\x01binary")
    assert problem is not None and problem.color == "red"
    view, problem = render_article(data, selected=None, text="   ")
    assert problem is None and "Pick an article" in " ".join(component_texts(view))


def test_upload_fills_the_paste_box() -> None:
    encoded = base64.b64encode(b"Headline here\nBody text.").decode()
    text, picker, problem = upload_article(f"data:text/plain;base64,{encoded}", "a.txt")
    assert (text, picker, problem) == ("Headline here\nBody text.", None, None)
    _, _, problem = upload_article("data:text/plain;base64,%%%", "a.txt")
    assert "not readable" in " ".join(component_texts(problem))
    binary = base64.b64encode(b"\x89PNG\x00\x00").decode()
    _, _, problem = upload_article(f"data:image/png;base64,{binary}", "a.png")
    assert problem is not None
    assert upload_article(None, None) == (no_update, no_update, no_update)


def test_clicking_a_mention_adds_its_ticker() -> None:
    mention = ids.company_mention("AAPL", 3)
    assert add_mention(mention, [0, 1], ["IBM"]) == ["IBM", "AAPL"]
    assert add_mention(mention, [0, 1], ["AAPL"]) is no_update
    assert add_mention(mention, [0, 0], []) is no_update
    assert add_mention(None, [1], []) is no_update


# -- results -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ids.DASHBOARD_CHARTS)
def test_every_chart_builds_from_the_cached_result(
    data: DashboardData, demo_key: str, name: str
) -> None:
    result = data.result(demo_key)
    assert result is not None
    article = data.articles["deepseek-market-jolt.txt"]
    fig = build_figure(data, name, result, demo_key, "-1:1", article)
    assert isinstance(fig, go.Figure)
    assert fig.data
    if name == "price_paths":
        # The article names Nvidia: NVDA stays on the chart though power stocks fell more.
        assert "NVDA" in {trace.name for trace in fig.data}


def test_render_chart_without_a_study_says_so(data: DashboardData) -> None:
    # A failed study sets no key: the chart must not keep drawing the previous study.
    args: dict[str, Any] = {"focus": "0:0", "selected": None, "text": None}
    for key in (None, "unknown-key"):
        fig = render_chart(data, "caar", key=key, **args)
        assert not fig.data
        assert "the study is running, or could not run" in fig.layout.annotations[0].text
    assert render_chart(data, "caar", key=None, tab="prices", **args) is no_update


def test_price_paths_use_the_article_headline(data: DashboardData, demo_key: str) -> None:
    fig = render_chart(
        data,
        "price_paths",
        key=demo_key,
        focus=None,
        selected="deepseek-market-jolt.txt",
        text=None,
    )
    annotations = " ".join(a.text or "" for a in fig.layout.annotations)
    assert "DeepSeek's Market Jolt" in annotations


def test_summary_and_dollar_headline(data: DashboardData, demo_key: str) -> None:
    text = " ".join(component_texts(summary(data, demo_key)))
    assert "across 46 firms" in text
    assert "Day 0 Mon 27 Jan 2025" in text
    headline = " ".join(component_texts(dollar_headline(data, demo_key, "0:0")))
    # The raw change and the abnormal change, each named (DeepSeek day: both losses).
    assert headline.startswith("These stocks lost $")
    assert "in market value; $" in headline and "less than the market model predicted" in headline
    assert "survivorship" in headline
    assert " ".join(component_texts(summary(data, None))) == (
        "No results yet: the study is running, or could not run"
    )
    assert dollar_headline(data, None, "0:0") is None


def test_grid_rows_and_columns(data: DashboardData, demo_key: str) -> None:
    columns, rows, _ = grid_table(data, demo_key)
    assert len(rows) == 46
    nvda = next(r for r in rows if r["ticker"] == "NVDA")
    assert nvda["sector"] == "Technology"
    assert nvda["ar0"] == pytest.approx(nvda["car0"])
    assert nvda["car0"] < -0.1
    assert nvda["sig0"] == "***"
    assert next(r for r in rows if r["ticker"] == "ASML")["sector"] == "Technology"
    headers = [c["headerName"] for c in columns]
    assert headers[:4] == ["Firm", "Sector", "Beta", "AR day 0"]
    assert [c["headerName"] for c in columns[4]["children"]] == ["CAR", "t", "p", ""]
    assert grid_table(data, None) == ([], [], None)
    assert grid_table(data, demo_key, "prices") == (no_update, no_update, no_update)


def test_tests_panel_reads_the_focus_window(data: DashboardData, demo_key: str) -> None:
    day0 = " ".join(component_texts(significance_panel(data, demo_key, "0:0")))
    # All but the Corrado-Zivney sign Z (p = 0.10): its S_G comes from the daily sign sums of
    # the same 46 firms, so it carries their common-day correlation.
    assert "13 of 14 tests reject" in day0
    tests = data.result(demo_key).tests.query("window == '0:0'").set_index("test")
    assert tests.loc["cz_sign_z", "p"] > 0.05 and (tests.drop("cz_sign_z")["p"] < 0.05).all()
    wide = " ".join(component_texts(significance_panel(data, demo_key, "-5:5")))
    assert "CAAR [−5, +5]" in wide
    assert "looks like noise" in wide


class _FakeExporter:
    def to_png_bytes(self, fig: go.Figure, **size: float) -> bytes:
        assert isinstance(fig, go.Figure)
        return b"\x89PNG fake"


def test_download_png_sends_the_chart(data: DashboardData, demo_key: str) -> None:
    def exporter() -> Any:
        return _FakeExporter()

    sent, problem = download_png(
        data, exporter, name="caar", key=demo_key, focus="-1:1", selected=None, text=None
    )
    assert problem is None
    assert sent["filename"] == "aftershock-caar--1_1.png"
    assert base64.b64decode(sent["content"]) == b"\x89PNG fake"
    sent, problem = download_png(
        data, exporter, name="caar", key=None, focus=None, selected=None, text=None
    )
    assert sent is no_update and "Run a study first" in " ".join(component_texts(problem))


@pytest.mark.slow
def test_export_all_zips_figures_tables_and_json(data: DashboardData, demo_key: str) -> None:
    sent, problem = export_all(data, key=demo_key, selected="deepseek-market-jolt.txt", text=None)
    assert problem is None
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(sent["content"]))).namelist()
    assert {f"figures/{n}_0_0.png" for n in ids.CHARTS[1:]} <= set(names)
    assert "study.json" in names and "data/windows.csv" in names


@pytest.mark.slow
def test_real_png_export(data: DashboardData, demo_key: str) -> None:
    with FigureExporter() as exporter:
        sent, problem = download_png(
            data,
            lambda: exporter,
            name="abnormal_returns",
            key=demo_key,
            focus="0:0",
            selected=None,
            text=None,
        )
    assert problem is None
    assert base64.b64decode(sent["content"]).startswith(b"\x89PNG\r\n\x1a\n")


def test_store_is_per_process(data: DashboardData) -> None:
    assert data.store() is data.store()
    assert Path(data.store().root) == data.settings.store


def test_ticker_search_ranks_tickers_then_names_and_keeps_the_selection(
    data: DashboardData,
) -> None:
    found = data.search_tickers("nvd")
    assert found[0]["value"] == "NVDA"
    assert found[0]["label"].startswith("NVDA · NVIDIA")
    by_name = [o["value"] for o in data.search_tickers("microsoft")]
    assert "MSFT" in by_name
    kept = data.search_tickers("xyzzy-nothing", ["IBM", "ZZZZ"])
    assert [o["value"] for o in kept] == ["IBM", "ZZZZ"]
    assert len(data.search_tickers(None)) == 40


def test_create_app_builds_the_demo_page(data: DashboardData) -> None:
    app = create_app(data.settings, prepare=False)
    found = {
        n_id for n in component_nodes(app.layout) if isinstance(n_id := getattr(n, "id", None), str)
    }
    assert {ids.URL, ids.STUDY_KEY, ids.ARTICLE_SELECT, ids.GRID, ids.RUN_BUTTON} <= found


def test_broken_news_folder_is_a_banner_not_a_crash(tmp_path: Path) -> None:
    news = tmp_path / "news"
    news.mkdir()
    (news / "index.json").write_text("{not json")
    settings = Settings(
        store=tmp_path / "store", data_pack=MARKET_DATA, news=news, reference=None, offline=True
    )
    app = create_app(settings)
    banner = next(
        n for n in component_nodes(app.layout) if getattr(n, "id", None) == ids.DATA_BANNER
    )
    text = " ".join(component_texts(banner))
    assert "news: index.json: malformed" in text
    _, problem = render_article(DashboardData(settings), selected="x.txt", text=None)
    assert "not in the news folder" in " ".join(component_texts(problem))


class _Unreachable:
    """A source that always fails, like Yahoo Finance on a machine without network."""

    name = "yahoo"

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        raise SourceError("Yahoo Finance is unreachable")


@pytest.mark.parametrize("with_pack", [True, False])
def test_demo_banner_only_when_prices_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_pack: bool
) -> None:
    settings = Settings(
        store=tmp_path, data_pack=MARKET_DATA, news=NEWS, reference=REFERENCE, offline=False
    )
    chain = [DataPackSource(MARKET_DATA)] if with_pack else []
    data = DashboardData(settings)
    data.workspace().sources = (*chain, _Unreachable())
    lines = data.prepare_demo()
    if with_pack:
        # The pack has every demo ticker; Yahoo failing for pre-listing sessions is harmless.
        assert lines == []
    else:
        # One line per reason, not one per ticker: every demo ticker failed the same way.
        reasons = [line for line in lines if "unreachable" in line]
        assert len(reasons) == 1
        n = len(data.prepare(DEFAULT_STATE).spec.tickers) + 1  # the benchmark too
        assert reasons[0].startswith(f"{n} tickers (") and " more): " in reasons[0]


def test_no_data_pack_is_named_once_in_the_demo_banner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(
        store=tmp_path, data_pack=None, news=NEWS, reference=REFERENCE, offline=False
    )
    data = DashboardData(settings)
    data.workspace().sources = (_Unreachable(),)
    lines = data.prepare_demo()
    assert lines[0].startswith("No data pack is configured") and "AFTERSHOCK_DATA" in lines[0]
    assert sum("unreachable" in line for line in lines) == 1
    assert len(lines) <= 3  # the pack, the one reason, the study that could not run


def test_a_link_sets_the_window_shown_and_the_tab(data: DashboardData) -> None:
    out = _sync(data, None, search="?windows=0:0,-1:1&show=-1:1&tab=tests")
    assert (out["focus_value"], out["tab"]) == ("-1:1", "tests")


def test_another_tab_or_window_shown_only_rewrites_the_url(
    data: DashboardData, demo_key: str
) -> None:
    out = sync_state(
        data,
        trigger=ids.RESULTS_TABS,
        search=DEMO_QUERY,
        study_key=demo_key,
        focus="-1:1",
        run_clicks=0,
        values=controls_of(DEFAULT_STATE),
        tab="caar",
    )
    assert out["search"] == DEMO_QUERY + "&show=-1:1&tab=caar"
    assert out["run"] is no_update and out["study_key"] is no_update
    assert out["focus_value"] is no_update and out["tab"] is no_update


def test_proposal_and_claims_panels(data: DashboardData, demo_key: str) -> None:
    from app.dashboard.features.article import claims_panel, proposal_panel

    tariffs = data.proposal(data.articles["tariff-shock-2025-04.txt"])
    assert tariffs is not None
    text = " ".join(component_texts(proposal_panel(tariffs)))
    assert "Proposed study: day 0 Thu 03 Apr 2025" in text
    assert "Named (named): AAPL" in text and "Index funds (market: Nasdaq Composite): ONEQ" in text
    tips = [n.label for n in component_nodes(proposal_panel(tariffs)) if hasattr(n, "label")]
    assert "peer of AAPL, SIC 3571" in tips
    assert "Comparison group" not in text
    compared = " ".join(component_texts(proposal_panel(tariffs, comparison=503)))
    assert "Comparison group: the S&P 500 (503 firms)" in compared
    deepseek = data.proposal(data.articles["deepseek-market-jolt.txt"])
    assert deepseek is not None
    checked = data.claims(deepseek, demo_key)  # the demo's study: its 46 firms are the market
    assert [(c.claim.subject, c.verdict) for c in checked] == [
        ("US stocks", "overstated"),
        ("NVIDIA Corporation", "consistent"),
    ]
    text = " ".join(component_texts(claims_panel(checked)))
    assert "Claims in the article" in text and "overstated" in text
    assert "NVDA's market value on Mon 27 Jan 2025 fell $592.7 billion" in text
    assert claims_panel([]) is None and proposal_panel(None) is None


def test_few_firms_warn_and_leave_the_cross_sectional_tests_out_of_the_verdict(
    data: DashboardData,
) -> None:
    from analytics.study.result import CROSS_SECTIONAL_TESTS
    from app.dashboard.features.results import significance_panel

    key = data.run(ViewState(preset="custom", tickers=("NVDA", "AVGO"), placebo=0))
    panel = significance_panel(data, key, "0:0", "tests")
    text = " ".join(component_texts(panel))
    assert "only 2 firms" in text
    assert "Method warning" in [getattr(n, "title", None) for n in component_nodes(panel)]
    counted = data.result(key).tests.query("window == '0:0'")
    usable = counted[~counted["test"].isin(CROSS_SECTIONAL_TESTS)]["p"].notna().sum()
    assert 0 < usable < counted["p"].notna().sum()
    assert f"All {usable} tests reject" in text or f"of {usable} tests" in text


def test_a_visit_after_the_demo_is_prepared_writes_nothing(
    data: DashboardData, demo_key: str
) -> None:
    # The article's claims fetch prices of their own (up to the caps date); prepare_demo checks
    # them, so the first visit writes no snapshot and the second finds every result cached.
    store = data.settings.store
    before = sorted(p.name for p in store.rglob("*") if p.is_file())
    article = data.articles[DEFAULT_STATE.article or ""]
    proposal = data.proposal(article)
    assert proposal is not None and proposal.claims
    data.claims(proposal, demo_key)
    assert sorted(p.name for p in store.rglob("*") if p.is_file()) == before
    assert data.run(DEFAULT_STATE) == demo_key


# -- news markers --------------------------------------------------------------------------------

DEEPSEEK = "deepseek-market-jolt.txt"
TARIFFS = "tariff-shock-2025-04.txt"


def _news_trace(fig: go.Figure) -> go.Scatter:
    (trace,) = [t for t in fig.data if t.name == "News"]
    return trace


def test_the_demo_price_chart_marks_the_deepseek_article_on_nvda_at_day_0(
    data: DashboardData, demo_key: str
) -> None:
    args: dict[str, Any] = {"key": demo_key, "focus": None, "text": None}
    fig = render_chart(data, "price_paths", selected=DEFAULT_STATE.article, **args)
    trace = _news_trace(fig)
    # The other articles name NVDA, AAPL and MSFT too, but on days outside the chart.
    assert list(trace.customdata) == [DEEPSEEK]
    assert list(trace.x) == [0]
    assert list(trace.text) == [data.articles[DEEPSEEK].headline.replace("&", "&amp;")]
    # The rebased price from the data pack itself: the close of day 0 over that of day −1.
    pack = pd.read_parquet(DEEPSEEK_PACK, filters=[("ticker", "==", "NVDA")])
    close = pack.set_index(pd.to_datetime(pack["date"]))["adj_close"]
    expected = close[pd.Timestamp("2025-01-27")] / close[pd.Timestamp("2025-01-24")] * 100
    assert trace.y[0] == pytest.approx(expected, rel=1e-9)
    assert trace.y[0] == pytest.approx(118.24 / 142.41 * 100, abs=0.01)  # shared README's fact
    # With no article open, NVDA is not among the 12 largest day-0 moves: not drawn, no marker.
    unpinned = render_chart(data, "price_paths", selected=None, **args)
    assert "NVDA" not in {t.name for t in unpinned.data}
    assert "News" not in {t.name for t in unpinned.data}


def test_news_markers_are_read_once_per_news_folder(
    data: DashboardData, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.dashboard import cache

    calls: list[int] = []
    real = cache.article_events

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache, "article_events", counted)
    fresh = DashboardData(data.settings, cache_dir=data.cache_dir)
    first = fresh.news_markers(["NVDA", "AAPL"])
    assert fresh.news_markers(["NVDA"]) == tuple(m for m in first if m.ticker == "NVDA")
    assert {m.article for m in first} == set(fresh.articles)
    assert len(calls) == 1
    assert fresh.news_markers(["KO"]) == ()
    assert len(calls) == 1


def test_clicking_a_news_marker_opens_its_article(data: DashboardData) -> None:
    news_point = {"curveNumber": 13, "x": 0, "y": 83.0, "customdata": DEEPSEEK}
    assert open_news(data, {"points": [news_point]}, None) == (DEEPSEEK, DEEPSEEK)
    assert open_news(data, {"points": [news_point]}, TARIFFS) == (DEEPSEEK, DEEPSEEK)
    # Already open: nothing changes (the study stays).
    assert open_news(data, {"points": [news_point]}, DEEPSEEK) == (no_update, no_update)


@pytest.mark.parametrize(
    "click",
    [
        None,
        {},
        {"points": []},
        {"points": [{"curveNumber": 0, "x": 0, "y": 83.0, "customdata": "Mon 27 Jan 2025"}]},
        {"points": [{"customdata": "not-stored.txt"}]},
        {"points": [{"customdata": ["../etc/passwd"]}]},
        {"points": "junk"},
    ],
)
def test_a_click_elsewhere_on_the_price_chart_opens_nothing(
    data: DashboardData, click: Any
) -> None:
    assert open_news(data, click, None) == (no_update, no_update)


def test_an_article_opened_from_a_marker_keeps_the_study(data: DashboardData) -> None:
    out = _sync(data, ids.ARTICLE_SELECT, values={"article": TARIFFS}, opened=TARIFFS)
    assert all(value is no_update for value in out["controls"].values())
    assert out["opened"] is None  # read once: picking it later applies its proposal
    assert f"article={TARIFFS}" in out["search"] and "date=2025-01-27" in out["search"]
    assert out["run"] is no_update  # the same study, cached
    # Picked in the pane, with a stale marker flag for another article: its proposal applies.
    picked = _sync(data, ids.ARTICLE_SELECT, values={"article": TARIFFS}, opened=DEEPSEEK)
    assert picked["controls"]["date"] == "2025-04-02"
    assert picked["opened"] is None


def test_a_click_on_the_price_chart_passes_the_request_guard(data: DashboardData) -> None:
    # The graph's id is a dict, which a request names as an object and the callback map as
    # JSON text: the guard compares them alike.
    app = create_app(data.settings, prepare=False)
    output = next(k for k in app.callback_map if "news-opened.data@" in k)
    suffix = output.split("@")[1].split(".")[0]
    body = {
        "output": output,
        "outputs": [
            {"id": ids.ARTICLE_SELECT, "property": f"value@{suffix}"},
            {"id": ids.NEWS_OPENED, "property": f"data@{suffix}"},
        ],
        "inputs": [
            {
                "id": ids.figure("price_paths"),
                "property": "clickData",
                "value": {"points": [{"curveNumber": 3, "customdata": DEEPSEEK}]},
            }
        ],
        "state": [{"id": ids.ARTICLE_SELECT, "property": "value", "value": None}],
        "changedPropIds": ['{"name":"price_paths","type":"figure"}.clickData'],
    }
    answer = app.server.test_client().post("/_dash-update-component", json=body)
    assert answer.status_code == 200, answer.data
    sent = answer.get_json()["response"]
    assert sent[ids.ARTICLE_SELECT]["value"] == DEEPSEEK
    assert sent[ids.NEWS_OPENED]["data"] == DEEPSEEK
    # Another graph's id in its place is still refused.
    body["inputs"][0]["id"] = ids.figure("caar")
    assert app.server.test_client().post("/_dash-update-component", json=body).status_code == 400
