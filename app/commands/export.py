"""`aftershock export`: write every chart of a study as PNG or SVG files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from analytics.errors import SpecError
from app import pipeline
from app.commands.options import (
    Benchmark,
    EstimationOpt,
    EventDate,
    MinEstimation,
    ModelOpt,
    Placebo,
    ReturnsOpt,
    StoreOpt,
    TickersOpt,
    TimingOpt,
    UniverseFile,
    WindowsOpt,
    build_spec,
    check_directory_destination,
    write_output,
)
from app.export import ImageFormat, check_image_size, export_figures
from app.settings import load_settings

__all__ = ["export"]


def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the chart files (created).")],
    event_date: EventDate = None,
    timing: TimingOpt = "before_open",
    tickers: TickersOpt = None,
    universe_file: UniverseFile = None,
    benchmark: Benchmark = "SPY",
    model: ModelOpt = "market",
    estimation: EstimationOpt = "-250:-11",
    window: WindowsOpt = None,
    returns: ReturnsOpt = "simple",
    min_estimation: MinEstimation = 120,
    placebo: Placebo = 0,
    store: StoreOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="png | svg.")] = "png",
    width: Annotated[int, typer.Option("--width", min=200, max=8000)] = 1200,
    height: Annotated[int, typer.Option("--height", min=200, max=8000)] = 700,
    scale: Annotated[float, typer.Option("--scale", min=0.25, max=8)] = 2.0,
    headline: Annotated[
        str | None, typer.Option("--headline", help="Title for the price chart.")
    ] = None,
) -> None:
    """Run a study and write each of its charts, for every event window, to --out.

    Files are named <chart>_<window>.<format>, e.g. caar_-1_1.png; one browser renders them all.
    """
    if fmt not in ("png", "svg"):
        raise SpecError(f"--format: {fmt!r} is not png or svg")
    check_image_size(width, height, scale)
    check_directory_destination(out, "--out")
    spec = build_spec(
        event_date=event_date,
        timing=timing,
        tickers=tickers,
        universe_file=universe_file,
        benchmark=benchmark,
        model=model,
        estimation=estimation,
        windows=window,
        returns=returns,
        min_estimation=min_estimation,
        placebo=placebo,
    )
    settings = load_settings(store)
    result, _ = pipeline.run(spec, settings)
    written = export_figures(
        pipeline.study_charts(result, settings, headline=headline),
        out,
        fmt=cast(ImageFormat, fmt),
        width=width,
        height=height,
        scale=scale,
    )
    write_output(out / "study.json", result.to_json(), "--out")
    typer.echo(f"wrote {len(written)} charts and study.json to {out}")
