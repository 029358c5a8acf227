""" "Save this view as a study": the study on screen becomes a ``[[studies]]`` entry of the
project config, so "Refresh now", ``aftershock refresh`` and the schedules re-run it.

The entry is appended to the config file's text by :func:`app.config.writing.append_entry`
(comments and layout kept; the whole file validated before it replaces the old one).
"""

from __future__ import annotations

import re
from typing import Final

import pandas as pd
from dash.development.base_component import Component

from analytics.errors import AftershockError
from analytics.study.spec import StudySpec
from app.config import ProjectConfig
from app.config.writing import append_entry, study_entry
from app.dashboard.components import alert

__all__ = ["default_name", "save_view", "study_entry"]

_SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def default_name(spec: StudySpec) -> str:
    """A name for the view's study: its first ticker and day 0, e.g. ``nvda-2025-01-27``.

    >>> default_name(StudySpec.create(tickers="NVDA,AMD", date="2025-01-27"))
    'nvda-and-1-more-2025-01-27'
    """
    first = re.sub(r"[^a-z0-9]+", "-", spec.tickers[0].lower()).strip("-") or "study"
    more = f"-and-{len(spec.tickers) - 1}-more" if len(spec.tickers) > 1 else ""
    return f"{first}{more}-{pd.Timestamp(spec.events['date'].iloc[0]):%Y-%m-%d}"[:64]


def save_view(
    config: ProjectConfig | None, spec: StudySpec | None, name: str | None
) -> tuple[ProjectConfig | None, Component]:
    """Append ``spec`` to the config file as study ``name``: ``(the reloaded config, alert)``.

    The config is None when nothing was saved (the alert says why).
    """
    if config is None:
        return None, alert(
            "No project config is loaded: start the dashboard with aftershock serve --config "
            "FILE to save studies into it.",
            title="Nowhere to save",
            color="yellow",
        )
    if spec is None:
        return None, alert("Run a study first.", title="Nothing to save", color="yellow")
    chosen = (name or "").strip() or default_name(spec)
    if not _SLUG.match(chosen):
        return None, alert(
            f"{chosen[:80]!r} is not a valid study name; use lower-case letters, digits, '-' "
            "and '_' (at most 64, starting with a letter or digit), e.g. deepseek-chips",
            title="Not saved",
            color="yellow",
        )
    if any(s.name == chosen for s in config.studies):
        return None, alert(
            f"{config.path.name} already has a study named {chosen}; pick another name",
            title="Not saved",
            color="yellow",
        )
    try:
        entry = study_entry(spec, chosen)
        reloaded = append_entry(config.path, entry)
    except (AftershockError, OSError) as exc:
        return None, alert(str(exc), title="Not saved")
    return reloaded, alert(
        f"Saved as {chosen} in {config.path}: Refresh now and the schedules re-run it.",
        title="Study saved",
        color="green",
    )
