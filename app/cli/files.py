"""The command line's files: the universe file it reads, and the outputs it writes.

A universe file (a ticker list, or an event table as CSV or Parquet) is read with a size limit, a
timeout for pipes and a binary check that a Parquet file passes; outputs are checked before a
study runs (so a bad destination costs nothing) and written atomically.
"""

from __future__ import annotations

import codecs
import os
import re
import select
import stat
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from analytics.atomic import write_atomic
from analytics.calendar import EXCHANGE_TZ
from analytics.errors import DataError

__all__ = [
    "PARQUET_MAGIC",
    "UNIVERSE_MAX_BYTES",
    "UNIVERSE_MAX_ROWS",
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
UNIVERSE_MAX_ROWS = UNIVERSE_MAX_BYTES // 4
"""Most rows of a Parquet universe file: as many as a CSV file within :data:`UNIVERSE_MAX_BYTES`
can hold (rows of ``A,1`` and a line end), however well the Parquet file compresses."""
PARQUET_MAGIC = b"PAR1"
"""The first (and last) bytes of a Parquet file."""
_PARQUET_SUFFIXES = (".parquet", ".pq")
_UNIVERSE_WHAT = "a text file of tickers, a CSV or a Parquet table"
_EVENT_COLUMNS = ("ticker", "date", "timing")
_SNIFF_BYTES = 8192
_TEXT_BLANK = re.compile(r"\s*")
_TEXT_LINE = re.compile(r"[^\r\n]*")
_END_ROW = "\0end of the universe file\0"
"""A last line appended to a CSV universe before pyarrow reads it: a quote left open in the
file swallows it (pyarrow, unlike pandas, takes such a quote to run to the end of the file)."""
_SPACED_QUOTED_CELL = r'^[ \t]+"([^"]*)"[ \t]*$'
# The line ends of str.splitlines, and the comma: what separates the tickers of a list.
_TICKER_SEPARATORS = re.compile(r"[,\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _read_bounded(
    path: Path,
    *,
    limit: int,
    timeout: float,
    option: str = "--universe-file",
    what: str = "a text file of tickers",
    fix: str = "split the universe into smaller files",
    binary_magic: bytes | None = None,
) -> bytes:
    """The bytes of ``path``, refusing binary data (judged on the first 8 KiB), more than
    ``limit`` bytes, directories and devices, and a pipe that stays silent for ``timeout``.

    Data that starts with ``binary_magic`` (any data for ``b""``) is binary by design and
    passes the binary check; the other checks stay."""
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
                # The magic has no NUL, so a NUL before its end already rules it out.
                head = (b"".join(chunks) + chunk)[: len(binary_magic or b"")]
                if binary_magic is None or head != binary_magic:
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

    The file is UTF-8 text (a byte-order mark is allowed) or a Parquet table (its first bytes
    are ``PAR1``, or its name ends in ``.parquet`` or ``.pq``) of at most
    :data:`UNIVERSE_MAX_BYTES`. Every row of an event table must have a ticker and a date, and a
    text row no more fields than its header; an error names the first bad row. An event table
    comes back as text columns, whatever the format: see :func:`_event_frame`.
    """
    parquet_name = path.suffix.lower() in _PARQUET_SUFFIXES
    data = _read_bounded(
        path,
        limit=UNIVERSE_MAX_BYTES,
        timeout=UNIVERSE_TIMEOUT_S,
        what=_UNIVERSE_WHAT,
        # A name that says Parquet lets any bytes through: pyarrow then says what is wrong.
        binary_magic=b"" if parquet_name else PARQUET_MAGIC,
    )
    if parquet_name or data.startswith(PARQUET_MAGIC):
        return _parquet_universe(data, path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"--universe-file: {path} is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        ) from exc
    first = _TEXT_BLANK.match(text)
    if first is None or first.end() == len(text):
        raise DataError(f"--universe-file: {path} is empty; list one ticker per line")
    header = _TEXT_LINE.match(text, first.end())
    # R and pyarrow quote the names of a header: "ticker","date".
    names = [h.strip().strip('"').lower() for h in (header.group() if header else "").split(",")]
    if "ticker" in names and "date" in names:
        bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
        offset = bom + len(text[: first.end()].encode("utf-8"))
        return None, _csv_events(data, offset, path, header=names)
    tokens = pc.utf8_trim_whitespace(pa.array(_TICKER_SEPARATORS.split(text), pa.string()))
    tickers: list[str] = pc.filter(tokens, pc.not_equal(tokens, "")).to_pylist()
    if tickers and tickers[0].lower() == "ticker":
        tickers = tickers[1:]
    return tickers, None


class _OddRows:
    """The rows pyarrow's CSV reader hands back because their field count is not the header's,
    in file order (it reads with one thread): ``row.number`` counts the rows so far, the header
    being row 1 and blank lines not counted.

    Whitespace-only lines are skipped like blank ones, a short row is kept aside to be padded
    with empty cells, a long row stops the read, and the end marker :data:`_END_ROW` (appended
    to the text) is noted: a quote left open swallows it."""

    def __init__(self) -> None:
        self.blanks = 0
        self.short: list[tuple[int, str]] = []
        self.long: tuple[int, int, str] | None = None
        self.ended = False

    def __call__(self, row: pa_csv.InvalidRow) -> str:
        data_row = (row.number or 0) - 1 - self.blanks
        if row.text == _END_ROW:
            self.ended = True
        elif not row.text.strip():
            self.blanks += 1
        elif row.actual_columns < row.expected_columns:
            missing = "," * (row.expected_columns - row.actual_columns)
            self.short.append((data_row - 1, row.text + missing))
        else:
            self.long = (data_row, row.actual_columns, row.text)
            return "error"
        return "skip"


def _csv_events(data: bytes, offset: int, path: Path, *, header: list[str]) -> pd.DataFrame:
    """The event table of the CSV text ``data[offset:]``, parsed by pyarrow; ``header`` is its
    first line split at every comma (for messages, and as many names as it can have).

    Cells are text; blank lines are skipped, a row with fewer fields than the header gets empty
    cells, one with more is refused (see :class:`_OddRows`). The header is read as the first
    row, so its names are parsed as the cells are, then normalized by :func:`_event_frame`.
    """
    end = b"" if data.endswith((b"\n", b"\r")) else b"\n"
    body = pa.py_buffer(b"".join([memoryview(data)[offset:], end, _END_ROW.encode(), b"\n"]))
    odd = _OddRows()
    options = {
        "read_options": pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
        "convert_options": pa_csv.ConvertOptions(
            column_types={f"f{i}": pa.string() for i in range(len(header))},
            strings_can_be_null=False,
            null_values=[],
        ),
    }
    try:
        table = pa_csv.read_csv(
            body,
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=odd),
            **options,
        )
    except pa.ArrowException as exc:
        if odd.long is None:
            raise _invalid_csv(path, exc) from exc
        row, fields, text = odd.long
        if _END_ROW not in text:  # else an open quote ran into the end marker: see below
            quote = "; a quoted cell starts right after its comma" if '"' in text else ""
            raise DataError(
                f"--universe-file: {path}: rows have more fields than the header "
                f"({', '.join(header)}): data row {row} has {fields} ({text[:60]!r}); remove "
                f"the extra fields{quote}"
            ) from exc
    if not odd.ended:
        raise DataError(
            f'--universe-file: {path}: a quoted cell (starting with ") is never closed, so it '
            "runs to the end of the file; close its quote"
        )
    if odd.short:
        # Each short row is whole (its quotes closed), so alone it reads as in the file.
        padded = "\n".join(text for _, text in odd.short).encode("utf-8") + b"\n"
        try:
            fill = pa_csv.read_csv(
                pa.py_buffer(padded),
                parse_options=pa_csv.ParseOptions(newlines_in_values=True),
                **options,
            )
        except pa.ArrowException as exc:
            raise _invalid_csv(path, exc) from exc
    names = [str(name) for name in table.slice(0, 1).to_pylist()[0].values()]
    rows = table.slice(1)
    if odd.short:
        rows = _interleave(rows, fill, np.array([at for at, _ in odd.short], dtype=np.int64))
    cells = rows.columns
    if data.find(b' "', offset) >= 0 or data.find(b'\t"', offset) >= 0:
        # pandas' skipinitialspace read `NVDA, "2025-01-27"` as a quoted cell; pyarrow keeps
        # the quotes of a cell that does not start with them.
        cells = [pc.replace_substring_regex(c, _SPACED_QUOTED_CELL, r"\1") for c in cells]
    return _event_frame(names, cells, path)


def _invalid_csv(path: Path, exc: Exception) -> DataError:
    detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return DataError(
        f"--universe-file: {path} is not a valid CSV table ({detail}); give every row "
        "the header's fields: ticker,date[,timing]"
    )


def _interleave(rows: pa.Table, fill: pa.Table, at: np.ndarray) -> pa.Table:
    """``rows`` with the rows of ``fill`` put back at the (sorted, final) positions ``at``."""
    total = rows.num_rows + fill.num_rows
    taken = np.zeros(total, dtype=bool)
    taken[at] = True
    order = np.empty(total, dtype=np.int64)
    order[~taken] = np.arange(rows.num_rows)
    order[taken] = rows.num_rows + np.arange(fill.num_rows)
    return pa.concat_tables([rows, fill.rename_columns(rows.column_names)]).take(order)


def _column_names(raw: Sequence[str]) -> list[str]:
    """Lower-case, stripped column names; a blank one is ``unnamed: i``, a repeat ``name.k``
    (as pandas names them), so every column keeps a distinct name."""
    names: list[str] = []
    for i, name in enumerate(raw):
        base = name.strip().lower() or f"unnamed: {i}"
        unique, k = base, 0
        while unique in names:
            k += 1
            unique = f"{base}.{k}"
        names.append(unique)
    return names


def _event_frame(
    raw_names: Sequence[str], columns: Sequence[pa.ChunkedArray], path: Path
) -> pd.DataFrame:
    """The event table of text ``columns`` named ``raw_names`` (nulls are empty cells).

    Names are normalized by :func:`_column_names` and cells stripped; every ticker, date and
    timing must be present, else the error names the first bad data row (1-based). The frame
    has a ``RangeIndex`` and ``str`` columns (``""`` for an empty covariate), the same for a
    CSV and a Parquet file of the same content.
    """
    names = _column_names(raw_names)
    cells = {
        name: pc.utf8_trim_whitespace(values.cast(pa.string()).fill_null(""))
        for name, values in zip(names, columns, strict=True)
    }
    required = [c for c in _EVENT_COLUMNS if c in cells]
    blank = np.zeros(len(next(iter(cells.values()), [])), dtype=bool)
    for column in required:
        blank |= pc.equal(cells[column], "").to_numpy(zero_copy_only=False)
    if blank.any():
        row = int(np.flatnonzero(blank)[0])
        column = next(c for c in required if cells[c][row].as_py() == "")
        raise DataError(
            f"--universe-file: {path}: data row {row + 1} has an empty {column} "
            f"({int(blank.sum()):,} rows with an empty cell); give every row a ticker and a date"
        )
    return pa.table(cells).to_pandas()


def _parquet_universe(data: bytes, path: Path) -> tuple[list[str] | None, pd.DataFrame | None]:
    """A Parquet universe: a table with ``ticker`` and ``date`` columns (any case), or a ticker
    list (a lone ``ticker`` column); see :func:`_parquet_text` for the column types."""
    try:
        parquet = pq.ParquetFile(pa.BufferReader(data))
        rows = parquet.metadata.num_rows
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable_parquet(path, exc) from exc
    if rows > UNIVERSE_MAX_ROWS:
        raise DataError(
            f"--universe-file: {path} holds {rows:,} rows, more than {UNIVERSE_MAX_ROWS:,}; "
            "split the universe into smaller files"
        )
    try:
        table = parquet.read()
        # pandas stores a frame's index as a column; it is not part of the universe.
        index = (table.schema.pandas_metadata or {}).get("index_columns", [])
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise _unreadable_parquet(path, exc) from exc
    table = table.drop_columns([c for c in index if isinstance(c, str) and c in table.column_names])
    names = _column_names(table.column_names)
    listed = ", ".join(names) or "none"
    if "ticker" not in names:
        raise DataError(
            f"--universe-file: {path} has no ticker column (its columns: {listed}); name the "
            "tickers' column ticker and the event dates' column date"
        )
    if "date" not in names and len(names) > 1:
        raise DataError(
            f"--universe-file: {path} has no date column (its columns: {listed}); add the "
            "event dates as a date column, or keep only the ticker column for a ticker list"
        )
    columns = [
        _parquet_text(values, name, path) for name, values in zip(names, table.columns, strict=True)
    ]
    if "date" not in names:
        tickers = pc.utf8_trim_whitespace(columns[0].fill_null(""))
        return pc.filter(tickers, pc.not_equal(tickers, "")).to_pylist(), None
    return None, _event_frame(table.column_names, columns, path)


def _unreadable_parquet(path: Path, exc: Exception) -> DataError:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataError(
        f"--universe-file: {path} is not a readable Parquet file ({detail}); write it again "
        "(e.g. pandas DataFrame.to_parquet) or pass a CSV file"
    )


def _kind_of(kind: pa.DataType) -> str:
    """``text``, ``date``, ``number`` (booleans too) or ``other``: what a Parquet column holds."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return "text"
    if pa.types.is_null(kind):  # a column of nulls only: empty cells
        return "text"
    if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
        return "date"
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        return "number"
    return "number" if pa.types.is_boolean(kind) else "other"


_PARQUET_KINDS = {
    "ticker": ({"text"}, "store the tickers as text"),
    "date": ({"text", "date"}, "store the dates as a date, timestamp or text (YYYY-MM-DD) column"),
    "timing": ({"text"}, "store the timings as text (before_open, after_close)"),
}
_COVARIATE_KINDS = ({"text", "date", "number"}, "keep other columns to text, numbers or dates")


def _parquet_text(values: pa.ChunkedArray, name: str, path: Path) -> pa.ChunkedArray:
    """A Parquet column as the text a CSV file would hold (nulls stay null).

    Tickers and timings must be text; dates text, dates or timestamps (an aware timestamp
    takes its New York date, as :func:`analytics.calendar.parse_date` does); the other columns
    may also be numbers or booleans. Dates and timestamps become ``YYYY-MM-DD``.
    """
    if pa.types.is_dictionary(values.type):
        values = values.cast(values.type.value_type)
    kind = values.type
    allowed, fix = _PARQUET_KINDS.get(name, _COVARIATE_KINDS)
    if _kind_of(kind) not in allowed:
        raise DataError(f"--universe-file: {path}: column {name} holds {kind} values; {fix}")
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:
            values = pc.local_timestamp(values.cast(pa.timestamp(kind.unit, EXCHANGE_TZ)))
        values = values.cast(pa.date32())
    return values.cast(pa.string())


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
