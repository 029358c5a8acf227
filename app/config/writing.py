"""Writing the project config file: a ``[[studies]]`` entry appended, or the tickers of one
study replaced, each validated before it replaces the file.

The file's other bytes stay as they are (comments, layout, a byte-order mark, CRLF line ends):
an entry goes after them, an edit replaces one line. The new text is written next to the file
(temporary file, ``fsync``), read back with :func:`~app.config.load_config`, and only then
renamed over the file, so a bad entry never reaches it and a crash leaves the old file or the new
one. Writers of one file take its lock (``.<name>.lock`` beside it), so the dashboard's "Save
this view" and a refresh's news watch never lose each other's entry.

>>> print(study_entry(StudySpec.create(tickers="NVDA", date="2025-01-27"), "nvda"), end="")
[[studies]]
name = "nvda"
tickers = ["NVDA"]
event_date = 2025-01-27
timing = "before_open"
benchmark = "SPY"
model = "market"
estimation = "-250:-11"
windows = ["0:0", "-1:1", "-5:5"]
returns = "simple"
min_estimation = 120
placebo = 200
bootstrap = 999
standardization = "exact"
"""

from __future__ import annotations

import codecs
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Final

import pandas as pd
from filelock import FileLock, Timeout

from analytics.errors import AftershockError, ConfigError
from analytics.study.spec import StudySpec
from app.config.load import load_config
from app.config.project import ProjectConfig

__all__ = ["append_entry", "set_study_tickers", "study_entry", "toml_string"]

_LOCK_WAIT_S: Final = 10.0
_ESCAPES: Final = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}
_HEADER: Final = re.compile(r"^[ \t]*\[\[?[ \t]*[A-Za-z0-9_.\"' -]+\]\]?[ \t]*(#.*)?$")
_STUDIES: Final = re.compile(r"^[ \t]*\[\[[ \t]*studies[ \t]*\]\][ \t]*(#.*)?$")
_TICKERS: Final = re.compile(r"^([ \t]*)tickers[ \t]*=[ \t]*\[[^\]\n]*\]([ \t]*#.*)?$")


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string, control characters escaped.

    >>> print(toml_string('say "hi"'))
    "say \\"hi\\""
    """
    return '"' + "".join(_ESCAPES.get(c, _escape(c)) for c in text) + '"'


def _escape(char: str) -> str:
    return f"\\u{ord(char):04x}" if char < " " or char == "\x7f" else char


def _strings(values: Sequence[str]) -> str:
    return "[" + ", ".join(toml_string(v) for v in values) + "]"


def study_entry(spec: StudySpec, name: str, *, comment: str | None = None) -> str:
    """The ``[[studies]]`` TOML table of ``spec``, named ``name`` (every option written out, so
    the saved study stays the same when a default changes), after an optional ``# comment``.

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
    lines = [f"# {' '.join(comment.split())}"] if comment else []
    lines += [
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
        f"bootstrap = {spec.bootstrap}",
        f"standardization = {toml_string(spec.standardization)}",
    ]
    if spec.model == "dimson":
        lines.append(f"dimson_lags = {spec.dimson_lags}")
    return "\n".join(lines) + "\n"


def append_entry(path: Path, entry: str) -> ProjectConfig:
    """Append ``entry`` (TOML text) to the config file after a blank line; return the new config.

    Raises
    ------
    ConfigError
        The file with the entry does not validate (the file is left as it was), or another
        process holds its lock for more than 10 s.
    OSError
        The file cannot be read or its folder written.
    """

    def edit(text: str, newline: str) -> str:
        if not text.strip():
            return text + entry.replace("\n", newline)
        end = "" if text.endswith(("\n", "\r")) else newline
        return f"{text}{end}{newline}{entry.replace(chr(10), newline)}"

    return _rewrite(path, edit)


def set_study_tickers(path: Path, name: str, tickers: Sequence[str]) -> ProjectConfig:
    """Replace the one-line ``tickers = [...]`` of the ``[[studies]]`` table named ``name``.

    Only that line changes; the result must differ from the old config in that study's tickers
    alone, or nothing is written.

    Raises
    ------
    ConfigError
        The study is not a ``[[studies]]`` table with a one-line ``tickers`` array (it uses a
        watchlist, or was reformatted), or the edited file does not validate.
    OSError
        The file cannot be read or its folder written.
    """
    before = load_config(path)
    wanted = tuple(tickers)

    def edit(text: str, newline: str) -> str:
        lines = text.splitlines(keepends=True)
        start = _study_table(lines, name)
        if start is None:
            raise ConfigError(
                f"{path}: study {name!r} is not a [[studies]] table of its own; "
                "edit its tickers by hand"
            )
        stop = next(
            (i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i].rstrip("\r\n"))),
            len(lines),
        )
        found = [i for i in range(start + 1, stop) if _TICKERS.match(lines[i].rstrip("\r\n"))]
        if len(found) != 1:
            raise ConfigError(
                f"{path}: study {name!r} has no one-line tickers = [...]; edit its tickers by hand"
            )
        (at,) = found
        body = lines[at].rstrip("\r\n")
        match = _TICKERS.match(body)
        assert match is not None  # found above
        ending = lines[at][len(body) :]
        lines[at] = f"{match.group(1)}tickers = {_strings(wanted)}{match.group(2) or ''}{ending}"
        return "".join(lines)

    def check(after: ProjectConfig) -> None:
        study = after.study(name)
        expected = [replace(s, spec=study.spec, options=study.options) if s.name == name else s
                    for s in before.studies]  # fmt: skip
        if (
            study.spec.tickers != wanted
            or list(after.studies) != expected
            or (after.watchlists, after.schedules, after.feeds, after.export)
            != (before.watchlists, before.schedules, before.feeds, before.export)
        ):
            raise ConfigError(
                f"{path}: editing study {name!r} line by line would change more than its "
                "tickers; edit them by hand"
            )

    return _rewrite(path, edit, check)


def _study_table(lines: Sequence[str], name: str) -> int | None:
    """The index of the ``[[studies]]`` header whose table sets ``name = "<name>"``."""
    named = re.compile(rf"""^[ \t]*name[ \t]*=[ \t]*(["']){re.escape(name)}\1[ \t]*(#.*)?$""")
    header: int | None = None
    for i, line in enumerate(lines):
        text = line.rstrip("\r\n")
        if _HEADER.match(text):
            header = i if _STUDIES.match(text) else None
        elif header is not None and named.match(text):
            return header
    return None


def _rewrite(
    path: Path,
    edit: Callable[[str, str], str],
    check: Callable[[ProjectConfig], None] | None = None,
) -> ProjectConfig:
    """Edit the file's text under its lock: write the result next to it, validate, rename."""
    lock = FileLock(path.with_name(f".{path.name}.lock"))
    try:
        lock.acquire(timeout=_LOCK_WAIT_S)
    except Timeout:
        raise ConfigError(
            f"{path}: another process has been writing it for {_LOCK_WAIT_S:.0f} s; try again"
        ) from None
    try:
        data = path.read_bytes()
        bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        try:
            text = data[len(bom) :].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{path}: is not UTF-8 text (byte {exc.start}); fix it") from exc
        edited = bom + edit(text, "\r\n" if "\r\n" in text else "\n").encode("utf-8")
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        temp = Path(temp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(edited)
                handle.flush()
                os.fsync(handle.fileno())
            shutil.copymode(path, temp)
            try:
                written = load_config(temp)
            except ConfigError as exc:  # name the user's file, not the temporary one
                message = str(exc).replace(str(temp.absolute()), str(path.absolute()))
                raise ConfigError(message) from None
            if check is not None:
                check(replace(written, path=path))
            os.replace(temp, path)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
    finally:
        lock.release()
    return load_config(path)
