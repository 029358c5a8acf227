"""Writing the project config: a study as a ``[[studies]]`` table, appended to the file.

The entry is appended to the file's text (comments and layout kept byte for byte), the whole file
is validated by :func:`app.config.load_config` before it replaces the old one (written next to
it, then renamed), so a bad entry never reaches the file and a crash never leaves half of one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from analytics.errors import AftershockError
from analytics.study.spec import StudySpec
from app.config.load import load_config
from app.config.project import ProjectConfig

__all__ = ["append_entry", "study_entry", "toml_string"]


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _strings(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


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
        f"name = {toml_string(name)}",
        f"tickers = {_strings(list(spec.tickers))}",
        f"event_date = {dates[0].isoformat()}",
        f"timing = {toml_string(str(timings[0]))}",
        f"benchmark = {toml_string(spec.benchmark)}",
        f"model = {toml_string(spec.model)}",
        f'estimation = "{spec.estimation[0]}:{spec.estimation[1]}"',
        f"windows = {_strings(list(spec.window_keys))}",
        f"returns = {toml_string(spec.returns)}",
        f"min_estimation = {spec.min_estimation}",
        f"placebo = {spec.placebo}",
    ]
    return "\n".join(lines) + "\n"


def append_entry(path: Path, entry: str) -> ProjectConfig:
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
