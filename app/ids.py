"""Every component id of the dashboard, in one place.

Layout and callbacks import ids from here, so a rename is one edit and a typo is an
``AttributeError`` instead of a silently dead callback. Pattern-matching ids come from the helpers
at the end.
"""

from __future__ import annotations

from typing import Final

# Page state
URL: Final = "url"
STUDY_KEY: Final = "study-key"
RUN_REQUEST: Final = "run-request"

# Header and banners
SUMMARY: Final = "study-summary"
DATA_BANNER: Final = "data-banner"

# News pane
ARTICLE_SELECT: Final = "article-select"
ARTICLE_TEXT: Final = "article-text"
ARTICLE_UPLOAD: Final = "article-upload"
ARTICLE_VIEW: Final = "article-view"
ARTICLE_ALERT: Final = "article-alert"

# Study controls
EVENT_DATE: Final = "event-date"
EVENT_TIMING: Final = "event-timing"
UNIVERSE_PRESET: Final = "universe-preset"
UNIVERSE_SECTOR: Final = "universe-sector"
UNIVERSE_TICKERS: Final = "universe-tickers"
BENCHMARK: Final = "benchmark"
MODEL: Final = "model"
ESTIMATION_START: Final = "estimation-start"
ESTIMATION_END: Final = "estimation-end"
EVENT_WINDOWS: Final = "event-windows"
RUN_BUTTON: Final = "run-button"
CANCEL_BUTTON: Final = "cancel-button"
CONTROLS_ALERT: Final = "controls-alert"
RUN_STATUS: Final = "run-status"

# Results
RESULTS_TABS: Final = "results-tabs"
RESULTS_ALERT: Final = "results-alert"
FOCUS_WINDOW: Final = "focus-window"
TESTS_PANEL: Final = "tests-panel"
GRID: Final = "results-grid"
GRID_CSV: Final = "results-grid-csv"
EXCLUDED: Final = "excluded-firms"
DOLLAR_HEADLINE: Final = "dollar-headline"
PNG_DOWNLOAD: Final = "png-download"
EXPORT_ALL: Final = "export-all"
EXPORT_DOWNLOAD: Final = "export-download"

# Pattern-matching id types
COMPANY_MENTION: Final = "company-mention"
FIGURE: Final = "figure"
PNG_BUTTON: Final = "png-button"

# The charts, by the names app.figures.all_figures uses (also PNG file names).
CHARTS: Final = (
    "price_paths",
    "abnormal_returns",
    "caar",
    "sector_treemap",
    "dollar_impact",
    "tests",
)


def company_mention(ticker: str, index: int) -> dict[str, str | int]:
    """Id of one highlighted company mention (``index`` keeps repeated mentions unique)."""
    return {"type": COMPANY_MENTION, "ticker": ticker, "index": index}


def figure(name: str) -> dict[str, str]:
    """Id of the ``dcc.Graph`` showing chart ``name`` (one of :data:`CHARTS`)."""
    return {"type": FIGURE, "name": name}


def png_button(name: str) -> dict[str, str]:
    """Id of the "Download PNG" button of chart ``name``."""
    return {"type": PNG_BUTTON, "name": name}
