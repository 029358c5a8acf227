"""Exports hold numbers and say where they come from: the results CSV, ``study.json``'s settings,
the zip's member modes, every chart's source line and the caption rule.

A real study (four DeepSeek-day chip and power stocks, data pack, offline) is the input; the
expected numbers are read from the result's own frames, which the engine tests check against
their oracles."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from app.charts import figures
from app.charts.captions import chart_headline, data_sources, source_line
from app.charts.export import export_bundle
from app.charts.tables import results_csv, results_table, study_document
from tests.support import DEEPSEEK_PACK, REFERENCE

TICKERS = ("NVDA", "AVGO", "VST", "ASML")
WINDOWS = ("0:0", "-1:1")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    if not DEEPSEEK_PACK.is_file():
        pytest.skip(f"shared market data not found at {DEEPSEEK_PACK}")
    return Workspace.open(
        tmp_path_factory.mktemp("store"), data_pack=DEEPSEEK_PACK, reference=REFERENCE, offline=True
    )


@pytest.fixture(scope="module")
def result(workspace: Workspace) -> StudyResult:
    spec = StudySpec.create(
        tickers=",".join(TICKERS), date="2025-01-27", windows=WINDOWS, placebo=20
    )
    return workspace.run(spec)


def test_results_csv_is_numbers_with_one_header_row(result: StudyResult) -> None:
    text = results_csv(result, pd.Series({"NVDA": "Technology"}))
    assert not text.startswith("\ufeff")
    assert "\u2212" not in text and "%" not in text
    table = pd.read_csv(io.StringIO(text))
    expected_columns = ["event_id", "ticker", "sector", "day0", "beta", "ar_day0"]
    expected_columns += [f"{c}_{w.replace(':', '_')}" for w in WINDOWS for c in ("car", "t", "p")]
    assert list(table.columns) == [*expected_columns, "status"]
    assert table["ticker"].tolist() == list(TICKERS)
    assert table["sector"].tolist() == ["Technology", "Unknown", "Unknown", "Unknown"]
    for column in table.columns.drop(["ticker", "sector", "day0", "status"]):
        assert pd.api.types.is_float_dtype(table[column]) or column == "event_id", column
    windows = result.windows.set_index(["ticker", "window"])
    for ticker, row in table.set_index("ticker").iterrows():
        for window in WINDOWS:
            for column in ("car", "t", "p"):
                want = float(windows.loc[(ticker, window), column])
                got = float(row[f"{column}_{window.replace(':', '_')}"])
                assert got == pytest.approx(want, rel=1e-12, abs=0), (ticker, window, column)
    days = result.days
    ar0 = days[days["day"] == 0].set_index("ticker")["ar"]
    assert table.set_index("ticker")["ar_day0"].to_dict() == pytest.approx(ar0.to_dict(), rel=1e-12)
    # Fractions, not percent: NVDA fell 17% on day 0.
    assert -0.25 < table.set_index("ticker").at["NVDA", "ar_day0"] < -0.1


def test_results_table_without_sectors_has_no_sector_column(result: StudyResult) -> None:
    assert "sector" not in results_table(result).columns


def test_study_json_carries_the_settings(result: StudyResult) -> None:
    document = json.loads(study_document(result, universe="Custom", sources=["data pack"]))
    settings = document["settings"]
    assert settings["model"] == "market" and settings["benchmark"] == "SPY"
    assert settings["estimation"] == "-250:-11"
    assert settings["windows"] == list(WINDOWS)
    assert settings["placebo"] == {"draws": 20, "seed": 0}
    assert "cs_t" in settings["tests"] and "placebo" in settings["tests"]
    assert settings["universe"]["name"] == "Custom"
    assert settings["universe"]["tickers"] == list(TICKERS)
    assert {e["day0"] for e in settings["universe"]["events"]} == {"2025-01-27"}
    assert settings["data_sources"] == ["data pack"]
    assert set(document["aggregate"]) == set(WINDOWS)
    # The spec rebuilt from the settings is the spec that ran.
    rebuilt = StudySpec.create(
        tickers=",".join(settings["universe"]["tickers"]),
        date=settings["universe"]["events"][0]["date"],
        windows=settings["windows"],
        estimation=settings["estimation"],
        model=settings["model"],
        benchmark=settings["benchmark"],
        placebo=settings["placebo"]["draws"],
        seed=settings["placebo"]["seed"],
        min_estimation=settings["min_estimation"],
    )
    assert rebuilt == result.spec


class _FakeExporter:
    """Renders nothing: a PNG signature per figure, and keeps the figures."""

    def __init__(self) -> None:
        self.figures: list[go.Figure] = []

    def render(self, figs: Sequence[go.Figure], **options: Any) -> list[bytes]:
        self.figures.extend(figs)
        return [b"\x89PNG\r\n\x1a\n" for _ in figs]


def test_zip_members_are_mode_0644() -> None:
    frame = pd.DataFrame({"ticker": ["NVDA"], "car": [-0.17]})
    data = export_bundle(
        {"caar": go.Figure()},
        {"windows": frame},
        "{}",
        exporter=_FakeExporter(),  # type: ignore[arg-type]
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in zf.infolist()}
        regular = {info.filename: (info.external_attr >> 16) & 0o170000 for info in zf.infolist()}
    assert modes == {"figures/caar.png": 0o644, "data/windows.csv": 0o644, "study.json": 0o644}
    assert set(regular.values()) == {0o100000}


def _source_texts(fig: go.Figure) -> list[str]:
    return [str(a.text) for a in fig.layout.annotations if a.name == "source"]


def test_every_chart_of_every_window_carries_the_source_line(
    workspace: Workspace, result: StudyResult
) -> None:
    inputs = figures.load_inputs(workspace, result)
    drawn = figures.study_figures(result, inputs)
    bare = figures.study_figures(result, replace(inputs, source_line=None))
    assert set(drawn) == {"price_paths"} | {
        f"{n}_{w.replace(':', '_')}" for n in figures.CHARTS[1:] for w in WINDOWS
    }
    for name, fig in drawn.items():
        (text,) = _source_texts(fig)
        assert "Market model (OLS) vs SPY" in text, name
        assert "estimation [−250, −11]" in text
        assert "day 0 Mon 27 Jan 2025" in text
        assert "data: data pack" in text
        assert "Aftershock " in text
        # A strip is added below the plot for it, so it meets no axis title or note.
        before = bare[name].layout.margin.b
        assert fig.layout.margin.b == (70 if before is None else before) + 24, name
        assert not _source_texts(bare[name])


def test_source_line_names_several_event_days() -> None:
    events = [("NVDA", "2024-08-05"), ("NVDA", "2025-01-27"), ("AVGO", "2025-04-03")]
    spec = StudySpec.create(events=events)
    line = source_line(SimpleNamespace(spec=spec), ["Yahoo Finance"])  # type: ignore[arg-type]
    assert "days 0 05 Aug 2024, 27 Jan 2025, 03 Apr 2025" in line
    assert "data: Yahoo Finance" in line


def test_data_sources_come_from_the_fetch_log(workspace: Workspace, result: StudyResult) -> None:
    assert data_sources(workspace.store, ["NVDA", "SPY"]) == ("data pack",)
    assert data_sources(workspace.store, ["NOPE"]) == ("local store",)
    assert data_sources(object(), ["NVDA"]) == ("local store",)


def _article(headline: str, date: dt.date | None, body: str = "", timing: str | None = None) -> Any:
    return SimpleNamespace(headline=headline, body=body, date=date, timing=timing)


@pytest.mark.parametrize(
    ("article", "day0", "expected"),
    [
        # The article's own date and timing decide its day 0.
        (_article("DeepSeek", dt.date(2025, 1, 27)), "2025-01-27", "DeepSeek"),
        (
            _article("Late news", dt.date(2025, 1, 27), timing="after_close"),
            "2025-01-28",
            "Late news",
        ),
        (_article("Late news", dt.date(2025, 1, 27), timing="after_close"), "2025-01-27", None),
        (_article("Weekend", dt.date(2025, 1, 25)), "2025-01-27", "Weekend"),
        # Another event's article never captions this study.
        (_article("Tariffs", dt.date(2025, 4, 3)), "2025-01-27", None),
        # Pasted text: about the days it mentions.
        (_article("Sell-off", None, "Stocks fell on August 5, 2024."), "2024-08-05", "Sell-off"),
        (_article("Sell-off", None, "Stocks fell on August 5, 2024."), "2025-01-27", None),
        (_article("Undated", None, "No date here."), "2025-01-27", None),
        (None, "2025-01-27", None),
        (_article("DeepSeek", dt.date(2025, 1, 27)), None, None),
    ],
)
def test_chart_headline_only_for_the_studys_day0(
    article: Any, day0: str | None, expected: str | None
) -> None:
    assert chart_headline(article, pd.Timestamp(day0) if day0 else None) == expected


def test_price_chart_svg_shows_the_source_line(
    workspace: Workspace, result: StudyResult, tmp_path: Path
) -> None:
    pytest.importorskip("kaleido")
    from app.charts.export import FigureExporter, export_figures

    fig = figures.chart("caar", result, figures.load_inputs(workspace, result), window="-1:1")
    try:
        with FigureExporter() as exporter:
            (path,) = export_figures(
                {"caar": fig}, tmp_path, fmt="svg", width=900, height=500, exporter=exporter
            )
    except Exception as exc:  # pragma: no cover - no browser on this machine
        pytest.skip(f"no browser: {exc}")
    svg = path.read_text(encoding="utf-8")
    assert "Market model (OLS) vs SPY" in svg
    assert "data: data pack" in svg
