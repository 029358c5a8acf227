"""The study's tables for a spreadsheet or a paper: an xlsx workbook, LaTeX booktabs tables.

The workbook holds one sheet per table (the settings first, then the result's frames), written
with openpyxl: numbers stay numbers (returns as fractions shown in a percent format, statistics
to three decimals, p-values to four, dollars with thousands separators, dates as dates), one
bold header row that stays in view, a filter on every column. The LaTeX file has one ``booktabs``
table per event window: the CAAR, then every test of that window with its statistic, p-value
and number of firms.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from analytics.errors import AftershockError
from analytics.study.result import StudyResult
from app.charts.readings import TEST_LABELS

__all__ = ["MAX_SHEET_ROWS", "latex_tables", "number_format", "study_workbook"]

MAX_SHEET_ROWS: Final = 1_048_575
"""Data rows a sheet holds: Excel's 1,048,576 rows less the header."""

_PERCENT: Final = re.compile(r"^(ret|expected|ar|car|bhar|aar|caar|caar_se|ar_day0)(_.*)?$")
_STATISTIC: Final = re.compile(r"^(stat|t|z|sar|scar|beta|alpha|coef|se|r2)(_.*)?$")
_P_VALUE: Final = re.compile(r"^p(value)?(_.*)?$")
_DOLLARS: Final = re.compile(r"^(dollar_impact.*|value_change.*|market_cap.*)$")
_LATEX_SPECIAL: Final = {c: "\\" + c for c in "&%$#_{}"} | {
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "\\": r"\textbackslash{}",
}
_SHEET_NAME_BAD: Final = re.compile(r"[\[\]:*?/\\]")


def number_format(column: str, dtype: Any) -> str | None:
    """The Excel number format of a column, from its name and type (None: General)."""
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "yyyy-mm-dd"
    if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return None
    name = column.lower()
    if _PERCENT.match(name):
        return "0.00%"
    if _P_VALUE.match(name):
        return "0.0000"
    if _DOLLARS.match(name):
        return "#,##0"
    if _STATISTIC.match(name) or name.startswith("var_"):
        return "0.000" if not name.startswith("var_") else "0.00E+00"
    if pd.api.types.is_integer_dtype(dtype):
        return "#,##0"
    return None


def _cells(frame: pd.DataFrame) -> Iterator[list[Any]]:
    """The frame's rows as Python values: NaN and NaT empty, dates as ``datetime``."""
    columns: list[np.ndarray] = []
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            values = np.array(
                [None if pd.isna(v) else v.to_pydatetime() for v in series], dtype=object
            )
        else:
            values = series.astype(object).to_numpy(copy=True)
            values[pd.isna(series).to_numpy()] = None
        columns.append(values)
    for row in zip(*columns, strict=True):
        yield [v.item() if isinstance(v, np.generic) else v for v in row]


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_BAD.sub("_", name)[:31] or "sheet"
    chosen, n = base, 2
    while chosen.lower() in taken:
        suffix = f" ({n})"
        chosen, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(chosen.lower())
    return chosen


def _write_sheet(sheet: Worksheet, frame: pd.DataFrame) -> None:
    bold = Font(bold=True)
    formats = [number_format(str(c), frame[c].dtype) for c in frame.columns]
    for i, (column, fmt) in enumerate(zip(frame.columns, formats, strict=True), start=1):
        # Formatted numbers fit 12 characters; text as wide as its first 200 values.
        sample = 12 if fmt else max((len(str(v)) for v in frame[column].head(200)), default=0)
        width = max(len(str(column)), sample, 6) + 2
        sheet.column_dimensions[get_column_letter(i)].width = min(width, 60)
    sheet.freeze_panes = "A2"
    if len(frame.columns):
        last = get_column_letter(len(frame.columns))
        sheet.auto_filter.ref = f"A1:{last}{len(frame) + 1}"

    def header(text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    sheet.append([header(str(c)) for c in frame.columns])
    for row in _cells(frame):
        out: list[Any] = []
        for value, fmt in zip(row, formats, strict=True):
            if fmt is None or value is None:
                out.append(value)
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell.number_format = fmt
            out.append(cell)
        sheet.append(out)


def _settings_frame(settings: Mapping[str, Any]) -> pd.DataFrame:
    """``setting, value`` rows: nested objects flattened with dots, lists joined."""
    rows: list[tuple[str, str]] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list | tuple):
            if value and all(isinstance(v, Mapping) for v in value):
                rows.append((prefix, f"{len(value)} entries (see study.json)"))
            else:
                rows.append((prefix, ", ".join(str(v) for v in value)))
        else:
            rows.append((prefix, "" if value is None else str(value)))

    walk("", settings)
    return pd.DataFrame(rows, columns=["setting", "value"])


def study_workbook(
    frames: Mapping[str, pd.DataFrame], settings: Mapping[str, Any] | None = None
) -> bytes:
    """An xlsx workbook: a ``settings`` sheet (when given), then one sheet per frame.

    Raises
    ------
    AftershockError
        A frame has more rows than a sheet holds (:data:`MAX_SHEET_ROWS`).
    """
    for name, frame in frames.items():
        if len(frame) > MAX_SHEET_ROWS:
            raise AftershockError(
                f"xlsx: the {name} table has {len(frame):,} rows, more than a sheet holds "
                f"({MAX_SHEET_ROWS:,}); write it with --csv instead, or study fewer firms"
            )
    book = Workbook(write_only=True)
    taken: set[str] = set()
    tables = dict(frames)
    if settings is not None:
        tables = {"settings": _settings_frame(settings), **tables}
    for name, frame in tables.items():
        _write_sheet(book.create_sheet(_sheet_name(name, taken)), frame)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _tex(text: str) -> str:
    return "".join(_LATEX_SPECIAL.get(c, c) for c in text)


def _number(value: float, digits: int) -> str:
    """``$-1.234$`` (math mode, for a true minus sign); empty when undefined."""
    return "" if not math.isfinite(value) else f"${value:.{digits}f}$"


def _count(value: Any) -> str:
    return "" if pd.isna(value) else f"{int(value):,}"


def _window_label(window: str) -> str:
    """``"-1:1"`` → ``$[-1, +1]$``."""
    start, end = (int(v) for v in window.split(":"))
    return "$[" + ", ".join("0" if d == 0 else f"{d:+d}" for d in (start, end)) + "]$"


def latex_tables(result: StudyResult) -> str:
    """One ``booktabs`` table per window (``\\usepackage{booktabs}``): the CAAR in percent, then
    each test's statistic (3 decimals), p-value (4 decimals) and firms; undefined values empty."""
    spec = result.spec
    aggregate = result.aggregate
    caars = dict(zip(aggregate["window"].astype(str), aggregate["caar"].astype(float), strict=True))
    counts = dict(zip(aggregate["window"].astype(str), aggregate["n"], strict=True))
    tests = result.tests
    day0 = pd.to_datetime(spec.events["day0"]).min()
    blocks = [
        f"% Aftershock event study: {spec.model} model, benchmark {_tex(spec.benchmark)}, "
        f"estimation {spec.estimation[0]}:{spec.estimation[1]}, day 0 {day0:%Y-%m-%d}."
    ]
    for window in spec.window_keys:
        caar = caars.get(window, math.nan)
        rows = [f"CAAR (\\%) & {_number(caar * 100, 2)} & & {_count(counts.get(window))} \\\\"]
        chosen = tests[tests["window"] == window]
        for test, stat, p, n in zip(
            chosen["test"].astype(str),
            chosen["stat"].astype(float),
            chosen["p"].astype(float),
            chosen["n"],
            strict=True,
        ):
            label = _tex(TEST_LABELS.get(test, test))
            rows.append(f"{label} & {_number(stat, 3)} & {_number(p, 4)} & {_count(n)} \\\\")
        blocks.append(
            "\n".join(
                [
                    r"\begin{table}[htbp]",
                    r"\centering",
                    f"\\caption{{Event window {_window_label(window)}: CAAR and tests}}",
                    f"\\label{{tab:window{window.replace(':', '_')}}}",
                    r"\begin{tabular}{lrrr}",
                    r"\toprule",
                    r" & Statistic & $p$-value & $N$ \\",
                    r"\midrule",
                    *rows,
                    r"\bottomrule",
                    r"\end{tabular}",
                    r"\end{table}",
                ]
            )
        )
    return "\n\n".join(blocks) + "\n"
