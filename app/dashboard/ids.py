"""Every component id of the dashboard, in one place.

Layout and callbacks import ids from here, so a rename is one edit and a typo is an
``AttributeError`` instead of a silently dead callback. Pattern-matching ids come from the helpers
at the end.
"""

from __future__ import annotations

from typing import Final

from app.charts import figures
from app.charts.cross_section import CROSS_SECTION_CHARTS

__all__ = [
    "ARTICLE_ALERT",
    "ARTICLE_SELECT",
    "ARTICLE_TEXT",
    "ARTICLE_UPLOAD",
    "ARTICLE_VIEW",
    "BENCHMARK",
    "BOOTSTRAP",
    "CANCEL_BUTTON",
    "CHARTS",
    "CLAIMS_PANEL",
    "COMPANY_MENTION",
    "COMPARE_A",
    "COMPARE_ALERT",
    "COMPARE_B",
    "COMPARE_GRID",
    "CONTROLS_ALERT",
    "DASHBOARD_CHARTS",
    "DATA_BANNER",
    "DATE_MENTION",
    "DOLLAR_HEADLINE",
    "ESTIMATION_END",
    "ESTIMATION_START",
    "EVENT_DATE",
    "EVENT_TIMING",
    "EVENT_WINDOWS",
    "EXCLUDED",
    "EXPORT_ALL",
    "EXPORT_DOWNLOAD",
    "FIGURE",
    "FOCUS_WINDOW",
    "GRID",
    "GRID_CSV",
    "GRID_CSV_DOWNLOAD",
    "GRID_STUDY",
    "GROUP_TABLE",
    "MODEL",
    "NEWS_OPENED",
    "PLACEBO",
    "PLACEBO_KEY",
    "PLACEBO_REQUEST",
    "PLACEBO_STATUS",
    "PNG_BUTTON",
    "PNG_DOWNLOAD",
    "PROPOSAL_APPLY",
    "PROPOSAL_COMPARE",
    "PROPOSAL_VIEW",
    "REFRESH_ALERT",
    "REFRESH_BUTTON",
    "REFRESH_CANCEL",
    "REFRESH_PROGRESS",
    "REGRESSION_TABLE",
    "RESULTS_ALERT",
    "RESULTS_TABS",
    "RUNS_DRAWER",
    "RUNS_GRID",
    "RUNS_OPEN",
    "RUNS_POLL",
    "RUNS_STAMP",
    "RUNS_STATUS",
    "RUNS_STUDY",
    "RUN_BUTTON",
    "RUN_REQUEST",
    "RUN_STATUS",
    "SAVE_VIEW",
    "SAVE_VIEW_ALERT",
    "SAVE_VIEW_NAME",
    "STANDARDIZATION",
    "STUDY_KEY",
    "SUMMARY",
    "TESTS_PANEL",
    "UNIVERSE_PRESET",
    "UNIVERSE_SECTOR",
    "UNIVERSE_TICKERS",
    "UPLOAD_REJECTED",
    "UPLOAD_SOURCE",
    "URL",
    "company_mention",
    "date_mention",
    "figure",
    "png_button",
]

# Page state
URL: Final = "url"
STUDY_KEY: Final = "study-key"
RUN_REQUEST: Final = "run-request"
PLACEBO_REQUEST: Final = "placebo-request"
"""The placebo run that follows a study run without it (see :mod:`.features.controls`)."""
PLACEBO_KEY: Final = "placebo-key"
"""``{"study": key without placebo, "full": key with it}`` once the follow-up is done."""

# Header and banners
SUMMARY: Final = "study-summary"
DATA_BANNER: Final = "data-banner"

# News pane
ARTICLE_SELECT: Final = "article-select"
ARTICLE_TEXT: Final = "article-text"
ARTICLE_UPLOAD: Final = "article-upload"
ARTICLE_VIEW: Final = "article-view"
ARTICLE_ALERT: Final = "article-alert"
PROPOSAL_APPLY: Final = "proposal-apply"
PROPOSAL_COMPARE: Final = "proposal-compare"
PROPOSAL_VIEW: Final = "proposal-view"
CLAIMS_PANEL: Final = "claims-panel"
UPLOAD_REJECTED: Final = "upload-rejected"
UPLOAD_SOURCE: Final = "upload-source"
NEWS_OPENED: Final = "news-opened"
"""The article a click on a news marker of the price chart just opened in the pane: reading
it keeps the study on screen (see :func:`~app.dashboard.features.controls.sync_state`)."""
"""Set by ``assets/aftershock.js`` when a chosen file is over the upload limit."""

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
PLACEBO: Final = "placebo"
BOOTSTRAP: Final = "bootstrap"
STANDARDIZATION: Final = "standardization"
RUN_BUTTON: Final = "run-button"
CANCEL_BUTTON: Final = "cancel-button"
CONTROLS_ALERT: Final = "controls-alert"
RUN_STATUS: Final = "run-status"

# Results
RESULTS_TABS: Final = "results-tabs"
RESULTS_ALERT: Final = "results-alert"
FOCUS_WINDOW: Final = "focus-window"
TESTS_PANEL: Final = "tests-panel"
GROUP_TABLE: Final = "group-table"
REGRESSION_TABLE: Final = "regression-table"
PLACEBO_STATUS: Final = "placebo-status"
GRID: Final = "results-grid"
GRID_CSV: Final = "results-grid-csv"
GRID_CSV_DOWNLOAD: Final = "results-grid-csv-download"
GRID_STUDY: Final = "results-grid-study"
"""The study key whose rows the results grid holds (they are sent once per study)."""
EXCLUDED: Final = "excluded-firms"
DOLLAR_HEADLINE: Final = "dollar-headline"
PNG_DOWNLOAD: Final = "png-download"
EXPORT_ALL: Final = "export-all"
EXPORT_DOWNLOAD: Final = "export-download"

# Saved studies (app.dashboard.features.saved_studies)
RUNS_OPEN: Final = "runs-open"
RUNS_DRAWER: Final = "runs-drawer"
RUNS_POLL: Final = "runs-poll"
RUNS_STAMP: Final = "runs-stamp"
RUNS_STATUS: Final = "runs-status"
REFRESH_BUTTON: Final = "refresh-button"
REFRESH_CANCEL: Final = "refresh-cancel"
REFRESH_PROGRESS: Final = "refresh-progress"
REFRESH_ALERT: Final = "refresh-alert"
RUNS_STUDY: Final = "runs-study"
RUNS_GRID: Final = "runs-grid"
COMPARE_A: Final = "compare-a"
COMPARE_B: Final = "compare-b"
COMPARE_ALERT: Final = "compare-alert"
COMPARE_GRID: Final = "compare-grid"
SAVE_VIEW: Final = "save-view"
SAVE_VIEW_NAME: Final = "save-view-name"
SAVE_VIEW_ALERT: Final = "save-view-alert"

# Pattern-matching id types
COMPANY_MENTION: Final = "company-mention"
DATE_MENTION: Final = "date-mention"
FIGURE: Final = "figure"
PNG_BUTTON: Final = "png-button"

CHARTS: Final = figures.CHARTS
"""The charts, in page order: :data:`app.charts.figures.CHARTS` (also PNG file names)."""
DASHBOARD_CHARTS: Final = (*CHARTS, *CROSS_SECTION_CHARTS)
"""Every chart of the page: those and the Cross-section tab's."""


def company_mention(ticker: str, index: int) -> dict[str, str | int]:
    """Id of one highlighted company mention (``index`` keeps repeated mentions unique)."""
    return {"type": COMPANY_MENTION, "ticker": ticker, "index": index}


def date_mention(date: str, index: int) -> dict[str, str | int]:
    """Id of one highlighted date of the article (``date`` in ISO form)."""
    return {"type": DATE_MENTION, "date": date, "index": index}


def figure(name: str) -> dict[str, str]:
    """Id of the ``dcc.Graph`` showing chart ``name`` (one of :data:`CHARTS`)."""
    return {"type": FIGURE, "name": name}


def png_button(name: str) -> dict[str, str]:
    """Id of the "Download PNG" button of chart ``name``."""
    return {"type": PNG_BUTTON, "name": name}
