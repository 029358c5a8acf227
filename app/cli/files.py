"""The command line's files: the universe file it reads, and the outputs it writes.

A universe file is read with a size limit, a timeout for pipes and a binary check; outputs are
checked before a study runs (so a bad destination costs nothing) and written atomically.
"""

from __future__ import annotations

import io
import os
import select
import stat
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.atomic import write_atomic
from analytics.errors import DataError

__all__ = [
    "UNIVERSE_MAX_BYTES",
    "UNIVERSE_TIMEOUT_S",
    "check_directory_destination",
    "check_file_destination",
    "read_text_file",
    "read_universe",
    "write_output",
]

UNIVERSE_MAX_BYTES = 100 * 2**20
"""Largest universe file read (100 MiB, some 5 million events); larger files are refused."""
UNIVERSE_TIMEOUT_S = 10.0
"""How long a universe file that is a pipe (``<(...)``) may take to deliver its text."""
_SNIFF_BYTES = 8192


def _read_bounded(
    path: Path,
    *,
    limit: int,
    timeout: float,
    option: str = "--universe-file",
    what: str = "a text file of tickers",
    fix: str = "split the universe into smaller files",
) -> bytes:
    """The bytes of ``path``, refusing binary data (judged on the first 8 KiB), more than
    ``limit`` bytes, directories and devices, and a pipe that stays silent for ``timeout``."""
    name = f"{option}: {path}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise DataError(f"{name} cannot be read ({exc.strerror or exc})") from exc
    try:
        kind = os.fstat(fd).st_mode
        if not (stat.S_ISREG(kind) or stat.S_ISFIFO(kind)):
            raise DataError(f"{name} is not a regular file; pass {what}")
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + timeout
        while True:
            if stat.S_ISFIFO(kind):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([fd], [], [], left)[0]:
                    raise DataError(f"{name} sent no end of file within {timeout:g} s")
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            except OSError as exc:
                raise DataError(f"{name} cannot be read ({exc.strerror or exc})") from exc
            if not chunk:
                break
            if size < _SNIFF_BYTES and b"\0" in chunk[: _SNIFF_BYTES - size]:
                raise DataError(f"{name} holds binary data, not text; pass {what}")
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                size_text = f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit:,} bytes"
                raise DataError(f"{name} is larger than {size_text}; {fix}")
    finally:
        os.close(fd)
    return b"".join(chunks)


def read_text_file(path: Path, *, option: str, limit: int, what: str) -> bytes:
    """The bytes of a text file the user names (``option`` in messages), at most ``limit``."""
    return _read_bounded(
        path,
        limit=limit,
        timeout=UNIVERSE_TIMEOUT_S,
        option=option,
        what=what,
        fix=f"pass only {what}",
    )


def read_universe(path: Path) -> tuple[list[str] | None, pd.DataFrame | None]:
    """Read a universe file: a ticker list, or a ``ticker,date[,timing]`` event table.

    The file is UTF-8 text (a byte-order mark is allowed) of at most
    :data:`UNIVERSE_MAX_BYTES`. Every row of an event table must have as many fields as its
    header and a ticker and a date; an error names the first bad line.
    """
    data = _read_bounded(path, limit=UNIVERSE_MAX_BYTES, timeout=UNIVERSE_TIMEOUT_S)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"--universe-file: {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise DataError(f"--universe-file: {path} is empty; list one ticker per line")
    header = [h.strip().lower() for h in lines[0].split(",")]
    if "ticker" in header and "date" in header:
        return None, _event_table(text, path)
    tickers = [t.strip() for line in lines for t in line.split(",") if t.strip()]
    if tickers and tickers[0].lower() == "ticker":
        tickers = tickers[1:]
    return tickers, None


def _event_table(text: str, path: Path) -> pd.DataFrame:
    """The ``ticker,date[,timing]`` rows of a universe file, every cell present."""
    try:
        table = pd.read_csv(
            io.StringIO(text),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            skip_blank_lines=True,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"--universe-file: {path} is not a valid CSV table ({detail}); give every row "
            "the header's fields: ticker,date[,timing]"
        ) from exc
    if not isinstance(table.index, pd.RangeIndex):
        raise DataError(
            f"--universe-file: {path}: rows have more fields than the header "
            f"({', '.join(map(str, table.columns))}); remove the extra fields"
        )
    table.columns = [str(c).strip().lower() for c in table.columns]
    present = [c for c in ("ticker", "date", "timing") if c in table.columns]
    cells = {c: table[c].fillna("").astype(str).str.strip() for c in present}
    blank = np.logical_or.reduce([(cells[c] == "").to_numpy() for c in present])
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        column = next(c for c in present if cells[c].iloc[row] == "")
        raise DataError(
            f"--universe-file: {path}: data row {row + 1} has an empty {column} "
            f"({int(blank.sum()):,} rows with an empty cell); give every row a ticker and a date"
        )
    for column, values in cells.items():
        table[column] = values
    return table


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _check_creatable(path: Path, option: str) -> None:
    """A missing ``path`` can be created: its nearest existing ancestor is a writable folder."""
    ancestor = _first_existing(path.parent)
    if not ancestor.is_dir():
        raise DataError(f"{option}: {ancestor} is not a folder, so {path} cannot be created")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise DataError(f"{option}: cannot create {path}: {ancestor} is not writable")


def check_file_destination(path: Path, option: str, example: str = "study.json") -> None:
    """Refuse, before any work, an output file that cannot be written: a folder (the error
    suggests ``example`` in it), a missing or read-only parent. A device or pipe
    (``/dev/stdout``) is written as is."""
    if path.is_dir():
        raise DataError(f"{option}: {path} is a folder; name a file, e.g. {path / example}")
    if path.exists():
        if path.is_file() and not os.access(path, os.W_OK):
            raise DataError(f"{option}: {path} is not writable")
        return
    _check_creatable(path, option)


def check_directory_destination(path: Path, option: str) -> None:
    """Refuse, before any work, an output folder that is an existing file or cannot be made."""
    if path.exists():
        if not path.is_dir():
            raise DataError(f"{option}: {path} exists and is not a folder; name a folder")
        if not os.access(path, os.W_OK | os.X_OK):
            raise DataError(f"{option}: the folder {path} is not writable")
        return
    _check_creatable(path / "x", option)


def write_output(path: Path, text: str | bytes, option: str) -> None:
    """Write ``text`` (UTF-8) or bytes to ``path``: atomically for a regular file (never a
    partial file), directly to a device or pipe; a failure (disk full) is one
    :class:`DataError` line."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    try:
        if path.exists() and not path.is_file():
            with path.open("wb") as handle:
                handle.write(data)
        else:
            write_atomic(path, data)
    except OSError as exc:
        raise DataError(f"{option}: cannot write {path} ({exc.strerror or exc})") from exc
