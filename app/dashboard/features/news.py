"""The news pane: pick, paste or upload an article; its companies and dates are highlighted and
clickable (a company joins the universe, a date becomes the event date). A click on a news
marker of the price chart opens its article here.

Everything is rendered as components (text, ``html.Mark``), never as raw HTML."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs

import dash_mantine_components as dmc
from dash import ALL, Dash, Input, Output, State, ctx, dcc, html, no_update
from dash.development.base_component import Component

from analytics.errors import AftershockError
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
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.components import alert
from app.dashboard.state import DEEPSEEK_UNIVERSE, DEFAULT_STATE, TIMING_LABELS

__all__ = [
    "add_mention",
    "article_placeholder",
    "article_view",
    "layout",
    "open_news",
    "pick_date",
    "register",
    "render_article",
    "upload_article",
    "upload_rejected",
    "upload_source",
]


PASTED_LINK_NOTE = (
    "This link was shared from pasted text, which a link cannot carry: the study below uses "
    "the link's settings. Paste the article again to see its companies and dates."
)


def article_placeholder(*, from_pasted_link: bool = False) -> Component:
    """What the news pane shows before an article is chosen or pasted (with
    ``from_pasted_link``: for a link that was shared while showing pasted text)."""
    if from_pasted_link:
        return dmc.Text(PASTED_LINK_NOTE, size="sm", className="pasted-link-note")
    return dmc.Text(
        "Pick an article above, or paste or upload one: its first line is the headline.",
        c="dimmed",
        size="sm",
    )


def _pasted_link(search: str | None) -> bool:
    """Whether the link names no article (``article=``): it was shared from pasted text."""
    values = parse_qs((search or "").lstrip("?"), keep_blank_values=True).get("article") or []
    return bool(values) and not values[-1].strip()


def _data_attributes(**values: str) -> dict[str, Any]:
    """HTML ``data-*`` attributes (``max_bytes`` → ``data-max-bytes``) for an ``html.Div``."""
    return {f"data-{name.replace('_', '-')}": value for name, value in values.items()}


def layout(articles: Sequence[Mapping[str, str]], below: Sequence[Component] = ()) -> Component:
    """Article picker, paste/upload box, ``below`` them (the proposal and claims) and the
    rendered article.

    ``articles`` are ``{"value": file name, "label": title}`` options from the news index.
    """
    return dmc.Paper(
        [
            dmc.Group(
                [
                    dmc.Select(
                        id=ids.ARTICLE_SELECT,
                        label="Article",
                        data=list(articles),
                        value=DEFAULT_STATE.article,
                        placeholder="Pasted text",
                        clearable=True,
                        allowDeselect=False,
                        flex=1,
                    ),
                    # assets/aftershock.js reports a file over max_size, which dcc.Upload
                    # drops without a word, through the UPLOAD_REJECTED store.
                    html.Div(
                        [
                            dcc.Upload(
                                dmc.Button("Upload .txt", variant="default"),
                                id=ids.ARTICLE_UPLOAD,
                                accept=".txt,text/plain",
                                max_size=MAX_ARTICLE_BYTES,
                                className="upload",
                            ),
                            dcc.Store(id=ids.UPLOAD_REJECTED),
                            dcc.Store(id=ids.UPLOAD_SOURCE),
                            dcc.Store(id=ids.NEWS_OPENED),
                        ],
                        **_data_attributes(
                            max_bytes=str(MAX_ARTICLE_BYTES), rejected_store=ids.UPLOAD_REJECTED
                        ),
                    ),
                ],
                align="flex-end",
                wrap="nowrap",
            ),
            # Longer pastes are cut here (assets/aftershock.js) and still exceed the article
            # limit, so they end in an inline message instead of an oversized request.
            html.Div(
                dmc.Textarea(
                    id=ids.ARTICLE_TEXT,
                    placeholder="…or paste an article here (first line = headline) to analyse it.",
                    autosize=True,
                    minRows=2,
                    maxRows=6,
                    debounce=400,
                    mt="xs",
                ),
                **_data_attributes(max_chars=str(2 * MAX_ARTICLE_BYTES)),
            ),
            html.Div(id=ids.ARTICLE_ALERT),
            *below,
            html.Article(article_placeholder(), id=ids.ARTICLE_VIEW, className="article"),
        ],
        className="pane news-pane",
        withBorder=True,
        p="md",
    )


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
    meta.append(
        "pasted text (a link to this view carries the study, not the text)"
        if article.source == "pasted"
        else article.source
    )
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


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def upload_source(text: Any, filename: str | None) -> Any:
    """What the upload store keeps: the file's name and a digest of the text it put in the
    paste box, so the article is labelled with the file name until the text is edited."""
    if not isinstance(text, str):
        return no_update
    return {"name": str(filename or "upload")[:200], "digest": _digest(text)}


def render_article(
    data: DashboardData,
    *,
    selected: str | None,
    text: str | None,
    upload: Mapping[str, Any] | None = None,
    search: str | None = None,
) -> tuple[Any, Any]:
    """The news pane for the picked article, else for the pasted text: ``(view, alert)``.

    ``upload`` (see :func:`upload_source`) names the file the text came from; ``search`` is the
    page's query string: a link shared from pasted text says so.
    """
    try:
        if selected:
            article = data.articles.get(selected)
            if article is None:
                where = (
                    "the news folder"
                    if data.settings.news
                    else "any folder: no news folder is configured (AFTERSHOCK_NEWS)"
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
            uploaded = isinstance(upload, Mapping) and upload.get("digest") == _digest(text)
            source = str(upload["name"]) if uploaded and upload else "pasted"
            article = parse_article(text, source=source)
        else:
            return article_placeholder(from_pasted_link=_pasted_link(search)), None
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


def open_news(
    data: DashboardData, click: Mapping[str, Any] | None, selected: str | None
) -> tuple[Any, Any]:
    """The article of a clicked news marker (``clickData`` of the price chart), to open in the
    pane: ``(article picker value, NEWS_OPENED)``; ``no_update`` for both when the click is on a
    price line or on the article already open.

    A news point's ``customdata`` is its article's file name (a line point's is its date), so
    only a stored article's name opens anything.
    """
    points = click.get("points") if isinstance(click, Mapping) else None
    for point in points if isinstance(points, list) else []:
        name = point.get("customdata") if isinstance(point, Mapping) else None
        if isinstance(name, str) and name in data.articles:
            return (no_update, no_update) if name == selected else (name, name)
    return no_update, no_update


def register(app: Dash, data: DashboardData) -> None:
    """Register the news pane's callbacks on ``app``."""

    @app.callback(
        Output(ids.ARTICLE_VIEW, "children"),
        Output(ids.ARTICLE_ALERT, "children"),
        Input(ids.ARTICLE_SELECT, "value"),
        Input(ids.ARTICLE_TEXT, "value"),
        State(ids.UPLOAD_SOURCE, "data"),
        State(ids.URL, "search"),
    )
    def _article(
        selected: str | None, text: str | None, upload: Any, search: str | None
    ) -> tuple[Any, Any]:
        return render_article(data, selected=selected, text=text, upload=upload, search=search)

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
        Output(ids.UPLOAD_SOURCE, "data"),
        Input(ids.ARTICLE_UPLOAD, "contents"),
        State(ids.ARTICLE_UPLOAD, "filename"),
        prevent_initial_call=True,
    )
    def _upload(contents: str | None, filename: str | None) -> tuple[Any, Any, Any, Any]:
        text, selected, problem = upload_article(contents, filename)
        return text, selected, problem, upload_source(text, filename)

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

    @app.callback(
        Output(ids.ARTICLE_SELECT, "value", allow_duplicate=True),
        Output(ids.NEWS_OPENED, "data", allow_duplicate=True),
        Input(ids.figure("price_paths"), "clickData"),
        State(ids.ARTICLE_SELECT, "value"),
        prevent_initial_call=True,
    )
    def _open_news(click: Any, selected: str | None) -> tuple[Any, Any]:
        return open_news(data, click, selected)
