"""The dashboard's components: the page skeleton, the news pane, the controls and the results.

Pure functions from plain data to Dash components; no callbacks and no I/O here. The controls start
at :data:`app.dashboard.state.DEFAULT_STATE`; the URL callback then sets them from the link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html
from dash.development.base_component import Component

from analytics.news import MAX_ARTICLE_BYTES
from app.charts.figures import window_label
from app.charts.theme import NEGATIVE, POSITIVE
from app.dashboard import ids
from app.dashboard.state import (
    DEFAULT_STATE,
    MODELS,
    PRESETS,
    TIMING_LABELS,
    WINDOW_CHOICES,
    format_window,
)

__all__ = [
    "BENCHMARKS",
    "CHART_TITLES",
    "NUM_FORMAT",
    "PCT_FORMAT",
    "P_FORMAT",
    "SIGN_CLASSES",
    "THEME",
    "alert",
    "article_placeholder",
    "chart_card",
    "controls",
    "header",
    "news_pane",
    "page",
    "results",
    "window_options",
]

BENCHMARKS = ("SPY", "VOO", "VTI", "RSP", "QQQ", "IWM", "DIA", "SMH", "XLK")

CHART_TITLES: Mapping[str, str] = {
    "price_paths": "Price paths",
    "abnormal_returns": "Abnormal returns by firm",
    "caar": "Average abnormal return (AAR) and CAAR",
    "sector_treemap": "Abnormal return by sector",
    "dollar_impact": "Dollar impact",
    "tests": "Significance tests",
}

THEME: dict[str, Any] = {
    "primaryColor": "indigo",
    "fontFamily": "Inter, 'Segoe UI', 'Helvetica Neue', Arial, sans-serif",
    "defaultRadius": "md",
    "other": {"negative": NEGATIVE, "positive": POSITIVE},
}

# ag-grid cell formats (JavaScript run by the grid) and the classes that colour signed values.
PCT_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('+.2%')(params.value)"}
NUM_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('.2f')(params.value)"}
P_FORMAT: Final = {"function": "params.value == null ? '' : d3.format('.3f')(params.value)"}
SIGN_CLASSES: Final = {"negative": "params.value < 0", "positive": "params.value > 0"}

_MAX_LINE: Final = 500
"""Longest line of an alert: messages quote user input, which may be huge."""

_GRAPH_CONFIG: Any = {
    "displaylogo": False,
    "responsive": True,
    "toImageButtonOptions": {"scale": 2},
}


def window_options(keys: Iterable[str]) -> list[dict[str, str]]:
    """Options of the window picker: ``{"value": "-1:1", "label": "[−1, +1]"}``."""
    return [{"value": key, "label": window_label(key)} for key in keys]


def _line(text: str) -> str:
    return text if len(text) <= _MAX_LINE else text[: _MAX_LINE - 1] + "…"


def alert(message: str | Sequence[str], *, title: str, color: str = "red") -> dmc.Alert:
    """An inline message: one line, or a short list of lines (each cut to 500 characters)."""
    body: Any = (
        _line(message)
        if isinstance(message, str)
        else html.Ul([html.Li(_line(m)) for m in message])
    )
    return dmc.Alert(body, title=title, color=color, variant="light", className="inline-alert")


def header() -> Component:
    """App name, tagline and the one-line study summary."""
    return html.Header(
        dmc.Group(
            [
                dmc.Group(
                    [
                        html.Img(src="/assets/logo.svg", alt="", className="logo"),
                        dmc.Stack(
                            [
                                dmc.Title("Aftershock", order=1, className="app-name"),
                                dmc.Text(
                                    "What did this news do to which stocks, and is it real?",
                                    size="sm",
                                    c="dimmed",
                                ),
                            ],
                            gap=0,
                        ),
                    ],
                    gap="sm",
                    wrap="nowrap",
                ),
                dmc.Group(
                    [
                        html.Div(id=ids.SUMMARY, className="summary"),
                        dmc.Button(
                            "Saved studies",
                            id=ids.RUNS_OPEN,
                            variant="light",
                            n_clicks=0,
                        ),
                    ],
                    gap="md",
                    wrap="nowrap",
                ),
            ],
            justify="space-between",
            align="center",
            wrap="wrap",
        ),
        className="app-header",
    )


def _data_attributes(**values: str) -> dict[str, Any]:
    """HTML ``data-*`` attributes (``max_bytes`` → ``data-max-bytes``) for an ``html.Div``."""
    return {f"data-{name.replace('_', '-')}": value for name, value in values.items()}


def article_placeholder() -> Component:
    """What the news pane shows before an article is chosen or pasted."""
    return dmc.Text(
        "Pick an article above, or paste or upload one: its first line is the headline.",
        c="dimmed",
        size="sm",
    )


def news_pane(articles: Sequence[Mapping[str, str]]) -> Component:
    """Article picker, paste/upload box and the rendered article.

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
            html.Article(article_placeholder(), id=ids.ARTICLE_VIEW, className="article"),
        ],
        className="pane news-pane",
        withBorder=True,
        p="md",
    )


def controls(
    *,
    sectors: Sequence[str],
    ticker_options: Sequence[Mapping[str, str]],
    models: Mapping[str, str],
) -> Component:
    """The study controls, initialised to the DeepSeek demo; ``models`` maps key → label."""
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
                    dmc.Select(
                        id=ids.EVENT_TIMING,
                        label="News arrived",
                        data=[{"value": k, "label": v} for k, v in TIMING_LABELS.items()],
                        value=d.timing,
                        allowDeselect=False,
                    ),
                    dmc.Select(
                        id=ids.MODEL,
                        label="Normal-return model",
                        data=[{"value": k, "label": v} for k, v in models.items()],
                        value=d.model,
                        allowDeselect=False,
                    ),
                    dmc.Select(
                        id=ids.UNIVERSE_PRESET,
                        label="Universe",
                        data=[{"value": k, "label": v} for k, v in PRESETS.items()],
                        value=d.preset,
                        allowDeselect=False,
                    ),
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
                description="Added to the universe; click a highlighted company to add it.",
                data=list(ticker_options),
                value=list(d.tickers),
                searchable=True,
                clearable=True,
                limit=40,
                hidePickedOptions=True,
                debounce=150,
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
                ],
                cols={"base": 1, "sm": 3},
                spacing="sm",
                mt="xs",
            ),
            dmc.Group(
                [
                    dmc.Button("Run study", id=ids.RUN_BUTTON, n_clicks=0),
                    dmc.Button(
                        "Cancel",
                        id=ids.CANCEL_BUTTON,
                        variant="subtle",
                        color="gray",
                        n_clicks=0,
                        display="none",
                    ),
                    html.Div(id=ids.RUN_STATUS, className="run-status"),
                ],
                mt="sm",
                gap="sm",
            ),
            html.Div(id=ids.CONTROLS_ALERT),
        ],
        className="pane controls",
        withBorder=True,
        p="md",
    )


def chart_card(name: str) -> Component:
    """One chart with its "Download PNG" button."""
    return html.Section(
        [
            dmc.Group(
                [
                    dmc.Text(CHART_TITLES[name], fw=600),
                    dmc.Button(
                        "Download PNG",
                        id=ids.png_button(name),
                        size="compact-sm",
                        variant="default",
                        n_clicks=0,
                    ),
                ],
                justify="space-between",
            ),
            dcc.Loading(
                dcc.Graph(id=ids.figure(name), config=_GRAPH_CONFIG, className="chart"),
                type="dot",
                delay_show=300,
            ),
        ],
        className="chart-card",
    )


def _grid() -> Component:
    return dag.AgGrid(
        id=ids.GRID,
        rowData=[],
        columnDefs=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 80},
        dashGridOptions={"animateRows": False, "suppressColumnVirtualisation": True},
        csvExportParams={"fileName": "aftershock-results.csv"},
        className="ag-theme-quartz results-grid",
        style={"height": "520px"},
    )


def _tab(value: str, label: str) -> dmc.TabsTab:
    return dmc.TabsTab(label, value=value)


def results() -> Component:
    """The results: focus window, export, tabs of charts, the grid and the tests."""
    return dmc.Paper(
        [
            dmc.Group(
                [
                    dmc.Select(
                        id=ids.FOCUS_WINDOW,
                        label="Window shown",
                        data=window_options(format_window(w) for w in DEFAULT_STATE.windows),
                        value=format_window(DEFAULT_STATE.windows[0]),
                        allowDeselect=False,
                        w=140,
                    ),
                    html.Div(id=ids.DOLLAR_HEADLINE, className="dollar-headline"),
                    dmc.Button("Export all", id=ids.EXPORT_ALL, variant="light", n_clicks=0),
                ],
                justify="space-between",
                align="flex-end",
            ),
            html.Div(id=ids.RESULTS_ALERT),
            dmc.Tabs(
                [
                    dmc.TabsList(
                        [
                            _tab("prices", "Prices"),
                            _tab("abnormal", "Abnormal returns"),
                            _tab("caar", "CAAR"),
                            _tab("sectors", "Sectors & dollars"),
                            _tab("grid", "Results grid"),
                            _tab("tests", "Tests"),
                        ]
                    ),
                    dmc.TabsPanel(chart_card("price_paths"), value="prices"),
                    dmc.TabsPanel(chart_card("abnormal_returns"), value="abnormal"),
                    dmc.TabsPanel(chart_card("caar"), value="caar"),
                    dmc.TabsPanel(
                        dmc.Stack([chart_card("sector_treemap"), chart_card("dollar_impact")]),
                        value="sectors",
                    ),
                    dmc.TabsPanel(
                        dmc.Stack(
                            [
                                dmc.Group(
                                    dmc.Button(
                                        "Download CSV",
                                        id=ids.GRID_CSV,
                                        size="compact-sm",
                                        variant="default",
                                        n_clicks=0,
                                    ),
                                    justify="flex-end",
                                ),
                                _grid(),
                                html.Div(id=ids.EXCLUDED),
                            ],
                            gap="xs",
                        ),
                        value="grid",
                    ),
                    dmc.TabsPanel(
                        dmc.Stack([html.Div(id=ids.TESTS_PANEL), chart_card("tests")], gap="xs"),
                        value="tests",
                    ),
                ],
                id=ids.RESULTS_TABS,
                value="prices",
                # Hidden tabs stay unmounted: their charts are drawn when first shown.
                keepMounted=False,
                mt="sm",
            ),
            dcc.Download(id=ids.PNG_DOWNLOAD),
            dcc.Download(id=ids.EXPORT_DOWNLOAD),
        ],
        className="pane results",
        withBorder=True,
        p="md",
    )


def page(
    *,
    articles: Sequence[Mapping[str, str]],
    sectors: Sequence[str],
    ticker_options: Sequence[Mapping[str, str]],
    models: Mapping[str, str] = MODELS,
    banner: Sequence[str] = (),
    saved_studies: Component | None = None,
) -> Component:
    """The whole page; ``banner`` lines (missing data) show above everything when given.

    ``saved_studies`` is the drawer the header's "Saved studies" button opens.
    """
    return dmc.MantineProvider(
        html.Div(
            [
                dcc.Location(id=ids.URL, refresh=False),
                dcc.Store(id=ids.STUDY_KEY),
                dcc.Store(id=ids.RUN_REQUEST),
                header(),
                html.Div(
                    alert(banner, title="Some market data is missing", color="yellow")
                    if banner
                    else None,
                    id=ids.DATA_BANNER,
                ),
                dmc.Grid(
                    [
                        dmc.GridCol(news_pane(articles), span={"base": 12, "lg": 5}),
                        dmc.GridCol(
                            dmc.Stack(
                                [
                                    controls(
                                        sectors=sectors,
                                        ticker_options=ticker_options,
                                        models=models,
                                    ),
                                    results(),
                                ],
                                gap="md",
                            ),
                            span={"base": 12, "lg": 7},
                        ),
                    ],
                    gutter="md",
                ),
                saved_studies,
            ],
            className="app",
        ),
        theme=THEME,
    )
