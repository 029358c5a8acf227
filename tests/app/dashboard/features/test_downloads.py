"""The dashboard's downloads and captions, called as plain functions on the DeepSeek data pack:
the grid's CSV is numbers, "Export all" is every window's charts (the CLI's assembly), a pasted
text about another day never captions the chart, an upload is labelled with its file name."""

from __future__ import annotations

import base64
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.news import parse_article
from app.charts.figures import CHARTS
from app.dashboard import ids
from app.dashboard.app import create_app
from app.dashboard.cache import DashboardData
from app.dashboard.features.downloads import download_png, export_all, grid_csv
from app.dashboard.features.news import render_article, upload_article, upload_source
from app.dashboard.features.results import render_chart
from app.dashboard.state import ViewState
from app.dashboard.views import article_of, build_figure, study_inputs
from app.settings import Settings

TICKERS = ("NVDA", "AVGO", "VST", "ASML")
WINDOWS = ((0, 0), (-1, 1), (-5, 5))
DEEPSEEK = "deepseek-market-jolt.txt"


@pytest.fixture(scope="module")
def key(data: DashboardData) -> str:
    state = ViewState(article=None, preset="custom", tickers=TICKERS, windows=WINDOWS)
    return data.run(state)


def _content(sent: dict[str, Any]) -> bytes:
    raw = sent["content"]
    return base64.b64decode(raw) if sent.get("base64") else str(raw).encode("utf-8")


def test_grid_csv_is_the_results_as_numbers(data: DashboardData, key: str) -> None:
    sent, problem = grid_csv(data, key=key)
    assert problem is None and sent["filename"] == "aftershock-results.csv"
    raw = _content(sent)
    assert not raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("ascii")  # ASCII minus signs, no "%"
    assert "%" not in text
    table = pd.read_csv(io.StringIO(text))
    assert table.columns[0] == "event_id" and "car_-1_1" in table.columns
    assert not any(str(c).startswith("Unnamed") for c in table.columns)  # one header row
    result = data.result(key)
    assert result is not None
    expected = result.windows[result.windows["window"] == "-1:1"].set_index("ticker")["car"]
    got = table.set_index("ticker")["car_-1_1"]
    assert got.to_dict() == pytest.approx(expected.to_dict(), rel=1e-12)
    assert table.set_index("ticker").at["NVDA", "sector"] == "Technology"


def test_grid_csv_without_a_study_says_so(data: DashboardData) -> None:
    _, problem = grid_csv(data, key=None)
    assert problem is not None and "Run a study first" in str(problem.children)


def test_grid_csv_button_is_served_not_the_grids_display_export(tmp_path: Path) -> None:
    settings = Settings(
        store=tmp_path / "store", data_pack=None, news=None, reference=None, offline=True
    )
    app = create_app(settings, prepare=False)
    outputs = " ".join(app.callback_map)
    assert "exportDataAsCsv" not in outputs
    assert f"{ids.GRID_CSV_DOWNLOAD}.data" in outputs


class _FakeExporter:
    def __init__(self) -> None:
        self.figures: list[go.Figure] = []

    def render(self, figs: Sequence[go.Figure], **options: Any) -> list[bytes]:
        self.figures.extend(figs)
        return [b"\x89PNG\r\n\x1a\n" for _ in figs]

    def to_png_bytes(self, fig: go.Figure, **options: Any) -> bytes:
        return self.render([fig])[0]


@pytest.fixture
def exporter() -> Iterator[_FakeExporter]:
    yield _FakeExporter()


def test_export_all_holds_every_windows_charts_and_the_settings(
    data: DashboardData, key: str, exporter: _FakeExporter
) -> None:
    sent, problem = export_all(
        data,
        lambda: exporter,  # type: ignore[arg-type, return-value]
        key=key,
        selected=DEEPSEEK,
        text=None,
        preset="custom",
    )
    assert problem is None
    archive = zipfile.ZipFile(io.BytesIO(_content(sent)))
    names = set(archive.namelist())
    windows = ("0_0", "-1_1", "-5_5")
    assert {f"figures/{n}_{w}.png" for n in CHARTS[1:] for w in windows} <= names
    assert "figures/price_paths.png" in names
    assert {"data/results.csv", "data/windows.csv", "study.json"} <= names
    assert {"study.xlsx", "tables.tex"} <= names
    book = openpyxl.load_workbook(archive.open("study.xlsx"), read_only=True)
    assert book.sheetnames[:2] == ["settings", "results"] and "tests" in book.sheetnames
    assert archive.read("tables.tex").decode().count(r"\begin{table}") == len(windows)
    for info in archive.infolist():
        assert (info.external_attr >> 16) & 0o777 == 0o644, info.filename
    settings = json.loads(archive.read("study.json"))["settings"]
    assert settings["universe"]["name"] == "Custom"
    assert settings["windows"] == ["0:0", "-1:1", "-5:5"]
    assert settings["data_sources"] == ["data pack"]
    results = pd.read_csv(archive.open("data/results.csv"))
    assert list(results["ticker"]) == list(TICKERS)
    # Every figure carries the source line; the article is about this study's day 0.
    assert len(exporter.figures) == 1 + len(windows) * (len(CHARTS) - 1)
    for fig in exporter.figures:
        assert any(a.name == "source" for a in fig.layout.annotations)
    price = exporter.figures[0]
    assert any("DeepSeek" in str(a.text) for a in price.layout.annotations)


TARIFFS = (
    "Tariff shock sends stocks tumbling\n"
    "Stocks fell sharply on April 3, 2025 after new tariffs were announced; Nvidia lost 8%."
)


def _day0_label(fig: go.Figure) -> str:
    (label,) = [str(a.text) for a in fig.layout.annotations if "Day 0" in str(a.text)]
    return label


def test_pasted_text_of_another_day_does_not_caption_the_chart(
    data: DashboardData, key: str
) -> None:
    result = data.result(key)
    assert result is not None
    pasted = article_of(data, None, TARIFFS)
    assert pasted is not None
    fig = build_figure(data, "price_paths", result, key, "0:0", pasted)
    assert "Tariff" not in _day0_label(fig)
    assert study_inputs(data, key, result, pasted).headline is None
    # The news-folder article about this day 0 does caption it.
    own = article_of(data, DEEPSEEK, None)
    assert own is not None
    assert study_inputs(data, key, result, own).headline == own.headline
    same_day = "DeepSeek rout\nOn January 27, 2025 chip stocks fell."
    assert study_inputs(data, key, result, parse_article(same_day)).headline == "DeepSeek rout"


def _meta(view: Sequence[Any]) -> str:
    (meta,) = [c.children for c in view if getattr(c, "className", None) == "article-meta"]
    return str(meta)


def test_upload_is_labelled_with_its_file_name(data: DashboardData) -> None:
    encoded = base64.b64encode(TARIFFS.encode()).decode()
    text, _, problem = upload_article(f"data:text/plain;base64,{encoded}", "tariffs.txt")
    assert problem is None and isinstance(text, str)
    upload = upload_source(text, "tariffs.txt")
    view, _ = render_article(data, selected=None, text=text, upload=upload)
    assert "tariffs.txt" in _meta(view) and "pasted text" not in _meta(view)
    # Once the text is edited it is the user's own text again.
    edited = text + "\nMore."
    view, _ = render_article(data, selected=None, text=edited, upload=upload)
    assert "pasted text" in _meta(view)


@pytest.mark.slow
def test_warm_up_starts_the_png_browser_before_the_first_download() -> None:
    from app.dashboard.app import SharedExporter

    shared = SharedExporter()
    shared.warm_up().join(timeout=120)
    started = shared._exporter
    assert started is not None, "the browser was not started in the background"
    try:
        assert shared() is started  # the first download reuses it
    finally:
        started.__exit__(None, None, None)


def test_export_all_and_png_take_the_placebo_follow_up(
    data: DashboardData, exporter: _FakeExporter
) -> None:
    state = ViewState(
        article=None, preset="custom", tickers=TICKERS, windows=WINDOWS[:1], placebo=200
    )
    first = data.run(state, placebo=False)
    follow_up = {"study": first, "full": data.run(state, fetch=False)}
    tested = set()
    for placebo in (None, follow_up):
        sent, problem = export_all(
            data,
            lambda: exporter,  # type: ignore[arg-type, return-value]
            key=first,
            selected=None,
            text=None,
            placebo=placebo,
        )
        assert problem is None
        archive = zipfile.ZipFile(io.BytesIO(_content(sent)))
        tests = pd.read_csv(archive.open("data/tests.csv"))
        tested.add("placebo" in set(tests["test"]))
    assert tested == {False, True}
    exporter.figures.clear()
    for placebo in (None, follow_up):
        sent, problem = download_png(
            data,
            lambda: exporter,  # type: ignore[arg-type, return-value]
            name="tests",
            key=first,
            focus=None,
            selected=None,
            text=None,
            placebo=placebo,
        )
        assert problem is None
    rows = [str(fig.data[0].cells.values[0] if fig.data else ()) for fig in exporter.figures]
    assert ["placebo" in row.lower() for row in rows] == [False, True]


@pytest.mark.parametrize("name", ["sector_groups", "beta_regression"])
def test_the_cross_section_charts_download_as_drawn(
    data: DashboardData, exporter: _FakeExporter, key: str, name: str
) -> None:
    exporter.figures.clear()
    sent, problem = download_png(
        data,
        lambda: exporter,  # type: ignore[arg-type, return-value]
        name=name,
        key=key,
        focus="0:0",
        selected=None,
        text=None,
    )
    assert problem is None and sent["filename"] == f"aftershock-{name}-0_0.png"
    (fig,) = exporter.figures
    shown = render_chart(data, name, key=key, focus="0:0", selected=None, text=None)
    assert fig.to_plotly_json() == shown.to_plotly_json()
