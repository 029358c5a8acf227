""" "Save this view as a study": the study on screen becomes a ``[[studies]]`` entry of the
project config, so "Refresh now", ``aftershock refresh`` and the schedules re-run it.

The entry is appended to the config file's text (comments and layout are kept), the whole file
is validated by :func:`app.config.load_config` before it replaces the old one (written next to
it, then renamed), so a bad entry never reaches the file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Final

import pandas as pd
from dash.development.base_component import Component

from analytics.errors import AftershockError
from analytics.study.spec import StudySpec
from app.config import ProjectConfig, load_config
from app.dashboard.components import alert

__all__ = ["default_name", "save_view", "study_entry"]

_SLUG: Final = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _strings(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(_toml_string(v) for v in values) + "]"


def default_name(spec: StudySpec) -> str:
    """A name for the view's study: its first ticker and day 0, e.g. ``nvda-2025-01-27``.

    >>> default_name(StudySpec.create(tickers="NVDA,AMD", date="2025-01-27"))
    'nvda-and-1-more-2025-01-27'
    """
    first = re.sub(r"[^a-z0-9]+", "-", spec.tickers[0].lower()).strip("-") or "study"
    more = f"-and-{len(spec.tickers) - 1}-more" if len(spec.tickers) > 1 else ""
    return f"{first}{more}-{pd.Timestamp(spec.events['date'].iloc[0]):%Y-%m-%d}"[:64]


def study_entry(spec: StudySpec, name: str) -> str:
    """The ``[[studies]]`` TOML table of ``spec``, named ``name``.

    Raises
    ------
    AftershockError
        When the spec's firms have different event dates or timings: a saved study has one.
    """
    events = spec.events
    dates = pd.to_datetime(events["date"]).dt.date.unique()
    timings = events["timing"].astype(str).unique()
    if len(dates) != 1 or len(timings) != 1:
        raise AftershockError(
            "this view's firms have different event dates; a saved study has one event date "
            "(save it from the CLI with a universe file instead)"
        )
    lines = [
        "[[studies]]",
        f"name = {_toml_string(name)}",
        f"tickers = {_strings(list(spec.tickers))}",
        f"event_date = {dates[0].isoformat()}",
        f"timing = {_toml_string(str(timings[0]))}",
        f"benchmark = {_toml_string(spec.benchmark)}",
        f"model = {_toml_string(spec.model)}",
        f'estimation = "{spec.estimation[0]}:{spec.estimation[1]}"',
        f"windows = {_strings(list(spec.window_keys))}",
        f"returns = {_toml_string(spec.returns)}",
        f"min_estimation = {spec.min_estimation}",
        f"placebo = {spec.placebo}",
    ]
    return "\n".join(lines) + "\n"


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
        reloaded = _append(config.path, entry)
    except (AftershockError, OSError) as exc:
        return None, alert(str(exc), title="Not saved")
    return reloaded, alert(
        f"Saved as {chosen} in {config.path}: Refresh now and the schedules re-run it.",
        title="Study saved",
        color="green",
    )


def _append(path: Path, entry: str) -> ProjectConfig:
    """Write ``path`` + ``entry`` next to ``path``, validate it, then rename it over ``path``."""
    text = path.read_text(encoding="utf-8-sig")
    joined = f"{text.rstrip()}\n\n{entry}" if text.strip() else entry
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(joined)
            handle.flush()
            os.fsync(handle.fileno())
        shutil.copymode(path, temp)
        load_config(temp)
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return load_config(path)
