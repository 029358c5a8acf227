"""The study controls and the URL: the link carries the whole view (see :mod:`app.dashboard.state`),
a valid view points the study store at its cached result or asks the background worker to run it.

Modules: :mod:`~app.dashboard.features.controls.jobs` (the background study and placebo runs)
and :mod:`~app.dashboard.features.controls.tickers` (the ticker picker's search and Enter).

May import: :mod:`analytics`, :mod:`app.dashboard` (ids, cache, components, state, views) and
its own modules; never another feature."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs
from uuid import uuid4

import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, ctx, html, no_update
from dash.development.base_component import Component

from analytics import calendar
from analytics.errors import AftershockError, SpecError
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.components import alert, run_row, window_options
from app.dashboard.features.controls.jobs import placebo_job, run_job
from app.dashboard.features.controls.tickers import add_typed_ticker, ticker_choices
from app.dashboard.state import (
    ALL_SECTORS,
    BOOTSTRAP_CHOICES,
    DEFAULT_STATE,
    PLACEBO_CHOICES,
    PRESETS,
    STANDARDIZATIONS,
    TIMING_LABELS,
    WINDOW_CHOICES,
    ViewState,
    for_controls,
    format_window,
    from_controls,
    from_query,
    to_query,
)
from app.dashboard.views import article_of

__all__ = [
    "BENCHMARKS",
    "CONTROLS",
    "add_typed_ticker",
    "controls_of",
    "layout",
    "placebo_job",
    "register",
    "run_job",
    "sync_state",
    "ticker_choices",
]


logger = logging.getLogger(__name__)

BENCHMARKS = ("SPY", "VOO", "VTI", "RSP", "QQQ", "IWM", "DIA", "SMH", "XLK")


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
    "placebo": ids.PLACEBO,
    "bootstrap": ids.BOOTSTRAP,
    "standardization": ids.STANDARDIZATION,
}
"""Study controls: keyword of :func:`~app.dashboard.state.from_controls` → component id."""


_SKIP: dict[str, Any] = {name: no_update for name in CONTROLS}


def layout(
    *,
    sectors: Sequence[str],
    ticker_options: Sequence[Mapping[str, str]],
    models: Sequence[Mapping[str, Any]],
) -> Component:
    """The study controls, initialised to the DeepSeek demo; ``models`` are the model picker's
    options (``value``, ``label``, and ``disabled`` for a model this server cannot run)."""
    d = DEFAULT_STATE
    return dmc.Paper(
        [
            dmc.SimpleGrid(
                [
                    dmc.DatePickerInput(
                        id=ids.EVENT_DATE,
                        label="Event date",
                        value=d.date.isoformat(),
                        valueFormat="ddd D MMM YYYY",
                        minDate="1990-01-02",
                        maxDate="2030-12-31",
                        allowDeselect=False,
                    ),
                    _choices(ids.EVENT_TIMING, "News arrived", TIMING_LABELS, d.timing),
                    dmc.Select(
                        id=ids.MODEL,
                        label="Normal-return model",
                        data=list(models),
                        value=d.model,
                        allowDeselect=False,
                    ),
                    _choices(ids.UNIVERSE_PRESET, "Universe", PRESETS, d.preset),
                    dmc.Select(
                        id=ids.UNIVERSE_SECTOR,
                        label="S&P 500 sector",
                        data=list(sectors),
                        placeholder="Pick a sector",
                        disabled=True,
                        searchable=True,
                    ),
                    dmc.Autocomplete(
                        id=ids.BENCHMARK,
                        label="Benchmark",
                        data=list(BENCHMARKS),
                        value=d.benchmark,
                        debounce=400,
                    ),
                ],
                cols={"base": 1, "sm": 3},
                spacing="sm",
                verticalSpacing="xs",
            ),
            dmc.MultiSelect(
                id=ids.UNIVERSE_TICKERS,
                label="Add tickers",
                description="Added to the universe: type a ticker or a company name and pick "
                "it (or type a ticker and press Enter), or click a highlighted company.",
                data=list(ticker_options),
                value=list(d.tickers),
                searchable=True,
                clearable=True,
                limit=40,
                hidePickedOptions=True,
                # The server filters (see DashboardData.search_tickers); no debounce: when
                # its options arrive, the picker keeps only the values Dash already has.
                filter={"function": "serverFiltered"},
                placeholder="Search tickers or company names",
                nothingFoundMessage="No such ticker in the SEC list",
                mt="xs",
            ),
            dmc.SimpleGrid(
                [
                    dmc.NumberInput(
                        id=ids.ESTIMATION_START,
                        label="Estimation from day",
                        value=d.estimation[0],
                        allowDecimal=False,
                        debounce=500,
                    ),
                    dmc.NumberInput(
                        id=ids.ESTIMATION_END,
                        label="to day",
                        value=d.estimation[1],
                        allowDecimal=False,
                        debounce=500,
                    ),
                    dmc.TagsInput(
                        id=ids.EVENT_WINDOWS,
                        label="Event windows (start:end)",
                        data=list(WINDOW_CHOICES),
                        value=[format_window(w) for w in d.windows],
                        acceptValueOnBlur=True,
                        clearable=True,
                        className="windows-input",
                    ),
                    _choices(ids.PLACEBO, "Placebo test", PLACEBO_CHOICES, d.placebo),
                    _choices(
                        ids.STANDARDIZATION,
                        "Standardized CARs",
                        STANDARDIZATIONS,
                        d.standardization,
                    ),
                    _choices(ids.BOOTSTRAP, "Wild bootstrap", BOOTSTRAP_CHOICES, d.bootstrap),
                ],
                cols={"base": 1, "sm": 2},
                spacing="sm",
                mt="xs",
            ),
            run_row(
                dmc.Button("Run study", id=ids.RUN_BUTTON, n_clicks=0),
                cancel_id=ids.CANCEL_BUTTON,
                status_id=ids.RUN_STATUS,
                mt="sm",
                gap="sm",
            ),
            html.Div(id=ids.CONTROLS_ALERT),
        ],
        className="pane controls",
        withBorder=True,
        p="md",
    )


def _choices(component: str, label: str, choices: Mapping[Any, str], value: object) -> dmc.Select:
    """A select of ``choices`` (option value → label; values shown as text), set to ``value``."""
    return dmc.Select(
        id=component,
        label=label,
        data=[{"value": str(k), "label": v} for k, v in choices.items()],
        value=str(value),
        allowDeselect=False,
    )


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
        "placebo": str(state.placebo),
        "bootstrap": str(state.bootstrap),
        "standardization": state.standardization,
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
    tab: str | None = None,
    text: str | None = None,
    opened: str | None = None,
) -> dict[str, Any]:
    """Keep the URL, the controls and the study in step.

    Picking an article (or "Study what it proposes" for pasted text, ``text``) sets the controls
    to the study the article proposes: its day 0's event date and timing, its companies, peers
    and index funds as a custom universe, and its benchmark. An article ``opened`` from a news
    marker of the price chart (:data:`~app.dashboard.ids.NEWS_OPENED`) is only read: the study
    stays, and "Study what this article proposes" switches to its study.

    On page load (or back/forward) the URL sets the controls, the window shown (``focus``) and
    the results tab; a changed control rewrites the URL. Either way a valid view either points
    :data:`~app.dashboard.ids.STUDY_KEY` at its cached result or asks the background worker to
    run it; an invalid one shows an inline alert and changes nothing. Another window shown or
    tab only rewrites the URL.

    Returns a dict with ``controls`` (values to set, ``no_update`` where unchanged), ``search``,
    ``sector_disabled``, ``focus_data``, ``focus_value``, ``tab``, ``alert``, ``study_key``,
    ``run``, ``placebo_key`` and ``opened`` (cleared once read, so picking the same article
    later applies its proposal).
    """
    out: dict[str, Any] = {
        "controls": dict(_SKIP),
        "search": no_update,
        "sector_disabled": no_update,
        "focus_data": no_update,
        "focus_value": no_update,
        "tab": no_update,
        "alert": None,
        "study_key": no_update,
        "run": no_update,
        "placebo_key": no_update,
        "opened": no_update,
    }
    notes: list[str] = []
    if trigger in (None, ids.URL):
        state, notes = from_query(search)
        proposed = _article_link(data, state, search)
        if proposed is not None:  # "?article=F" alone: the study the article proposes
            state = proposed
            out["search"] = to_query(state)
        out["controls"] = controls_of(state)
        out["tab"] = state.tab
        focus = format_window(state.shown)
    else:
        raw = dict(values)
        # Before parsing: "S&P 500 by sector" without a sector is invalid until one is picked
        # in the sector picker, which must therefore be enabled already.
        out["sector_disabled"] = raw.get("preset") != "sp500"
        if trigger == ids.ARTICLE_SELECT and opened:
            out["opened"] = None
        # An article a news marker opened is there to be read: the study on screen stays.
        to_read = trigger == ids.ARTICLE_SELECT and bool(opened) and raw.get("article") == opened
        choosing = (ids.ARTICLE_SELECT, ids.PROPOSAL_APPLY, ids.PROPOSAL_COMPARE)
        if trigger in choosing and not to_read:
            compare = trigger == ids.PROPOSAL_COMPARE
            article = article_of(data, raw.get("article"), text)
            proposal = None if article is None else data.proposal(article)
            if proposal is not None:
                chosen: dict[str, Any] = {
                    "date": proposal.timing.event_date.isoformat(),
                    "timing": proposal.timing.timing,
                    # The comparison group: every S&P 500 member besides the article's firms.
                    "preset": "sp500" if compare else "custom",
                    "sector": ALL_SECTORS if compare else None,
                    "tickers": list(proposal.tickers),
                    "benchmark": proposal.benchmark,
                }
                raw |= chosen
                out["controls"] |= chosen
                out["sector_disabled"] = not compare
            elif article is not None and article.date is not None:
                raw["date"], raw["timing"] = article.date.isoformat(), article.timing
                out["controls"] |= {"date": raw["date"], "timing": raw["timing"]}
        try:
            state = from_controls(**raw).viewing(focus, tab)
        except SpecError as exc:
            out["alert"] = alert(for_controls(str(exc)), title="Check the study settings")
            return out
        query = to_query(state)
        if query == search and trigger != ids.RUN_BUTTON:
            out["alert"] = no_update
            return out
        out["search"] = query
        if trigger in (ids.FOCUS_WINDOW, ids.RESULTS_TABS):
            out["alert"] = no_update
            return out
    out["sector_disabled"] = state.preset != "sp500"
    if not state.placebo:  # the Tests tab must not keep showing an earlier placebo run
        out["placebo_key"] = None
    out["focus_data"], shown = _focus(state, focus)
    if trigger in (None, ids.URL) or shown != focus:
        out["focus_value"] = shown
    try:
        prepared = data.prepare(state)
    except AftershockError as exc:
        out["alert"] = alert(for_controls(str(exc)), title="Check the study settings")
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


def _article_link(data: DashboardData, state: ViewState, search: str | None) -> ViewState | None:
    """The view of a link that names an article and no study: its proposal (None otherwise)."""
    given = set(parse_qs((search or "").lstrip("?")))
    if "article" not in given or given & {"date", "preset", "tickers", "sector"}:
        return None
    article = data.articles.get(state.article or "")
    proposal = None if article is None else data.proposal(article)
    if proposal is None:
        return None
    return replace(
        state,
        date=proposal.timing.event_date,
        timing=proposal.timing.timing,
        preset="custom",
        sector=None,
        tickers=tuple(proposal.tickers),
        benchmark=proposal.benchmark,
    )


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


def register(app: Dash, data: DashboardData) -> None:
    """Register the URL, controls and background-study callbacks on ``app``."""

    @app.callback(
        output={
            "controls": {name: Output(cid, "value") for name, cid in CONTROLS.items()},
            "search": Output(ids.URL, "search"),
            "sector_disabled": Output(ids.UNIVERSE_SECTOR, "disabled"),
            "focus_data": Output(ids.FOCUS_WINDOW, "data"),
            "focus_value": Output(ids.FOCUS_WINDOW, "value"),
            "tab": Output(ids.RESULTS_TABS, "value"),
            "alert": Output(ids.CONTROLS_ALERT, "children"),
            "study_key": Output(ids.STUDY_KEY, "data"),
            "run": Output(ids.RUN_REQUEST, "data"),
            "placebo_key": Output(ids.PLACEBO_KEY, "data"),
            "opened": Output(ids.NEWS_OPENED, "data"),
        },
        inputs={
            "search": Input(ids.URL, "search"),
            "run_clicks": Input(ids.RUN_BUTTON, "n_clicks"),
            "apply_clicks": Input(ids.PROPOSAL_APPLY, "n_clicks"),
            "compare_clicks": Input(ids.PROPOSAL_COMPARE, "n_clicks"),
            "text": State(ids.ARTICLE_TEXT, "value"),
            "opened": State(ids.NEWS_OPENED, "data"),
            "values": {name: Input(cid, "value") for name, cid in CONTROLS.items()},
            "study_key": State(ids.STUDY_KEY, "data"),
            "focus": Input(ids.FOCUS_WINDOW, "value"),
            "tab": Input(ids.RESULTS_TABS, "value"),
        },
    )
    def _sync(
        search: str | None,
        run_clicks: int | None,
        apply_clicks: int | None,
        compare_clicks: int | None,
        text: str | None,
        opened: str | None,
        values: dict[str, Any],
        study_key: str | None,
        focus: str | None,
        tab: str | None,
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
            tab=tab,
            text=text,
            opened=opened,
        )

    @app.callback(
        Output(ids.STUDY_KEY, "data", allow_duplicate=True),
        Output(ids.RESULTS_ALERT, "children"),
        Output(ids.PLACEBO_REQUEST, "data"),
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
    ) -> tuple[Any, Any, Any]:
        return run_job(data, request, set_progress)

    @app.callback(
        Output(ids.PLACEBO_KEY, "data", allow_duplicate=True),
        Input(ids.PLACEBO_REQUEST, "data"),
        background=True,
        interval=250,
        running=[
            (
                Output(ids.PLACEBO_STATUS, "children"),
                "Running the placebo test: its row of the Tests tab follows…",
                "",
            ),
        ],
        cancel=[Input(ids.RUN_REQUEST, "data")],
        prevent_initial_call=True,
    )
    def _placebo(request: dict[str, Any] | None) -> Any:
        return placebo_job(data, request)

    @app.callback(
        Output(ids.UNIVERSE_TICKERS, "data"),
        Input(ids.UNIVERSE_TICKERS, "searchValue"),
        Input(ids.UNIVERSE_TICKERS, "value"),
        prevent_initial_call=True,
    )
    def _ticker_choices(search: str | None, selected: list[str] | None) -> Any:
        props = ctx.triggered_prop_ids
        prop = next(iter(props)).rpartition(".")[2] if len(props) == 1 else None
        return ticker_choices(data, prop, search, selected)

    @app.callback(
        Output(ids.UNIVERSE_TICKERS, "value", allow_duplicate=True),
        Output(ids.UNIVERSE_TICKERS, "searchValue"),
        Input(ids.UNIVERSE_TICKERS, "n_submit"),
        State(ids.UNIVERSE_TICKERS, "searchValue"),
        State(ids.UNIVERSE_TICKERS, "value"),
        prevent_initial_call=True,
    )
    def _typed_ticker(_: int | None, search: str | None, selected: list[str] | None) -> Any:
        return add_typed_ticker(data, search, selected)
