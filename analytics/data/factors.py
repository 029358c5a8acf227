"""Daily factor returns for factor models: Fama-French, Carhart, a user's file, or ETF proxies.

Every table returned here holds daily **decimal** returns in float64 columns named ``MKT_RF``,
``SMB``, ``HML``, ``RMW``, ``CMA``, ``MOM`` and ``RF`` (those the source has), indexed by a sorted
``DatetimeIndex`` named ``date``. :func:`load_factors` is the front door.

References
----------
Carhart, M. M. (1997). On persistence in mutual fund performance. *Journal of Finance* 52(1),
    57-82.
Fama, E. F. and French, K. R. (1993). Common risk factors in the returns on stocks and bonds.
    *Journal of Financial Economics* 33(1), 3-56.
Fama, E. F. and French, K. R. (2015). A five-factor asset pricing model. *Journal of Financial
    Economics* 116(1), 1-22.
French, K. R. Data Library,
    https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/data_library.html
"""

from __future__ import annotations

import http.client
import io
import logging
import os
import re
import urllib.request
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from analytics.atomic import write_atomic
from analytics.errors import DataError, SourceError, SpecError
from analytics.study.returns import daily_risk_free

__all__ = [
    "ETF_PROXY_TICKERS",
    "FRENCH_BASE_URL",
    "FRENCH_FILES",
    "FactorModel",
    "FrenchModel",
    "etf_proxy_factors",
    "factor_columns",
    "french_factors",
    "load_factors",
    "read_factor_file",
]

logger = logging.getLogger(__name__)

FactorModel: TypeAlias = Literal["ff3", "ff5", "carhart", "etf_factors", "factors"]
FrenchModel: TypeAlias = Literal["ff3", "ff5", "carhart"]

FRENCH_BASE_URL = "https://mba.tuck.dartmouth.edu/pages/faculty/ken.french/ftp/"
_FF3_ZIP = "F-F_Research_Data_Factors_daily_CSV.zip"
_FF5_ZIP = "F-F_Research_Data_5_Factors_2x3_daily_CSV.zip"
_MOM_ZIP = "F-F_Momentum_Factor_daily_CSV.zip"
#: The data-library zips each model needs.
FRENCH_FILES: dict[str, tuple[str, ...]] = {
    "ff3": (_FF3_ZIP,),
    "ff5": (_FF5_ZIP,),
    "carhart": (_FF3_ZIP, _MOM_ZIP),
}
#: Adjusted closes :func:`etf_proxy_factors` reads (``^IRX`` is optional).
ETF_PROXY_TICKERS: tuple[str, ...] = ("SPY", "IWM", "IVE", "IVW", "MTUM", "^IRX")

_COLUMNS: dict[str, list[str]] = {
    "ff3": ["MKT_RF", "SMB", "HML"],
    "ff5": ["MKT_RF", "SMB", "HML", "RMW", "CMA"],
    "carhart": ["MKT_RF", "SMB", "HML", "MOM"],
    "etf_factors": ["MKT_RF", "SMB", "HML", "MOM"],
}
_UNREACHABLE = (
    "Kenneth French's data library is unreachable; give a factor file (factors) or use model "
    "etf_factors"
)
_TIMEOUT_SECONDS = 30.0
_DATE_ROW = re.compile(r"^\s*\d{8}\s*,", re.MULTILINE)
# The data library marks missing values with these codes.
_MISSING_CODES = (-99.99, -999.0)
# Median absolute daily factor value separating percent (~0.5) from decimal (~0.005) files.
_PERCENT_THRESHOLD = 0.05


def factor_columns(model: FactorModel) -> list[str]:
    """The regressors of a named factor model (``RF`` excluded); model ``factors`` takes every
    column of its file instead (see :func:`load_factors`).

    >>> factor_columns("carhart")
    ['MKT_RF', 'SMB', 'HML', 'MOM']
    """
    try:
        return list(_COLUMNS[model])
    except KeyError:
        raise SpecError(
            f"model={model!r} is not a factor model; choose one of {', '.join(_COLUMNS)}"
        ) from None


def _normalize_name(name: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip()).upper()


def _finish(table: pd.DataFrame) -> pd.DataFrame:
    table.index = pd.DatetimeIndex(table.index, name="date")
    return table.astype("float64").sort_index()


def _parse_french_csv(text: str, *, origin: str) -> pd.DataFrame:
    """The daily table of a data-library CSV, in percent, as in the file.

    The table is the block of lines starting with an 8-digit ``YYYYMMDD`` date; its header is the
    last non-blank line before it. Text above (the description) and below (an annual section,
    the copyright line) is skipped.
    """
    lines = text.lstrip("\ufeff").splitlines()
    first = next((k for k, line in enumerate(lines) if _DATE_ROW.match(line)), None)
    if first is None:
        raise DataError(
            f"{origin}: no daily table (rows starting with a YYYYMMDD date) found; "
            "expected a daily file of Kenneth French's data library"
        )
    header = next((lines[k] for k in range(first - 1, -1, -1) if lines[k].strip()), "")
    names = [_normalize_name(n) for n in header.split(",")[1:]]
    if not names or not all(names):
        raise DataError(f"{origin}: the line above the daily table is not a header: {header!r}")
    last = first
    while last < len(lines) and _DATE_ROW.match(lines[last]):
        last += 1
    try:
        table = pd.read_csv(
            io.StringIO("\n".join(lines[first:last])),
            header=None,
            names=["date", *names],
            dtype={"date": "string"},
            skipinitialspace=True,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{origin}: malformed daily table: {exc}") from exc
    dates = pd.to_datetime(table.pop("date").str.strip(), format="%Y%m%d", errors="coerce")
    values = table.apply(pd.to_numeric, errors="coerce")
    bad = dates.isna().to_numpy() | (values.isna() & table.notna()).any(axis=1).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{origin}: bad value in the daily table at line {first + row + 1}")
    values = values.mask(values.isin(_MISSING_CODES))
    values.index = dates
    return values


def _read_french_zip(data: bytes, *, origin: str) -> pd.DataFrame:
    """Parse a data-library zip (one CSV inside) into decimal returns."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if not members:
                raise DataError(f"{origin}: the zip holds no CSV file")
            raw = archive.read(members[0])
    except zipfile.BadZipFile as exc:
        raise DataError(f"{origin}: not a zip file ({exc})") from exc
    return _finish(_parse_french_csv(raw.decode("latin-1"), origin=origin) / 100.0)


def _urllib_download(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "aftershock"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
        data: bytes = response.read()
    return data


def _french_table(
    name: str,
    *,
    cache_dir: Path | None,
    download: Callable[[str], bytes] | None,
    refresh: bool,
) -> pd.DataFrame:
    cached = cache_dir / "factors" / name if cache_dir is not None else None
    if cached is not None and cached.is_file() and not refresh:
        logger.info("factors: reading %s from the cache %s", name, cached)
        try:
            return _read_french_zip(cached.read_bytes(), origin=str(cached))
        except DataError as exc:
            raise DataError(f"{exc}; delete the cached file or refresh it") from exc
    url = FRENCH_BASE_URL + name
    logger.info("factors: downloading %s", url)
    try:
        data = (download or _urllib_download)(url)
    except (OSError, http.client.HTTPException, SourceError) as exc:
        raise SourceError(f"{_UNREACHABLE} ({url}: {exc})", parameter="factors") from exc
    try:
        table = _read_french_zip(data, origin=url)
    except DataError as exc:
        raise SourceError(f"{url} did not return a factor file: {exc}") from exc
    if cached is not None:
        write_atomic(cached, data)
        logger.info("factors: cached %s (%d bytes) at %s", name, len(data), cached)
    return table


def french_factors(
    model: FrenchModel,
    *,
    cache_dir: Path | None,
    download: Callable[[str], bytes] | None = None,
    refresh: bool = False,
) -> pd.DataFrame:
    """Daily Fama-French (3 or 5 factors) or Carhart factors from Kenneth French's data library.

    The library publishes percent returns; they are returned as decimals, with the columns of
    :func:`factor_columns` then ``RF``. Carhart is the three factors joined with ``MOM`` on the
    dates both have.

    Parameters
    ----------
    model
        ``"ff3"``, ``"ff5"`` or ``"carhart"``.
    cache_dir
        Raw zips are kept in ``cache_dir / "factors"`` (written atomically) and read from there
        when present, which works offline; ``None`` always downloads and keeps nothing.
    download
        ``url -> bytes``; defaults to ``urllib`` with a timeout. Tests inject their own.
    refresh
        Download even when a cached zip exists (the library updates monthly).

    Raises
    ------
    SourceError
        The library is unreachable or answered something that is not a factor zip.
    DataError
        A cached zip is unreadable.

    References
    ----------
    Fama and French (1993, 2015); Carhart (1997).
    """
    if model not in FRENCH_FILES:
        raise SpecError(
            f"model={model!r} is not in Kenneth French's data library; "
            f"choose one of {', '.join(FRENCH_FILES)} (or etf_factors offline)"
        )
    tables = [
        _french_table(name, cache_dir=cache_dir, download=download, refresh=refresh)
        for name in FRENCH_FILES[model]
    ]
    table = tables[0]
    for other in tables[1:]:
        table = table.join(other, how="inner")
    wanted = [*factor_columns(model), "RF"]
    absent = [c for c in wanted if c not in table.columns]
    if absent:
        raise SourceError(
            f"{', '.join(FRENCH_FILES[model])} lacks column(s) {', '.join(absent)}; "
            f"found {', '.join(table.columns)}"
        )
    return table[wanted]


def _parse_dates(column: pd.Series, *, origin: str) -> pd.DatetimeIndex:
    """ISO ``YYYY-MM-DD`` (optionally with a clock) or ``YYYYMMDD`` dates, never a guess:
    ``01/06/2023`` could be 1 June or 6 January, so it is refused."""
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        dates = column
    else:
        text = column.astype("string").str.strip()
        if text.str.fullmatch(r"\d{8}").fillna(False).all():
            dates = pd.to_datetime(text, format="%Y%m%d", errors="coerce")
        else:
            iso = text.str.fullmatch(r"\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+)?").fillna(False)
            dates = pd.to_datetime(text.where(iso), format="ISO8601", errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    bad = dates.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{origin}: unparseable date {column.iloc[row]!r} at row {row + 1}; write dates "
            "as YYYY-MM-DD or YYYYMMDD (day-first or month-first dates are ambiguous)"
        )
    index = pd.DatetimeIndex(dates.dt.normalize(), name="date")
    if index.has_duplicates:
        raise DataError(f"{origin}: duplicate date {index[index.duplicated()][0].date()}")
    return index


def _looks_percent(table: pd.DataFrame) -> bool:
    factors = [c for c in table.columns if c != "RF"] or list(table.columns)
    values = np.abs(table[factors].to_numpy(dtype=float).ravel())
    values = values[np.isfinite(values) & (values > 0)]
    return bool(values.size) and float(np.median(values)) > _PERCENT_THRESHOLD


def _tidy_factors(frame: pd.DataFrame, *, origin: str, percent: bool | None) -> pd.DataFrame:
    if frame.index.name is not None:
        frame = frame.reset_index()
    names = [_normalize_name(c) for c in frame.columns]
    if "DATE" not in names:
        raise DataError(
            f"{origin}: no date column; found {', '.join(map(str, frame.columns))}. "
            "Expected a 'date' column and one column per factor"
        )
    if len(set(names)) != len(names):
        raise DataError(f"{origin}: duplicate column names {', '.join(names)}")
    frame = frame.set_axis(names, axis=1)
    index = _parse_dates(frame.pop("DATE"), origin=origin)
    if frame.shape[1] == 0:
        raise DataError(f"{origin}: no factor column beside the date")
    table = frame.apply(pd.to_numeric, errors="coerce")
    bad = table.isna() & frame.notna()
    if bad.to_numpy().any():
        column = str(bad.columns[bad.any(axis=0).to_numpy()][0])
        row = int(np.flatnonzero(bad[column].to_numpy())[0])
        value = frame[column].iloc[row]
        raise DataError(f"{origin}: column {column} is not numeric: {value!r} at row {row + 1}")
    table.index = index
    if percent is None:
        percent = _looks_percent(table)
        logger.info("factors: %s read as %s returns", origin, "percent" if percent else "decimal")
    return _finish(table / 100.0 if percent else table)


def read_factor_file(path: str | os.PathLike[str], *, percent: bool | None = None) -> pd.DataFrame:
    """Factor returns from a user's file, as decimals.

    Accepted: a CSV or Parquet file with a ``date`` column (ISO dates or ``YYYYMMDD``; any case)
    and one numeric column per factor (names are upper-cased, ``-`` and spaces become ``_``, so
    ``Mkt-RF`` is ``MKT_RF``); or a daily file of Kenneth French's data library, zipped or not.

    Parameters
    ----------
    path
        The file; ``.parquet``/``.pq`` is read as Parquet, ``.zip`` as a data-library zip, anything
        else as CSV.
    percent
        Whether values are in percent (divided by 100). ``None`` decides from the data: percent
        when the median absolute non-zero value of the factor columns (``RF`` excluded) exceeds
        0.05. Typical daily factor moves are about 0.5 in percent and 0.005 as decimals, two
        orders of magnitude apart. Data-library files are always percent.

    Raises
    ------
    DataError
        The file is missing, unreadable, has no date column, a bad date, a duplicate date or a
        non-numeric value; messages name the file, column and row.
    """
    file = Path(path)
    origin = str(file)
    if not file.is_file():
        raise DataError(f"factor file {origin} does not exist")
    suffix = file.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(file)
        except (OSError, ValueError) as exc:
            raise DataError(f"{origin}: not a readable Parquet file ({exc})") from exc
        return _tidy_factors(frame, origin=origin, percent=percent)
    try:
        raw = file.read_bytes()
    except OSError as exc:
        raise DataError(f"{origin}: cannot read the factor file ({exc})") from exc
    if suffix == ".zip":
        return _read_french_zip(raw, origin=origin)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    if "DATE" in {_normalize_name(c) for c in first_line.lstrip("\ufeff").split(",")}:
        try:
            frame = pd.read_csv(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
        except (ValueError, pd.errors.ParserError) as exc:
            raise DataError(f"{origin}: malformed CSV ({exc})") from exc
        return _tidy_factors(frame, origin=origin, percent=percent)
    if not _DATE_ROW.search(text):
        raise DataError(
            f"{origin}: no date column in the first line {first_line.strip()!r}. Expected a "
            "'date' column and one column per factor, or a daily file of Kenneth French's "
            "data library"
        )
    return _finish(_parse_french_csv(text, origin=origin) / 100.0)


def etf_proxy_factors(prices_wide: pd.DataFrame) -> pd.DataFrame:
    """Offline proxies of the Carhart factors from ETF prices (not the academic factors).

    From simple returns ``R`` of adjusted closes over consecutive rows: ``MKT_RF = R_SPY - RF``,
    ``SMB = R_IWM - R_SPY`` (Russell 2000 vs S&P 500), ``HML = R_IVE - R_IVW`` (S&P 500 value vs
    growth), ``MOM = R_MTUM - R_SPY``. ``RF`` is the 13-week T-bill yield ``y`` (``^IRX``, percent
    a year) quoted at the previous session's close made daily, ``(1 + y / 100) ** (1 / 252) - 1``
    (:func:`analytics.study.returns.daily_risk_free`, the same rate CAPM uses); without ``^IRX``
    it is 0 (so ``MKT_RF = R_SPY``) and a warning is logged. These long-short ETF spreads track
    the academic factors only loosely: use them when the data library is out of reach.

    Parameters
    ----------
    prices_wide
        Adjusted closes, one column per ticker (``SPY``, ``IWM``, ``IVE``, ``IVW``, ``MTUM`` and
        optionally ``^IRX``), one row per session, indexed by date.

    Returns
    -------
    DataFrame
        ``MKT_RF``, ``SMB``, ``HML``, ``MOM``, ``RF``, one row per input row; a row is all NaN
        when any price it needs (today's or the previous row's) is missing, the first row
        included.

    Raises
    ------
    DataError
        A required ticker is not a column.
    """
    required = [t for t in ETF_PROXY_TICKERS if t != "^IRX"]
    absent = [t for t in required if t not in prices_wide.columns]
    if absent:
        raise DataError(
            f"ETF proxy factors need adjusted closes of {', '.join(required)} (and ^IRX for the "
            f"risk-free rate); missing {', '.join(absent)}: fetch them into the store first"
        )
    prices = prices_wide.set_axis(pd.DatetimeIndex(pd.to_datetime(prices_wide.index)), axis=0)
    prices = prices.sort_index()
    closes = prices[required].astype("float64")
    r = closes / closes.shift(1) - 1.0
    if "^IRX" in prices.columns:
        rf = daily_risk_free(prices["^IRX"])
    else:
        logger.warning("factors: no ^IRX column; ETF proxy factors use a zero risk-free rate")
        rf = pd.Series(0.0, index=prices.index)
    table = pd.DataFrame(
        {
            "MKT_RF": r["SPY"] - rf,
            "SMB": r["IWM"] - r["SPY"],
            "HML": r["IVE"] - r["IVW"],
            "MOM": r["MTUM"] - r["SPY"],
            "RF": rf,
        }
    )
    return _finish(table.mask(table.isna().any(axis=1), axis=0))


def load_factors(
    model: FactorModel,
    *,
    prices_wide: pd.DataFrame | None = None,
    cache_dir: Path | None = None,
    path: str | os.PathLike[str] | None = None,
    download: Callable[[str], bytes] | None = None,
    percent: bool | None = None,
) -> pd.DataFrame:
    """The factor table of ``model``: its :func:`factor_columns`, then ``RF`` when available.

    A user's file (``path``) wins; otherwise ``etf_factors`` is built from ``prices_wide`` by
    :func:`etf_proxy_factors` and the other models come from :func:`french_factors`. Model
    ``factors`` needs ``path`` and regresses on every column of it but ``RF``, whatever their
    names.

    Parameters
    ----------
    model
        ``"ff3"``, ``"ff5"``, ``"carhart"``, ``"etf_factors"`` or ``"factors"``.
    prices_wide
        Adjusted closes by ticker, for ``etf_factors``.
    cache_dir, download
        Passed to :func:`french_factors`.
    path, percent
        Passed to :func:`read_factor_file`.

    Raises
    ------
    SpecError
        Unknown model, ``etf_factors`` without ``prices_wide`` or ``factors`` without ``path``.
    DataError
        The file or prices lack a column the model needs.
    SourceError
        The data library is unreachable and nothing is cached.
    """
    if model == "factors":
        if path is None:
            raise SpecError(
                "factors: model factors regresses on the columns of a factor file and none was "
                "given; pass --factors FILE (a date column and one column per factor)",
                parameter="factors",
            )
        table = read_factor_file(path, percent=percent)
        names = [c for c in table.columns if c != "RF"]
        if not names:
            raise DataError(
                f"{path}: no factor column beside the date and RF; give one column per factor"
            )
        return table[[*names, *(["RF"] if "RF" in table.columns else [])]]
    columns = factor_columns(model)
    if path is not None:
        table = read_factor_file(path, percent=percent)
        absent = [c for c in columns if c not in table.columns]
        if absent:
            raise DataError(
                f"{path}: model {model} needs factor column(s) {', '.join(absent)}; "
                f"the file has {', '.join(table.columns)}"
            )
    elif model == "etf_factors":
        if prices_wide is None:
            raise SpecError(
                "model='etf_factors' needs prices_wide, adjusted closes of "
                f"{', '.join(ETF_PROXY_TICKERS)}"
            )
        table = etf_proxy_factors(prices_wide)
    else:
        table = french_factors(model, cache_dir=cache_dir, download=download)
    return table[[*columns, *(["RF"] if "RF" in table.columns else [])]]
