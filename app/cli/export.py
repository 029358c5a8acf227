"""`aftershock export`: write every chart of a study as PNG or SVG files."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, cast

import typer

from analytics.errors import SpecError
from analytics.study.options import StudyOptions
from app.charts import figures
from app.charts.captions import data_sources
from app.charts.export import ImageFormat, check_image_size, export_figures
from app.charts.reports import latex_tables, study_workbook
from app.charts.tables import study_document, study_settings
from app.cli.files import check_directory_destination, write_output
from app.cli.options import StoreOpt, build_spec, study_options
from app.settings import load_settings, open_workspace

__all__ = ["export"]


@study_options
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder for the chart files (created).")],
    options: StudyOptions,
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
    Each chart's footer names the model, estimation window, event date, data source and
    version; study.json holds the results and the settings the study ran with, study.xlsx the
    tables (one sheet each) and tables.tex booktabs tables of CAAR and every test per window.
    """
    if fmt not in ("png", "svg"):
        raise SpecError(f"--format: {fmt!r} is not png or svg")
    check_image_size(width, height, scale)
    check_directory_destination(out, "--out")
    spec = build_spec(options)
    settings = load_settings(store)
    workspace = open_workspace(settings, factors_file=options.factors)
    result = workspace.run(spec)
    written = export_figures(
        figures.study_figures(result, figures.load_inputs(workspace, result, headline=headline)),
        out,
        browser_path=settings.browser_path,
        fmt=cast(ImageFormat, fmt),
        width=width,
        height=height,
        scale=scale,
    )
    universe = options.universe_file.name if options.universe_file else None
    sources = data_sources(workspace.store, [*spec.tickers, spec.benchmark])
    document = study_document(result, universe=universe, sources=sources)
    write_output(out / "study.json", document, "--out")
    ran_with = study_settings(result, universe=universe, sources=sources)
    write_output(out / "study.xlsx", study_workbook(result.to_frames(), ran_with), "--out")
    write_output(out / "tables.tex", latex_tables(result), "--out")
    typer.echo(f"wrote {len(written)} charts, study.json, study.xlsx and tables.tex to {out}")
