"""Static export: safe names, clear errors, and real PNG/SVG/zip output through Chromium.

Tests that start Chromium are marked ``slow`` and share one browser per module.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest

from analytics.errors import AftershockError, SourceError, SpecError
from analytics.news.markers import NewsMarker
from app.charts import export
from app.charts.export import FigureExporter, export_bundle, export_figures, safe_name
from app.charts.prices import price_paths

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG spec requires to come first."""
    assert data[:8] == PNG_MAGIC
    length, kind = struct.unpack(">I4s", data[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def small_figure(title: str = "t") -> go.Figure:
    return go.Figure(go.Bar(x=["a", "b"], y=[1, -1]), layout={"title": {"text": title}})


@pytest.mark.parametrize("name", ["price_paths", "caar", "fig-1", "a.b_c", "X" * 100])
def test_safe_name_accepts_plain_stems(name: str) -> None:
    assert safe_name(name) == name


@pytest.mark.parametrize(
    "name", ["../evil", "a/b", "a\\b", "..", "x..y", ".hidden", "", "/etc/passwd", "a b", "X" * 101]
)
def test_safe_name_rejects_anything_that_could_escape(name: str) -> None:
    with pytest.raises(SpecError, match="not a safe file name"):
        safe_name(name)


def test_export_figures_rejects_escaping_names_before_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with pytest.raises(SpecError):
        export_figures({"ok": small_figure(), "../escape": small_figure()}, out)
    assert not out.exists()
    assert not (tmp_path / "escape.png").exists()


def test_export_bundle_rejects_escaping_frame_names() -> None:
    with pytest.raises(SpecError):
        export_bundle({}, {"../../x": pd.DataFrame()}, "{}")


def test_unsupported_format_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="fmt="):
        export_figures({"a": small_figure()}, tmp_path, fmt="gif")  # type: ignore[arg-type]


def test_missing_browser_says_how_to_install(tmp_path: Path) -> None:
    with (
        pytest.raises(SourceError, match="apt-get install chromium"),
        FigureExporter(browser_path=tmp_path / "no-chromium"),
    ):
        pass


def test_closed_exporter_refuses_to_render() -> None:
    with pytest.raises(AftershockError, match="not open"):
        FigureExporter().to_png_bytes(small_figure())


def test_public_names_are_complete() -> None:
    assert all(hasattr(export, name) for name in export.__all__)


@pytest.fixture(scope="module")
def exporter() -> Iterator[FigureExporter]:
    with FigureExporter() as ex:
        yield ex


@pytest.mark.slow
def test_png_bytes_have_the_requested_pixel_size(exporter: FigureExporter) -> None:
    data = exporter.to_png_bytes(small_figure(), width=300, height=200, scale=2)
    assert png_size(data) == (600, 400)


@pytest.mark.slow
def test_figure_layout_size_wins_over_the_default(exporter: FigureExporter) -> None:
    tall = small_figure().update_layout(height=900)
    (data,) = exporter.render([tall], width=400, height=300, scale=1)
    assert png_size(data) == (400, 900)


@pytest.mark.slow
def test_a_price_chart_with_news_markers_renders(exporter: FigureExporter) -> None:
    sessions = pd.bdate_range("2025-01-22", periods=5)
    prices = pd.DataFrame(
        {
            "NVDA": [140.0, 142.41, 118.24, 128.0, 123.7],
            "SPY": [603.0, 607.97, 599.37, 604.5, 601.8],
        },
        index=sessions,
    )
    marker = NewsMarker("NVDA", dt.date(2025, 1, 27), "DeepSeek <jolts> & chips", "deepseek.txt")
    fig = price_paths(prices, day0="2025-01-27", news=[marker])
    assert [t.name for t in fig.data][-1] == "News"
    assert png_size(exporter.to_png_bytes(fig, width=600, height=350, scale=1)) == (600, 350)


@pytest.mark.slow
def test_export_figures_writes_pngs_atomically(exporter: FigureExporter, tmp_path: Path) -> None:
    figs = {f"fig{i}": small_figure(str(i)) for i in range(3)}
    paths = export_figures(
        figs, tmp_path / "charts", width=320, height=240, scale=2, exporter=exporter
    )
    assert paths == [tmp_path / "charts" / f"fig{i}.png" for i in range(3)]
    for path in paths:
        assert png_size(path.read_bytes()) == (640, 480)
    # Only the final files remain: no temp files from the atomic writes.
    assert sorted(p.name for p in (tmp_path / "charts").iterdir()) == [p.name for p in paths]


@pytest.mark.slow
def test_export_figures_svg(exporter: FigureExporter, tmp_path: Path) -> None:
    (path,) = export_figures({"bar": small_figure()}, tmp_path, fmt="svg", exporter=exporter)
    text = path.read_text()
    assert path.suffix == ".svg"
    assert "<svg" in text[:500]
    assert 'width="1200"' in text[:500]


@pytest.mark.slow
def test_export_bundle_zips_pngs_csvs_and_json(exporter: FigureExporter) -> None:
    frame = pd.DataFrame({"ticker": ["NVDA", "KO"], "car": [-0.17, 0.01]})
    data = export_bundle(
        {"caar": small_figure(), "tests": small_figure()},
        {"windows": frame},
        '{"study": 1}',
        width=200,
        height=100,
        scale=1,
        exporter=exporter,
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert sorted(zf.namelist()) == [
            "data/windows.csv",
            "figures/caar.png",
            "figures/tests.png",
            "study.json",
        ]
        assert png_size(zf.read("figures/caar.png")) == (200, 100)
        pd.testing.assert_frame_equal(pd.read_csv(zf.open("data/windows.csv")), frame)
        assert zf.read("study.json") == b'{"study": 1}'


@pytest.mark.slow
def test_reusing_tabs_changes_no_pixel(exporter: FigureExporter) -> None:
    figs = [
        small_figure("bar"),
        go.Figure(go.Treemap(ids=["a", "b"], labels=["A", "B"], parents=["", "a"], values=[2, 1])),
        go.Figure(go.Table(cells={"values": [["x", "y"], [1, 2]]})),
        small_figure("bar again"),
    ]
    reused = [exporter.to_png_bytes(f, width=300, height=200, scale=1) for f in figs]
    # The reference: each figure in the first render of a fresh, stock kaleido browser (stock
    # kaleido reloads a tab after each render, and a render can race that reload).
    reloaded = [_stock_render(f) for f in figs]
    assert reused == reloaded


def _stock_render(fig: go.Figure, attempts: int = 3) -> bytes:
    """``fig`` rendered by a fresh, stock kaleido browser; on a loaded machine stock kaleido can
    run its first render before its page script defined ``kaleido_scopes`` (the race our
    exporter avoids), so the reference tries again in another fresh browser."""
    for _ in range(attempts - 1):
        try:
            with FigureExporter(tabs=1, reuse_tabs=False) as fresh:
                return fresh.to_png_bytes(fig, width=300, height=200, scale=1)
        except Exception as exc:  # kaleido's JavascriptError
            if "kaleido_scopes is not defined" not in str(exc):
                raise
    with FigureExporter(tabs=1, reuse_tabs=False) as fresh:  # the last try raises as it is
        return fresh.to_png_bytes(fig, width=300, height=200, scale=1)


def test_a_render_before_kaleidos_page_is_ready_is_tried_again(
    exporter: FigureExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    kaleido_browser = exporter._kaleido
    real = kaleido_browser.calc_fig
    calls: list[str] = []

    async def not_ready_once(fig: go.Figure, **kwargs: object) -> bytes:
        calls.append("call")
        if len(calls) == 1:
            raise RuntimeError("ReferenceError: kaleido_scopes is not defined")
        return await real(fig, **kwargs)

    monkeypatch.setattr(kaleido_browser, "calc_fig", not_ready_once)
    png = exporter.to_png_bytes(small_figure("retry"), width=300, height=200, scale=1)
    assert png.startswith(b"\x89PNG") and len(calls) == 2

    async def broken(fig: go.Figure, **kwargs: object) -> bytes:
        calls.append("broken")
        raise RuntimeError("something else")

    monkeypatch.setattr(kaleido_browser, "calc_fig", broken)
    with pytest.raises(RuntimeError, match="something else"):
        exporter.to_png_bytes(small_figure("no retry"), width=300, height=200, scale=1)
    assert calls.count("broken") == 1  # other errors are not retried
