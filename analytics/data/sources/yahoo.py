"""Daily prices from Yahoo Finance through yfinance, the only module that imports it.

yfinance is imported lazily (inside the default download function and the retry loop) so that
importing Aftershock stays fast. The network is an injectable seam: :class:`YahooSource` takes a
``download(tickers, start, end)`` function returning a frame shaped like ``yf.download``'s, so tests
never touch the network.

yfinance reports most failures only in its log: a failed ticker comes back as empty columns, and
network errors or rate limits are swallowed per ticker. :func:`download_yahoo` turns logged
network errors and rate limits back into exceptions (so they are retried), and
:class:`YahooSource` turns empty columns into explicit ``missing`` entries.

Offline, every request would fail on its own (one DNS error per ticker batch, each network error
retried with back-off), so a first start without network took minutes. A :class:`YahooSource`
therefore checks once, quickly, that Yahoo's host answers (:func:`probe_yahoo`: a DNS lookup and
a TCP connection, a few seconds at most), and the first failure (of the probe, or a request's DNS
or network error) marks Yahoo unreachable for :data:`UNREACHABLE_SECONDS`: it is logged once,
and until then every request fails at once with the same reason, without a call.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import os
import re
import socket
import time
import urllib.parse
import urllib.request
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TypeAlias, cast

import numpy as np
import pandas as pd

from analytics.calendar import parse_date
from analytics.data.schema import ValidatedPrices, empty_prices
from analytics.data.sources import SourceResult
from analytics.errors import SourceError, SpecError

__all__ = [
    "NO_PRICES",
    "UNREACHABLE_SECONDS",
    "YAHOO_HOST",
    "Download",
    "HostUnreachableError",
    "Probe",
    "YahooSource",
    "download_yahoo",
    "probe_yahoo",
]

logger = logging.getLogger(__name__)

Download: TypeAlias = Callable[[list[str], str, str], pd.DataFrame]
"""``download(tickers, start, end)``: ISO dates, ``end`` exclusive; a frame like yf.download's."""

Probe: TypeAlias = Callable[[], str | None]
"""``probe()``: None when Yahoo answers, else why not (e.g. ``"DNS lookup failed"``)."""

NO_PRICES = "Yahoo returned no prices (delisted or unknown symbol?)"

YAHOO_HOST = "query2.finance.yahoo.com"
"""The host yfinance asks for prices."""

UNREACHABLE_SECONDS = 300.0
"""How long a failed probe or request keeps Yahoo marked unreachable (then one probe again)."""

PROBE_TIMEOUT = 3.0
"""Seconds the probe waits for the DNS answer, and again for the TCP connection."""

_FIELDS = {"Open", "High", "Low", "Close", "Adj Close", "Volume", "Dividends", "Stock Splits"}
# With auto_adjust=True, Close (and Open/High/Low) are split- and dividend-adjusted.
_RENAME = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
_RATE_LIMIT = re.compile(r"YFRateLimitError|Too Many Requests|Rate limited", re.IGNORECASE)
_NO_HOST = re.compile(r"DNSError|Could not resolve|Name or service not known", re.IGNORECASE)
_NETWORK = re.compile(
    r"Timeout|timed out|ConnectionError|DNSError|Could not resolve|curl: \(\d+\)|SSLError",
    re.IGNORECASE,
)


class HostUnreachableError(ConnectionError):
    """Yahoo's host name does not resolve: the machine is offline, so retrying is pointless."""


def probe_yahoo(
    host: str = YAHOO_HOST, *, port: int = 443, timeout: float = PROBE_TIMEOUT
) -> str | None:
    """Whether Yahoo Finance can be reached: None if so, else the reason.

    Resolves ``host`` and opens a TCP connection to its ``port`` (or to the HTTPS proxy the
    environment names, as yfinance would use it), each within ``timeout`` seconds. The lookup
    runs in a helper thread because ``getaddrinfo`` itself has no timeout.
    """
    proxy = urllib.request.getproxies().get("https")
    if proxy:
        parts = urllib.parse.urlsplit(proxy if "//" in proxy else f"//{proxy}")
        target, port = parts.hostname or host, parts.port or 443
    else:
        target = host
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        lookup = pool.submit(socket.getaddrinfo, target, port, type=socket.SOCK_STREAM)
        addresses = lookup.result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return f"DNS lookup of {target} timed out after {timeout:g} s"
    except OSError as exc:
        return f"DNS lookup of {target} failed ({exc.strerror or exc})"
    finally:
        pool.shutdown(wait=False)
    family, kind, proto, _, address = addresses[0]
    try:
        with socket.socket(family, kind, proto) as connection:
            connection.settimeout(timeout)
            connection.connect(address)
    except OSError as exc:
        return f"no connection to {target}:{port} ({exc.strerror or exc or 'timed out'})"
    return None


@functools.cache
def _use_cache_dir(path: str) -> None:
    """Point yfinance's timezone/cookie cache at ``path`` (once per path and process)."""
    import yfinance as yf

    Path(path).mkdir(parents=True, exist_ok=True)
    yf.set_tz_cache_location(path)


class _ErrorLog(logging.Handler):
    """Collects the error messages yfinance logs during one call."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def download_yahoo(
    tickers: list[str], start: str, end: str, *, cache_dir: Path | None = None
) -> pd.DataFrame:
    """Call ``yfinance.download`` for one batch; raise on failures yfinance only logs.

    Parameters
    ----------
    tickers
        Yahoo symbols.
    start, end
        ISO dates; ``end`` is exclusive, as Yahoo's.
    cache_dir
        Where yfinance keeps its timezone and cookie cache (default: yfinance's own).

    Returns
    -------
    pandas.DataFrame
        yfinance's frame: columns ``(Price, Ticker)``, adjusted prices (``auto_adjust=True``).

    Raises
    ------
    yfinance.exceptions.YFRateLimitError
        When yfinance logged a rate limit for any ticker.
    ConnectionError
        When yfinance logged a network error (timeout, DNS, connection) for any ticker.

    Notes
    -----
    Detection reads yfinance's ERROR records, so the ``yfinance`` logger must not be set above
    ERROR; silenced, such failures look like tickers without prices.
    """
    import yfinance as yf
    from yfinance.exceptions import YFRateLimitError

    if cache_dir is not None:
        _use_cache_dir(str(cache_dir))
    errors = _ErrorLog()
    yf_logger = logging.getLogger("yfinance")
    yf_logger.addHandler(errors)
    # What yfinance logs is collected and re-raised below (then logged once, by us).
    propagate, yf_logger.propagate = yf_logger.propagate, False
    try:
        with warnings.catch_warnings():
            # yfinance's own pandas deprecations are not actionable here.
            for category in (DeprecationWarning, FutureWarning):
                warnings.filterwarnings("ignore", category=category, module=r"yfinance\b")
            frame = yf.download(
                tickers=tickers,
                start=start,
                end=end,
                auto_adjust=True,
                actions=False,
                group_by="column",
                threads=True,
                progress=False,
                multi_level_index=True,
            )
    finally:
        yf_logger.removeHandler(errors)
        yf_logger.propagate = propagate
    if any(_RATE_LIMIT.search(m) for m in errors.messages):
        raise YFRateLimitError()
    network = [m for m in errors.messages if _NETWORK.search(m)]
    if any(_NO_HOST.search(m) for m in network):
        raise HostUnreachableError(network[-1])
    if network:
        raise ConnectionError(network[-1])
    return frame if frame is not None else pd.DataFrame()


def _long(frame: pd.DataFrame, batch: list[str]) -> pd.DataFrame:
    """yfinance's wide frame as long rows ``ticker, date, adj_close, open, ...`` (unvalidated)."""
    columns = frame.columns
    if isinstance(columns, pd.MultiIndex):
        price_level = 0 if set(columns.get_level_values(0)) & _FIELDS else 1
        stacked = cast(pd.DataFrame, frame.stack(level=1 - price_level))
    elif len(batch) == 1:
        stacked = frame.set_index(pd.Index(batch * len(frame)), append=True)
    else:
        raise SourceError(
            f"Yahoo answered {len(batch)} tickers with single-level columns "
            f"({', '.join(map(str, columns))}); cannot tell the tickers apart"
        )
    stacked.index = stacked.index.set_names(["date", "ticker"])
    long = stacked.rename(columns=_RENAME).reset_index()
    # A row with some fields but no Close is kept, so that split_invalid reports it.
    long["adj_close"] = long["close"] if "close" in long.columns else np.nan
    present = [c for c in ("adj_close", *_RENAME.values()) if c in long.columns]
    dates = pd.DatetimeIndex(long["date"])
    if dates.tz is not None:
        # Keep the exchange-local calendar date.
        dates = dates.tz_localize(None)
    long["date"] = dates.normalize()
    long["ticker"] = long["ticker"].astype("str").str.upper()
    # Rows absent for a ticker are all-NaN in yfinance's union index: not defects.
    return long.dropna(how="all", subset=present)[["ticker", "date", *present]]


def _drop_repeats(long: pd.DataFrame, batch_name: str) -> pd.DataFrame:
    """Keep the last of repeated (ticker, date) rows: Yahoo's late row corrects the earlier."""
    repeated = long.duplicated(["ticker", "date"], keep="last").to_numpy()
    if repeated.any():
        first = int(np.flatnonzero(repeated)[0])
        logger.warning(
            "Yahoo %s: %s repeated dates (e.g. %s %s), kept the last",
            batch_name,
            int(repeated.sum()),
            long["ticker"].iloc[first],
            long["date"].iloc[first].date(),
        )
    return long.loc[~repeated]


class _Default:
    """The type of :data:`_DEFAULT`: "not given" where None means "none"."""


_DEFAULT = _Default()


def _names(batch: list[str]) -> str:
    shown = ", ".join(batch[:5])
    return f"{shown}, ... ({len(batch)} tickers)" if len(batch) > 5 else shown


class YahooSource:
    """A :class:`~analytics.data.sources.Source` over Yahoo Finance, with batching and retries.

    Parameters
    ----------
    download
        ``download(tickers, start, end)`` returning a frame shaped like ``yf.download``'s
        (``end`` exclusive); default :func:`download_yahoo`.
    batch_size
        Tickers per request.
    retries
        Retries of a request after a network error or rate limit, waiting ``backoff * 2**k``
        seconds before retry ``k + 1`` (1, 2, 4, 8 s by default); at most one until Yahoo has
        answered a request of this source once.
    backoff
        First wait, in seconds.
    sleep
        The wait function (injectable so tests do not wait).
    cache_dir
        Directory for yfinance's timezone/cookie cache (e.g. under the store); used by the
        default download only.
    probe
        Checks, before the first request (and again once an unreachable mark expires), that
        Yahoo answers; default :func:`probe_yahoo` with the default download, none with an
        injected one. Pass ``probe=None`` to skip it.
    unreachable_seconds
        How long a failed probe or request marks Yahoo unreachable.
    clock
        Monotonic seconds (injectable so tests need not wait).
    """

    name = "yahoo"

    def __init__(
        self,
        *,
        download: Download | None = None,
        batch_size: int = 100,
        retries: int = 4,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        cache_dir: str | os.PathLike[str] | None = None,
        probe: Probe | _Default | None = _DEFAULT,
        unreachable_seconds: float = UNREACHABLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if batch_size < 1:
            raise SpecError(f"batch_size: {batch_size} must be at least 1, e.g. 100")
        if retries < 0:
            raise SpecError(f"retries: {retries} must be 0 or more, e.g. 4")
        if backoff < 0:
            raise SpecError(f"backoff: {backoff} must be 0 or more seconds, e.g. 1.0")
        cache = Path(cache_dir) if cache_dir is not None else None
        self._download = download or functools.partial(download_yahoo, cache_dir=cache)
        self.batch_size = batch_size
        self.retries = retries
        self.backoff = backoff
        self._sleep = sleep
        if isinstance(probe, _Default):
            probe = probe_yahoo if download is None else None
        self._probe = probe
        self.unreachable_seconds = unreachable_seconds
        self._clock = clock
        self._checked_at: float | None = None
        self._unreachable: str | None = None
        self._answered = False

    @property
    def unreachable(self) -> str | None:
        """Why Yahoo is marked unreachable (None when it is not, or the mark expired)."""
        if self._unreachable is None or self._checked_at is None:
            return None
        if self._clock() - self._checked_at >= self.unreachable_seconds:
            return None
        return self._unreachable

    def _mark_unreachable(self, reason: str) -> None:
        """Remember (and log, once per mark) that Yahoo cannot be reached."""
        fresh = self.unreachable is None
        self._unreachable, self._checked_at = reason, self._clock()
        if fresh:
            logger.warning(
                "Yahoo Finance unreachable (%s): not asked again for %.0f min; the data pack "
                "and the store serve prices",
                reason,
                self.unreachable_seconds / 60,
            )

    def _check_reachable(self) -> None:
        """Raise at once while Yahoo is marked unreachable; probe when due."""
        if self.unreachable is None and self._probe is not None:
            due = self._checked_at is None or (
                self._clock() - self._checked_at >= self.unreachable_seconds
            )
            if due:
                self._checked_at = self._clock()
                self._unreachable = None
                reason = self._probe()
                if reason is not None:
                    self._mark_unreachable(reason)
        reason = self.unreachable
        if reason is not None:
            raise SourceError(
                f"Yahoo Finance is unreachable ({reason}); check the network, or work offline "
                "with the data pack only",
                parameter="offline",
            )

    def get(self, tickers: list[str], start: pd.Timestamp, end: pd.Timestamp) -> SourceResult:
        """Daily prices of ``tickers`` for sessions in ``[start, end]`` (inclusive).

        Rows with missing, zero or negative prices are dropped (and logged); a ticker left
        without rows is in ``missing`` with the reason.

        Raises
        ------
        SourceError
            When a request still fails after the retries, or Yahoo is marked unreachable
            (parameter ``offline``; no request is made then).
        """
        start, end = parse_date(start, name="start"), parse_date(end, name="end")
        if start > end:
            raise SpecError(f"start: {start.date()} is after end {end.date()}; swap them")
        wanted = list(dict.fromkeys(str(t).strip().upper() for t in tickers))
        if not wanted:
            return SourceResult.of_valid(ValidatedPrices.empty(), {})
        self._check_reachable()
        size = self.batch_size
        batches = [wanted[i : i + size] for i in range(0, len(wanted), size)]
        frames = [
            self._fetch(batch, f"batch {k}/{len(batches)}", start, end)
            for k, batch in enumerate(batches, start=1)
        ]
        frame = pd.concat(frames, ignore_index=True) if frames else empty_prices()
        valid, invalid = ValidatedPrices.split(frame, origin="Yahoo Finance")
        prices = valid.frame
        if len(invalid):
            logger.warning(
                "Yahoo: dropped %s invalid rows of %s tickers (%s)",
                len(invalid),
                invalid["ticker"].nunique(),
                invalid["reason"].value_counts().to_dict(),
            )
        served = set(prices["ticker"].unique())
        bad = invalid.groupby("ticker")["reason"].agg(["size", "first"]) if len(invalid) else None
        missing = {t: NO_PRICES for t in wanted if t not in served}
        if bad is not None:
            missing |= {
                t: f"Yahoo returned only invalid prices ({n} rows; {reason})"
                for t, n, reason in bad.itertuples()
                if t in missing
            }
        return SourceResult.of_valid(valid, missing)

    def _fetch(
        self, batch: list[str], batch_name: str, start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """One batch as long rows within ``[start, end]``, retrying transient failures."""
        from yfinance.exceptions import YFException, YFRateLimitError

        first = start.strftime("%Y-%m-%d")
        after = (end + pd.Timedelta(days=1)).strftime("%Y-%m-%d")  # Yahoo's end is exclusive
        attempt = 0
        # Until Yahoo has answered once, a network error more likely means no network than a
        # hiccup: one retry then, not the full back-off (offline, that took minutes).
        first_contact = min(self.retries, 1)
        while True:
            try:
                frame = self._download(batch, first, after)
                self._answered = True
                break
            except HostUnreachableError as exc:
                self._mark_unreachable(str(exc))
                raise SourceError(
                    f"Yahoo Finance is unreachable ({exc}); check the network, or work offline "
                    "with the data pack only",
                    parameter="offline",
                ) from exc
            except (OSError, YFRateLimitError) as exc:
                attempt += 1
                answered = self._answered or isinstance(exc, YFRateLimitError)
                if attempt > (self.retries if answered else first_contact):
                    network = not isinstance(exc, YFRateLimitError)
                    if network:
                        self._mark_unreachable(f"{type(exc).__name__}: {exc}")
                    raise SourceError(
                        f"Yahoo Finance {batch_name} ({_names(batch)}) failed after {attempt} "
                        f"attempts: {exc!r}; check the network or retry later",
                        parameter="offline" if network else None,
                    ) from exc
                delay = self.backoff * 2 ** (attempt - 1)
                logger.warning(
                    "Yahoo %s attempt %s failed (%r); retrying in %.1f s",
                    batch_name,
                    attempt,
                    exc,
                    delay,
                )
                self._sleep(delay)
            except YFException as exc:
                raise SourceError(f"Yahoo Finance {batch_name} ({_names(batch)}): {exc}") from exc
        long = _long(frame, batch) if frame is not None and len(frame) else empty_prices()
        long = long[long["ticker"].isin(batch) & long["date"].between(start, end)]
        long = _drop_repeats(long, batch_name)
        logger.info(
            "Yahoo %s: %s tickers %s..%s -> %s rows for %s tickers",
            batch_name,
            len(batch),
            first,
            end.date(),
            len(long),
            long["ticker"].nunique(),
        )
        return long
