"""The dashboard's callbacks: plain functions of values, registered on the app in :func:`register`.

Each callback body is a module-level function taking a :class:`~app.dashboard.cache.DashboardData` and the
component values, so tests call it directly. Invalid input never raises out of a callback: it
becomes an inline :func:`~app.dashboard.layout.alert`. The study itself runs in a background callback;
the :data:`~app.dashboard.ids.STUDY_KEY` store then holds only the result's cache key, and every chart,
the grid and the tests are rendered from the cached result.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import uuid4

import pandas as pd
import plotly.graph_objects as go
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from analytics import calendar
from analytics.errors import AftershockError, SpecError
from analytics.news import (
    MAX_ARTICLE_BYTES,
    Article,
    Span,
    clean_text,
    find_companies,
    find_event_dates,
    highlight_spans,
    parse_article,
)
from analytics.study.result import StudyResult
from app.charts import figures
from app.charts.export import FigureExporter, export_bundle
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.layout import (
    NUM_FORMAT,
    P_FORMAT,
    PCT_FORMAT,
    SIGN_CLASSES,
    alert,
    article_placeholder,
    window_options,
)
from app.dashboard.state import (
    DEEPSEEK_UNIVERSE,
    MODELS,
    TIMING_LABELS,
    ViewState,
    format_window,
    from_controls,
    from_query,
    to_query,
)

__all__ = [
    "CONTROLS",
    "add_mention",
    "article_view",
    "build_figure",
    "controls_of",
    "dollar_headline",
    "download_png",
    "export_all",
    "grid_table",
    "pick_date",
    "register",
    "render_article",
    "render_chart",
    "run_job",
    "significance_panel",
    "summary",
    "sync_state",
    "upload_article",
    "upload_rejected",
]

logger = logging.getLogger(__name__)

CONTROLS: Mapping[str, str] = {
    "article": ids.ARTICLE_SELECT,
    "date": ids.EVENT_DATE,
    "timing": ids.EVENT_TIMING,
    "preset": ids.UNIVERSE_PRESET,
    "sector": ids.UNIVERSE_SECTOR,
    "tickers": ids.UNIVERSE_TICKERS,
    "benchmark": ids.BENCHMARK,
    "model": ids.MODEL,
    "estimation_start": ids.ESTIMATION_START,
    "estimation_end": ids.ESTIMATION_END,
    "windows": ids.EVENT_WINDOWS,
}
"""Study controls: keyword of :func:`app.dashboard.state.from_controls` → component id (prop ``value``)."""

_SKIP: dict[str, Any] = {name: no_update for name in CONTROLS}
_PNG_WIDTH, _PNG_HEIGHT, _PNG_SCALE = 1200, 700, 2
_MINUS = "\u2212"


# -- state: URL <-> controls ----------------------------------------------------------------------


def controls_of(state: ViewState) -> dict[str, Any]:
    """The control values that show ``state``."""
    return {
        "article": state.article,
        "date": state.date.isoformat(),
        "timing": state.timing,
        "preset": state.preset,
        "sector": state.sector,
        "tickers": list(state.tickers),
        "benchmark": state.benchmark,
        "model": state.model,
        "estimation_start": state.estimation[0],
        "estimation_end": state.estimation[1],
        "windows": [format_window(w) for w in state.windows],
    }


def _focus(state: ViewState, current: str | None) -> tuple[list[dict[str, str]], str]:
    keys = [format_window(w) for w in state.windows]
    return window_options(keys), current if current in keys else keys[0]


def sync_state(
    data: DashboardData,
    *,
    trigger: str | None,
    search: str | None,
    study_key: str | None,
    focus: str | None,
    run_clicks: int | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    """Keep the URL, the controls and the study in step.

    On page load (or back/forward) the URL sets the controls; a changed control rewrites the URL.
    Either way a valid view either points :data:`~app.dashboard.ids.STUDY_KEY` at its cached result or asks
    the background worker to run it; an invalid one shows an inline alert and changes nothing.

    Returns a dict with ``controls`` (values to set, ``no_update`` where unchanged), ``search``,
    ``sector_disabled``, ``focus_data``, ``focus_value``, ``alert``, ``study_key`` and ``run``.
    """
    out: dict[str, Any] = {
        "controls": dict(_SKIP),
        "search": no_update,
        "sector_disabled": no_update,
        "focus_data": no_update,
        "focus_value": no_update,
        "alert": None,
        "study_key": no_update,
        "run": no_update,
    }
    notes: list[str] = []
    if trigger in (None, ids.URL):
        state, notes = from_query(search)
        out["controls"] = controls_of(state)
    else:
        raw = dict(values)
        if trigger == ids.ARTICLE_SELECT:
            article = data.articles.get(raw.get("article") or "")
            if article is not None and article.date is not None:
                raw["date"], raw["timing"] = article.date.isoformat(), article.timing
                out["controls"] |= {"date": raw["date"], "timing": raw["timing"]}
        try:
            state = from_controls(**raw)
        except SpecError as exc:
            out["alert"] = alert(str(exc), title="Check the study settings")
            return out
        query = to_query(state)
        if query == search and trigger != ids.RUN_BUTTON:
            out["alert"] = no_update
            return out
        out["search"] = query
    out["sector_disabled"] = state.preset != "sp500"
    out["focus_data"], out["focus_value"] = _focus(state, focus)
    try:
        prepared = data.prepare(state)
    except AftershockError as exc:
        out["alert"] = alert(str(exc), title="Check the study settings")
        return out
    messages = (
        [alert(notes, title="Parts of the link were ignored", color="yellow")] if notes else []
    )
    moved = _day0_note(state)
    if moved is not None:
        messages.append(moved)
    out["alert"] = messages[0] if len(messages) == 1 else html.Div(messages) if messages else None
    if trigger == ids.RUN_BUTTON or data.result(prepared.key) is None:
        # The token makes every request its own background job: Dash keys a job's result by
        # its inputs, so two visitors asking for the same study at once would share one result,
        # and the second poll would find it taken.
        out["run"] = {"query": to_query(state), "nonce": run_clicks or 0, "token": uuid4().hex}
    elif prepared.key != study_key:
        out["study_key"] = prepared.key
    return out


def _day0_note(state: ViewState) -> Component | None:
    """An info line when the event date is not a session, so day 0 is a later date."""
    if calendar.is_session(state.date):
        return None
    day0 = calendar.day_zero(state.date, state.timing)
    return alert(
        f"{state.date:%a %d %b %Y} is not an NYSE trading day: day 0 is the next session, "
        f"{day0:%a %d %b %Y}.",
        title="Day 0 moved",
        color="blue",
    )


def run_job(
    data: DashboardData, request: Mapping[str, Any] | None, progress: Callable[[str], None]
) -> tuple[Any, Any]:
    """Background worker: run the requested study; returns ``(study key, results alert)``."""
    if not request:
        return no_update, no_update
    state, _ = from_query(str(request.get("query", "")))
    try:
        key = data.run(state, progress=progress)
    except AftershockError as exc:
        logger.info("study failed: %s", exc)
        return None, alert(str(exc), title="The study could not run")
    except Exception:
        logger.exception("study crashed for %s", request.get("query"))
        return None, alert(
            "An unexpected error stopped the study; the server log has the details.",
            title="The study could not run",
        )
    return key, None


# -- news pane ------------------------------------------------------------------------------------


def _mention(span: Span, index: int) -> Component:
    ticker = span.ticker or ""
    group = DEEPSEEK_UNIVERSE.get(ticker)
    return html.Mark(
        [span.text, html.Span(ticker, className="ticker")],
        id=ids.company_mention(ticker, index),
        n_clicks=0,
        className="company",
        title=f"{ticker}{f' ({group})' if group else ''}: click to add it to the universe",
        role="button",
        tabIndex=0,
    )


def _date_mark(text: str, date: dt.date, index: int) -> Component:
    return html.Mark(
        text,
        id=ids.date_mention(date.isoformat(), index),
        n_clicks=0,
        className="event-date",
        title=f"{date:%a %d %b %Y}: click to make it the event date",
        role="button",
        tabIndex=0,
    )


def article_view(article: Article, aliases: Mapping[str, str]) -> list[Component]:
    """Headline, event line and cleaned paragraphs with highlighted dates and companies.

    Everything is rendered as components (text, ``html.Mark``), never as raw HTML.
    """
    paragraphs = clean_text(article.body)
    text = "\n".join(paragraphs)
    year = article.date.year if article.date else None
    dates = find_event_dates(text, default_year=year)
    companies = find_companies(text, aliases)
    children: list[Component] = [html.H2(article.headline)]
    meta = []
    if article.date is not None:
        timing = TIMING_LABELS.get(article.timing or "", "").lower()
        meta.append(f"Event {article.date:%a %d %b %Y}{f', {timing}' if timing else ''}")
    meta.append("pasted text" if article.source == "pasted" else article.source)
    tickers = list(dict.fromkeys(m.ticker for m in companies))
    if tickers:
        named = "1 company" if len(tickers) == 1 else f"{len(tickers)} companies"
        meta.append(f"{named} mentioned: click a name to add it to the study")
    children.append(html.Div(" · ".join(meta), className="article-meta"))
    index = dates_shown = 0
    offset = 0
    for paragraph in paragraphs:
        parts: list[str | Component] = []
        for span in highlight_spans(paragraph, dates, companies, offset=offset):
            if span.kind == "company":
                parts.append(_mention(span, index))
                index += 1
            elif span.kind == "date" and span.date is not None:
                parts.append(_date_mark(span.text, span.date, dates_shown))
                dates_shown += 1
            else:
                parts.append(span.text)
        children.append(html.P(parts))
        offset += len(paragraph) + 1
    return children


def render_article(
    data: DashboardData, *, selected: str | None, text: str | None
) -> tuple[Any, Any]:
    """The news pane for the picked article, else for the pasted text: ``(view, alert)``."""
    try:
        if selected:
            article = data.articles.get(selected)
            if article is None:
                where = (
                    "the news folder"
                    if data.settings.news
                    else "any folder: no news folder is configured (AFTERSHOCK_NEWS or --news)"
                )
                return article_placeholder(), alert(
                    f"article {selected!r} is not in {where}; pick another one or paste text",
                    title="Unknown article",
                    color="yellow",
                )
        elif text and text.strip():
            size = len(text.encode("utf-8", "surrogatepass"))
            if size > MAX_ARTICLE_BYTES:
                return article_placeholder(), alert(
                    f"the pasted text is {_megabytes(size)}; the limit is "
                    f"{_megabytes(MAX_ARTICLE_BYTES)}: paste only the article",
                    title="This text is too long",
                )
            article = parse_article(text)
        else:
            return article_placeholder(), None
        view = article_view(article, data.aliases)
    except AftershockError as exc:
        return article_placeholder(), alert(str(exc), title="This text cannot be shown")
    if article.date is None and not _has_dates(view):
        return view, alert(
            "No date found in this text: set the event date with the picker on the right.",
            title="No event date",
            color="blue",
        )
    return view, None


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _has_dates(view: Sequence[Component]) -> bool:
    """Whether the rendered article highlights a date (paragraphs hold strings and marks)."""
    return any(
        getattr(part, "className", None) == "event-date"
        for paragraph in view
        if isinstance(paragraph, html.P)
        for part in paragraph.children
    )


def upload_article(contents: str | None, filename: str | None) -> tuple[Any, Any, Any]:
    """An uploaded file into the paste box: ``(text, article picker value, alert)``."""
    if not contents:
        return no_update, no_update, no_update
    name = str(filename or "upload")
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError):
        return no_update, no_update, alert("the upload is not readable", title="Upload failed")
    if len(raw) > MAX_ARTICLE_BYTES:
        return no_update, no_update, _too_large(name, len(raw))
    try:
        article = parse_article(raw, source=name)
    except AftershockError as exc:
        return (
            no_update,
            no_update,
            alert(_encoding_hint(name, raw) or str(exc), title="Upload failed"),
        )
    return f"{article.headline}\n{article.body}", None, None


def _too_large(name: str, size: int) -> Component:
    return alert(
        f"{name} is {_megabytes(size)}; files up to {_megabytes(MAX_ARTICLE_BYTES)} can be "
        "uploaded: save only the article's text",
        title="Upload failed",
    )


def _encoding_hint(name: str, raw: bytes) -> str | None:
    """What to do with text in another encoding than UTF-8 (news rejects it as binary)."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"{name} is UTF-16 text; save it as UTF-8 and upload it again"
    if b"\x00" in raw:
        return None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return f"{name} is not UTF-8 (Latin-1 or Windows-1252?); save it as UTF-8 and upload again"
    return None


def upload_rejected(rejected: Mapping[str, Any] | None) -> Any:
    """The alert for a file the browser refused to send (``assets/aftershock.js`` reports it)."""
    if not isinstance(rejected, Mapping):
        return no_update
    size = rejected.get("size")
    if isinstance(size, bool) or not isinstance(size, int | float) or size < 0:
        return no_update
    return _too_large(str(rejected.get("name") or "the file")[:120], int(size))


def pick_date(triggered: Mapping[str, Any] | None, clicks: Sequence[int | None]) -> Any:
    """A clicked date of the article, as the event date picker's value."""
    if not isinstance(triggered, Mapping) or not any(clicks):
        return no_update
    try:
        return dt.date.fromisoformat(str(triggered.get("date", ""))).isoformat()
    except ValueError:
        return no_update


def add_mention(
    triggered: Mapping[str, Any] | None, clicks: Sequence[int | None], tickers: Sequence[str] | None
) -> Any:
    """A clicked company mention's ticker, appended to the added tickers."""
    if not isinstance(triggered, Mapping) or not any(clicks):
        return no_update
    ticker = str(triggered.get("ticker", ""))
    current = list(tickers or [])
    if not ticker or ticker in current:
        return no_update
    return [*current, ticker]


# -- results --------------------------------------------------------------------------------------


def _aggregate(result: StudyResult, window: str) -> dict[str, Any]:
    table = result.aggregate
    row = table[table["window"] == window].iloc[0]
    return {str(name): value for name, value in row.items()}


def _window(result: StudyResult, focus: str | None) -> str:
    keys = result.spec.window_keys
    return focus if focus in keys else keys[0]


def _article(data: DashboardData, selected: str | None, text: str | None) -> Article | None:
    if selected and selected in data.articles:
        return data.articles[selected]
    if text and text.strip():
        try:
            return parse_article(text)
        except AftershockError:
            return None
    return None


def build_figure(
    data: DashboardData,
    name: str,
    result: StudyResult,
    key: str,
    window: str,
    article: Article | None = None,
) -> go.Figure:
    """Chart ``name`` (one of :data:`app.dashboard.ids.CHARTS`) of a result, built by :mod:`app.charts.figures`.

    The price chart is annotated with the article's headline and always shows the companies the
    article names.
    """
    if name == "price_paths":
        named = [m.ticker for m in find_companies(article.body, data.aliases)] if article else []
        return figures.price_paths(
            data.price_panel(key),
            day0=result.events["day0"].min(),
            headline=article.headline if article else None,
            benchmark=result.spec.benchmark,
            pinned=named,
        )
    if name == "abnormal_returns":
        return figures.abnormal_returns_bar(result.days, result.windows, window=window)
    if name == "caar":
        return figures.caar_path(result.aar, window=window)
    if name == "sector_treemap":
        tickers = list(result.spec.tickers)
        return figures.sector_treemap(
            result.windows, data.sector_of(tickers), data.caps_of(tickers), window=window
        )
    if name == "dollar_impact":
        return figures.dollar_impact_bar(result.windows, window=window)
    if name == "tests":
        return figures.test_statistics_table(result.tests, window=window)
    raise SpecError(f"chart {name!r} is not one of {', '.join(ids.CHARTS)}")


def render_chart(
    data: DashboardData,
    name: str,
    *,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
) -> Any:
    """The figure of chart ``name`` for the current study (``no_update`` without one)."""
    result = data.result(key)
    if result is None or key is None:
        return no_update
    article = _article(data, selected, text) if name == "price_paths" else None
    return build_figure(data, name, result, key, _window(result, focus), article)


def _pct(x: float, digits: int = 1) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{abs(x) * 100:.{digits}f}%"
    return f"{_MINUS if x < 0 else '+'}{text}"


def summary(data: DashboardData, key: str | None) -> Any:
    """The header's one-line study summary."""
    result = data.result(key)
    if result is None:
        return html.Span("No study yet", className="summary-main")
    spec = result.spec
    firms = result.firms
    ok = int((firms["status"] == "ok").sum())
    day0 = pd.Timestamp(result.events["day0"].min())
    first = spec.window_keys[0]
    row = _aggregate(result, first)
    tests = result.tests
    cs = tests[(tests["window"] == first) & (tests["test"] == "cs_t")]
    p = float(cs["p"].iloc[0]) if len(cs) else math.nan
    return [
        html.Div(
            f"CAAR {figures.window_label(first)} {_pct(float(row['caar']), 2)} "
            f"({figures.format_p(p)}) across {ok} firms",
            className="summary-main",
        ),
        html.Div(
            f"Day 0 {day0:%a %d %b %Y} · {MODELS.get(spec.model, spec.model)} vs "
            f"{spec.benchmark} · estimation {format_window(spec.estimation)}"
        ),
    ]


def dollar_headline(data: DashboardData, key: str | None, focus: str | None) -> Any:
    """ "These stocks shed $X": the total estimated dollar impact of the focus window."""
    result = data.result(key)
    if result is None:
        return None
    window = _window(result, focus)
    row = _aggregate(result, window)
    total, counted, n = (
        float(row["dollar_impact_total"]),
        int(row["dollar_impact_n"]),
        int(row["n"]),
    )
    if not math.isfinite(total) or counted == 0:
        return html.Div("No market values for these firms: no dollar impact", className="note")
    verb = "shed" if total < 0 else "gained"
    return html.Div(
        [
            html.Span(
                f"These stocks {verb} {figures.format_usd(abs(total), long=True)}",
                className=f"total {'loss' if total < 0 else 'gain'}",
            ),
            html.Div(
                f"Abnormal value change {figures.window_label(window)}, {counted} of {n} firms "
                "with a market value. " + figures.SURVIVORSHIP_NOTE + ".",
                className="note",
            ),
        ]
    )


def _stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def grid_table(data: DashboardData, key: str | None) -> tuple[Any, Any, Any]:
    """The results grid: ``(columnDefs, rowData, excluded-firms note)``."""
    result = data.result(key)
    if result is None:
        return no_update, no_update, no_update
    firms = result.firms.drop_duplicates("ticker").set_index("ticker")
    tickers = list(firms.index.astype(str))
    sectors = data.sector_of(tickers)
    days = result.days
    day0 = days[days["day"] == 0].drop_duplicates("ticker").set_index("ticker")["ar"]
    windows = result.windows.drop_duplicates(["ticker", "window"]).set_index(["ticker", "window"])
    rows = []
    for ticker in tickers:
        row: dict[str, Any] = {
            "ticker": ticker,
            "sector": sectors[ticker],
            "beta": _finite(firms.at[ticker, "beta"]),
            "ar0": _finite(day0.get(ticker, math.nan)),
            "status": str(firms.at[ticker, "status"]),
        }
        for i, window in enumerate(result.spec.window_keys):
            if (ticker, window) in windows.index:
                w = windows.loc[(ticker, window)]
                p = float(w["p"])
                row |= {
                    f"car{i}": _finite(w["car"]),
                    f"t{i}": _finite(w["t"]),
                    f"p{i}": _finite(p),
                    f"sig{i}": _stars(p),
                }
        rows.append(row)
    columns: list[dict[str, Any]] = [
        {"field": "ticker", "headerName": "Firm", "pinned": "left", "width": 100},
        {"field": "sector", "headerName": "Sector", "width": 170},
        {"field": "beta", "headerName": "Beta", "valueFormatter": NUM_FORMAT, "width": 90},
        {
            "field": "ar0",
            "headerName": "AR day 0",
            "valueFormatter": PCT_FORMAT,
            "cellClassRules": SIGN_CLASSES,
            "width": 110,
        },
    ]
    for i, window in enumerate(result.spec.window_keys):
        columns.append(
            {
                "headerName": f"Window {figures.window_label(window)}",
                "children": [
                    {
                        "field": f"car{i}",
                        "headerName": "CAR",
                        "valueFormatter": PCT_FORMAT,
                        "cellClassRules": SIGN_CLASSES,
                        "width": 105,
                    },
                    {
                        "field": f"t{i}",
                        "headerName": "t",
                        "valueFormatter": NUM_FORMAT,
                        "width": 85,
                    },
                    {"field": f"p{i}", "headerName": "p", "valueFormatter": P_FORMAT, "width": 85},
                    {"field": f"sig{i}", "headerName": "", "width": 70, "filter": False},
                ],
            }
        )
    columns.append({"field": "status", "headerName": "Status", "width": 140})
    return columns, rows, _excluded_note(result)


def _finite(value: Any) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _excluded_note(result: StudyResult) -> Any:
    excluded = result.excluded
    if excluded.empty:
        return None
    items = [
        f"{ticker} ({'all windows' if window == 'all' else window}): {reason}"
        for ticker, window, reason in zip(
            excluded["ticker"].astype(str),
            excluded["window"].astype(str),
            excluded["reason"].astype(str),
            strict=True,
        )
    ]
    return alert(
        items, title=f"{len(items)} exclusion{'' if len(items) == 1 else 's'}", color="gray"
    )


def significance_panel(data: DashboardData, key: str | None, focus: str | None) -> Any:
    """The verdict above the tests table: CAAR and how many tests reject "no effect"."""
    result = data.result(key)
    if result is None:
        return None
    window = _window(result, focus)
    row = _aggregate(result, window)
    tests = result.tests[result.tests["window"] == window]
    p = tests["p"].astype(float)
    available = int(p.notna().sum())
    rejecting = int((p < 0.05).sum())
    if available == 0:
        verdict = "No test could be computed for this window."
    elif rejecting == available:
        verdict = f"All {available} tests reject “no effect” at the 5% level."
    elif rejecting == 0:
        verdict = f"None of the {available} tests rejects “no effect” at 5%: this looks like noise."
    else:
        verdict = (
            f"{rejecting} of {available} tests reject “no effect” at 5%: the evidence is mixed; "
            "tests robust to event clustering (Kolari–Pynnönen, portfolio) weigh most here."
        )
    return html.Div(
        [
            html.Span(
                f"CAAR {figures.window_label(window)} = {_pct(float(row['caar']), 2)} "
                f"over {int(row['n'])} firms. ",
                className="tests-lead",
            ),
            html.Span(verdict),
        ],
        className="tests-verdict",
    )


# -- downloads ------------------------------------------------------------------------------------


def download_png(
    data: DashboardData,
    exporter: Callable[[], FigureExporter],
    *,
    name: str | None,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)`` for the PNG of chart ``name``."""
    result = data.result(key)
    if result is None or key is None or name not in ids.CHARTS:
        return no_update, alert("Run a study first.", title="Nothing to download", color="yellow")
    window = _window(result, focus)
    article = _article(data, selected, text)
    try:
        fig = build_figure(data, name, result, key, window, article)
        png = exporter().to_png_bytes(fig, width=_PNG_WIDTH, height=_PNG_HEIGHT, scale=_PNG_SCALE)
    except AftershockError as exc:
        return no_update, alert(str(exc), title="PNG export failed")
    filename = f"aftershock-{name}-{window.replace(':', '_')}.png"
    return dcc.send_bytes(png, filename, type="image/png"), None


def export_all(
    data: DashboardData,
    *,
    key: str | None,
    focus: str | None,
    selected: str | None,
    text: str | None,
) -> tuple[Any, Any]:
    """``(dcc.Download data, alert)``: a zip of every chart's PNG, the tables and the JSON."""
    result = data.result(key)
    if result is None or key is None:
        return no_update, alert("Run a study first.", title="Nothing to export", color="yellow")
    window = _window(result, focus)
    article = _article(data, selected, text)
    try:
        figs = {name: build_figure(data, name, result, key, window, article) for name in ids.CHARTS}
        archive = export_bundle(
            figs,
            result.to_frames(),
            result.to_json(),
            width=_PNG_WIDTH,
            height=_PNG_HEIGHT,
            scale=_PNG_SCALE,
        )
    except AftershockError as exc:
        return no_update, alert(str(exc), title="Export failed")
    return dcc.send_bytes(archive, "aftershock-study.zip", type="application/zip"), None


# -- registration ---------------------------------------------------------------------------------


def register(app: Dash, data: DashboardData, exporter: Callable[[], FigureExporter]) -> None:
    """Register every callback of the dashboard on ``app``."""
    _register_state(app, data)
    _register_news(app, data)
    _register_results(app, data)
    _register_downloads(app, data, exporter)


def _register_state(app: Dash, data: DashboardData) -> None:
    @app.callback(
        output={
            "controls": {name: Output(cid, "value") for name, cid in CONTROLS.items()},
            "search": Output(ids.URL, "search"),
            "sector_disabled": Output(ids.UNIVERSE_SECTOR, "disabled"),
            "focus_data": Output(ids.FOCUS_WINDOW, "data"),
            "focus_value": Output(ids.FOCUS_WINDOW, "value"),
            "alert": Output(ids.CONTROLS_ALERT, "children"),
            "study_key": Output(ids.STUDY_KEY, "data"),
            "run": Output(ids.RUN_REQUEST, "data"),
        },
        inputs={
            "search": Input(ids.URL, "search"),
            "run_clicks": Input(ids.RUN_BUTTON, "n_clicks"),
            "values": {name: Input(cid, "value") for name, cid in CONTROLS.items()},
            "study_key": State(ids.STUDY_KEY, "data"),
            "focus": State(ids.FOCUS_WINDOW, "value"),
        },
    )
    def _sync(
        search: str | None,
        run_clicks: int | None,
        values: dict[str, Any],
        study_key: str | None,
        focus: str | None,
    ) -> dict[str, Any]:
        trigger = ctx.triggered_id if isinstance(ctx.triggered_id, str) else None
        return sync_state(
            data,
            trigger=trigger,
            search=search,
            study_key=study_key,
            focus=focus,
            run_clicks=run_clicks,
            values=values,
        )

    @app.callback(
        Output(ids.STUDY_KEY, "data", allow_duplicate=True),
        Output(ids.RESULTS_ALERT, "children"),
        Input(ids.RUN_REQUEST, "data"),
        background=True,
        interval=100,
        progress=Output(ids.RUN_STATUS, "children"),
        progress_default="",
        running=[
            (Output(ids.RUN_BUTTON, "loading"), True, False),
            (Output(ids.CANCEL_BUTTON, "display"), "inline-block", "none"),
            (Output(ids.RUN_STATUS, "style"), {"display": "block"}, {"display": "none"}),
        ],
        cancel=[Input(ids.CANCEL_BUTTON, "n_clicks")],
        prevent_initial_call=True,
    )
    def _run(
        set_progress: Callable[[str], None], request: dict[str, Any] | None
    ) -> tuple[Any, Any]:
        return run_job(data, request, set_progress)


def _register_news(app: Dash, data: DashboardData) -> None:
    @app.callback(
        Output(ids.ARTICLE_VIEW, "children"),
        Output(ids.ARTICLE_ALERT, "children"),
        Input(ids.ARTICLE_SELECT, "value"),
        Input(ids.ARTICLE_TEXT, "value"),
    )
    def _article(selected: str | None, text: str | None) -> tuple[Any, Any]:
        return render_article(data, selected=selected, text=text)

    @app.callback(
        Output(ids.ARTICLE_SELECT, "value", allow_duplicate=True),
        Input(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _use_pasted(text: str | None) -> Any:
        return None if text and text.strip() else no_update

    @app.callback(
        Output(ids.ARTICLE_TEXT, "value"),
        Output(ids.ARTICLE_SELECT, "value", allow_duplicate=True),
        Output(ids.ARTICLE_ALERT, "children", allow_duplicate=True),
        Input(ids.ARTICLE_UPLOAD, "contents"),
        State(ids.ARTICLE_UPLOAD, "filename"),
        prevent_initial_call=True,
    )
    def _upload(contents: str | None, filename: str | None) -> tuple[Any, Any, Any]:
        return upload_article(contents, filename)

    @app.callback(
        Output(ids.UNIVERSE_TICKERS, "data"),
        Input(ids.UNIVERSE_TICKERS, "searchValue"),
        Input(ids.UNIVERSE_TICKERS, "value"),
        prevent_initial_call=True,
    )
    def _ticker_choices(search: str | None, selected: list[str] | None) -> list[dict[str, str]]:
        return data.search_tickers(search, selected or [])

    @app.callback(
        Output(ids.UNIVERSE_TICKERS, "value", allow_duplicate=True),
        Input({"type": ids.COMPANY_MENTION, "ticker": ALL, "index": ALL}, "n_clicks"),
        State(ids.UNIVERSE_TICKERS, "value"),
        prevent_initial_call=True,
    )
    def _mention(clicks: list[int | None], tickers: list[str] | None) -> Any:
        return add_mention(ctx.triggered_id, clicks, tickers)

    @app.callback(
        Output(ids.EVENT_DATE, "value", allow_duplicate=True),
        Input({"type": ids.DATE_MENTION, "date": ALL, "index": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _date(clicks: list[int | None]) -> Any:
        return pick_date(ctx.triggered_id, clicks)

    app.callback(
        Output(ids.ARTICLE_ALERT, "children", allow_duplicate=True),
        Input(ids.UPLOAD_REJECTED, "data"),
        prevent_initial_call=True,
    )(upload_rejected)


def _register_results(app: Dash, data: DashboardData) -> None:
    # Everything below draws the study whose key the state or run callback stores: no study
    # exists at page load, hence no initial calls.
    app.callback(
        Output(ids.SUMMARY, "children"), Input(ids.STUDY_KEY, "data"), prevent_initial_call=True
    )(lambda key: summary(data, key))
    app.callback(
        Output(ids.DOLLAR_HEADLINE, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.FOCUS_WINDOW, "value"),
        prevent_initial_call=True,
    )(lambda key, focus: dollar_headline(data, key, focus))
    app.callback(
        Output(ids.GRID, "columnDefs"),
        Output(ids.GRID, "rowData"),
        Output(ids.EXCLUDED, "children"),
        Input(ids.STUDY_KEY, "data"),
        prevent_initial_call=True,
    )(lambda key: grid_table(data, key))
    app.callback(
        Output(ids.TESTS_PANEL, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.FOCUS_WINDOW, "value"),
        prevent_initial_call=True,
    )(lambda key, focus: significance_panel(data, key, focus))
    app.callback(
        Output(ids.GRID, "exportDataAsCsv"),
        Input(ids.GRID_CSV, "n_clicks"),
        prevent_initial_call=True,
    )(lambda clicks: bool(clicks))
    for name in ids.CHARTS:
        _register_chart(app, data, name)


def _register_chart(app: Dash, data: DashboardData, name: str) -> None:
    inputs = [Input(ids.STUDY_KEY, "data")]
    if name != "price_paths":
        inputs.append(Input(ids.FOCUS_WINDOW, "value"))

    @app.callback(
        Output(ids.figure(name), "figure"),
        *inputs,
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _chart(key: str | None, *rest: Any) -> Any:
        focus, selected, text = rest if len(rest) == 3 else (None, *rest)
        return render_chart(data, name, key=key, focus=focus, selected=selected, text=text)


def _register_downloads(
    app: Dash, data: DashboardData, exporter: Callable[[], FigureExporter]
) -> None:
    @app.callback(
        Output(ids.PNG_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input({"type": ids.PNG_BUTTON, "name": ALL}, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.FOCUS_WINDOW, "value"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _png(
        clicks: list[int | None],
        key: str | None,
        focus: str | None,
        selected: str | None,
        text: str | None,
    ) -> tuple[Any, Any]:
        triggered = ctx.triggered_id
        if not any(clicks) or not isinstance(triggered, Mapping):
            return no_update, no_update
        return download_png(
            data,
            exporter,
            name=str(triggered["name"]),
            key=key,
            focus=focus,
            selected=selected,
            text=text,
        )

    @app.callback(
        Output(ids.EXPORT_DOWNLOAD, "data"),
        Output(ids.RESULTS_ALERT, "children", allow_duplicate=True),
        Input(ids.EXPORT_ALL, "n_clicks"),
        State(ids.STUDY_KEY, "data"),
        State(ids.FOCUS_WINDOW, "value"),
        State(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        background=True,
        interval=500,
        running=[(Output(ids.EXPORT_ALL, "loading"), True, False)],
        prevent_initial_call=True,
    )
    def _export(
        clicks: int | None,
        key: str | None,
        focus: str | None,
        selected: str | None,
        text: str | None,
    ) -> tuple[Any, Any]:
        if not clicks:
            return no_update, no_update
        return export_all(data, key=key, focus=focus, selected=selected, text=text)
