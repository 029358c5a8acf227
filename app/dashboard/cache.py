"""The dashboard's data: memoized loaders and the study-result cache keyed by spec.

Callbacks never load files themselves: they ask a :class:`DashboardData`, which reads each
reference table and the news folder once per process and keeps study results in a file cache
that the background study worker (a separate process) writes and the page callbacks read. That
cache holds pickles, so it lives in a private directory of the server process (mode 0700,
outside the store): whoever could write it could run code in the server.
A result's key hashes the spec together with the store's snapshot, so a refresh of the prices
invalidates results computed on the old data.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar, cast

import pandas as pd
from flask_caching.backends import FileSystemCache

from analytics import calendar
from analytics.article_study import ArticleProposal, check_article_claims, propose_study
from analytics.data.factors import FRENCH_FILES
from analytics.data.reference import (
    company_aliases,
    sec_companies,
    sp500,
)
from analytics.data.store import PriceStore
from analytics.data.sync import FetchReport
from analytics.errors import AftershockError, SpecError
from analytics.news import Article, find_companies, load_articles
from analytics.news.checks import CheckedClaim
from analytics.news.markers import ArticleEvent, NewsMarker, article_events, news_markers
from analytics.study.covariates import SECTOR
from analytics.study.result import StudyResult
from analytics.study.spec import INVALID_TICKER, SpecWarning, StudySpec
from analytics.workspace import Workspace
from app.charts import figures
from app.charts.figures import ChartInputs
from app.dashboard.market import MarketUniverse
from app.dashboard.security import private_directory
from app.dashboard.state import (
    DEEPSEEK_UNIVERSE,
    DEFAULT_STATE,
    MODELS,
    ONLINE_MODELS,
    ViewState,
    universe,
)
from app.dashboard.tickers import TickerIndex
from app.settings import Settings, open_workspace

__all__ = ["DashboardData", "Prepared", "Progress", "missing_lines"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[str], None]
"""Receives one line of progress text for the running indicator."""

_RECENT_RESULTS = 8
_MAX_CACHED_RESULTS = 500


NO_DATA_PACK = (
    "No data pack is configured, so only the store and Yahoo Finance can serve prices: set "
    "AFTERSHOCK_DATA to a folder of price files (make run uses ../shared/market-data)"
)
_NAMED = 8


def missing_lines(missing: Mapping[str, str]) -> list[str]:
    """One line per reason tickers were left without prices, naming the first few of them.

    >>> missing_lines({"B": "offline", "A": "offline", "C": "not in the data"})
    ['2 tickers (A, B): offline', '1 ticker (C): not in the data']
    """
    by_reason: dict[str, list[str]] = {}
    for ticker, reason in sorted(missing.items()):
        by_reason.setdefault(reason, []).append(ticker)
    lines = []
    for reason, tickers in by_reason.items():
        named = ", ".join(tickers[:_NAMED])
        if len(tickers) > _NAMED:
            named += f" and {len(tickers) - _NAMED} more"
        noun = "ticker" if len(tickers) == 1 else "tickers"
        lines.append(f"{len(tickers)} {noun} ({named}): {reason}")
    return lines


@dataclass(frozen=True, kw_only=True)
class Prepared:
    """A study ready to run or render: its spec and the key of its result."""

    spec: StudySpec
    key: str


class DashboardData:
    """Memoized access to everything the dashboard reads (one instance per app).

    Parameters
    ----------
    settings
        Where the store, data pack, news and reference folders are.
    cache_dir
        Where study results are cached; default: a new private directory (see
        :func:`app.dashboard.security.private_directory`). Processes forked from this one share it.
    """

    def __init__(self, settings: Settings, *, cache_dir: Path | None = None) -> None:
        self.settings = settings
        self.cache_dir = private_directory() if cache_dir is None else cache_dir
        self._results = FileSystemCache(
            str(self.cache_dir),
            threshold=_MAX_CACHED_RESULTS,
            default_timeout=0,
        )
        self._recent: OrderedDict[str, StudyResult] = OrderedDict()
        self._lock = threading.Lock()
        self._cross_section_lock = threading.Lock()
        self._workspaces: dict[int, Workspace] = {}
        self._inputs: OrderedDict[str, ChartInputs] = OrderedDict()
        self._proposals: OrderedDict[str, ArticleProposal | None] = OrderedDict()
        self._news_events: tuple[str, tuple[ArticleEvent, ...]] | None = None
        self.market = MarketUniverse(self.workspace, settings.reference)
        """The "All US stocks" members of a view (:mod:`app.dashboard.market`)."""
        # Why a news or reference folder could not be read (shown in the page's banner).
        self.problems: list[str] = []

    def _load(self, what: str, load: Callable[[], T], empty: T) -> T:
        """``load()``, or ``empty`` with the reason kept in :attr:`problems`."""
        try:
            return load()
        except AftershockError as exc:
            logger.warning("%s unavailable: %s", what, exc)
            self.problems.append(f"{what}: {exc}")
            return empty

    # -- reference data and news ---------------------------------------------------------------

    @cached_property
    def articles(self) -> dict[str, Article]:
        """Articles of the news folder by file name; empty without a news folder."""
        folder = self.settings.news
        if folder is None:
            return {}
        articles: list[Article] = self._load("news", lambda: load_articles(folder), [])
        return {a.source: a for a in articles}

    def proposal(self, article: Article) -> ArticleProposal | None:
        """The study ``article`` proposes (day 0, timing, named companies, peers and index funds
        the data can price; no comparison group: the dashboard charts the article's firms), or
        None when it proposes none (no date, no company, no reference tables)."""
        key = hashlib.sha256(
            "\x00".join((article.source, article.headline, article.body, str(article.date))).encode(
                "utf-8", "surrogatepass"
            )
        ).hexdigest()
        with self._lock:
            if key in self._proposals:
                return self._proposals[key]
        reference = self.settings.reference
        proposal = None
        if reference is not None:
            try:
                proposal = propose_study(
                    article,
                    reference,
                    comparison=False,
                    available=self.workspace().available_tickers(),
                )
            except AftershockError as exc:
                logger.info("no study proposed for %s: %s", article.source, exc)
        with self._lock:
            self._proposals[key] = proposal
            while len(self._proposals) > 32:
                self._proposals.popitem(last=False)
        return proposal

    def claims(self, proposal: ArticleProposal, key: str | None) -> list[CheckedClaim]:
        """The proposal's claims checked against the prices, with the abnormal returns of the
        cached study ``key`` (its firms are the market for dollar claims)."""
        result = self.result(key)
        if result is None or not proposal.claims:
            return []
        return check_article_claims(self.workspace(), proposal.claims, result)

    def news_markers(self, tickers: Sequence[str]) -> tuple[NewsMarker, ...]:
        """The stored articles that name one of ``tickers``, as markers for the price chart.

        Each article's day 0 and companies are read once for the news folder's contents (a
        digest of the articles as loaded), not on every chart drawn.
        """
        articles = list(self.articles.values())
        digest = hashlib.sha256()
        for a in articles:
            for part in (a.source, a.headline, a.body, str(a.date), str(a.timing)):
                digest.update(part.encode("utf-8", "surrogatepass") + b"\x00")
        key = digest.hexdigest()
        with self._lock:
            cached = self._news_events
        if cached is None or cached[0] != key:
            cached = (key, article_events(articles, self.aliases))
            with self._lock:
                self._news_events = cached
        return news_markers(cached[1], tickers)

    def article_options(self) -> list[dict[str, str]]:
        """``{"value": file, "label": headline}`` for the article picker."""
        return [{"value": name, "label": a.headline} for name, a in self.articles.items()]

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Company names (lower case) → ticker, for finding mentions in articles."""
        folder = self.settings.reference
        if folder is None:
            return {}
        return self._load("company names", lambda: company_aliases(folder), {})

    @cached_property
    def sp500(self) -> pd.DataFrame:
        """The S&P 500 snapshot (empty without a reference folder)."""
        empty = pd.DataFrame({"ticker": [], "name": [], "sector": []})
        folder = self.settings.reference
        if folder is None:
            return empty
        return self._load("S&P 500 snapshot", lambda: sp500(folder), empty)

    @cached_property
    def sector_members(self) -> dict[str, tuple[str, ...]]:
        """S&P 500 sector → member tickers, largest market cap first."""
        frame = self.sp500
        if "market_cap" in frame.columns:
            frame = frame.sort_values("market_cap", ascending=False)
        return {
            str(sector): tuple(group["ticker"].astype(str))
            for sector, group in frame.groupby("sector", sort=True)
        }

    @property
    def sectors(self) -> pd.Series:
        """Ticker → sector (S&P 500 snapshot, then SIC for other technology companies)."""
        return self.workspace().sector_labels

    @property
    def market_caps(self) -> pd.DataFrame | None:
        """``ticker, date, market_cap`` of the S&P 500 snapshot, for the dollar impact."""
        return self.workspace().market_caps

    @cached_property
    def ticker_options(self) -> list[dict[str, str]]:
        """Options of the ticker picker: the demo universe and ETFs, then the SEC list.

        A company's label shows its S&P 500 name when it has one (``Costco Wholesale
        Corporation``), else the SEC title.
        """
        return self._ticker_index.options()

    @cached_property
    def _ticker_index(self) -> TickerIndex:
        folder = self.settings.reference
        empty = pd.DataFrame({"ticker": [], "name": []})
        sec = (
            empty
            if folder is None
            else self._load("SEC tickers", lambda: sec_companies(folder), empty)
        )
        return TickerIndex.build((*DEEPSEEK_UNIVERSE, "SPY", "QQQ", "SMH"), self.sp500, sec)

    def search_tickers(
        self, query: str | None, selected: Sequence[str] = (), *, limit: int = 40
    ) -> list[dict[str, str]]:
        """Ticker options matching ``query``, plus the ``selected`` tickers (first), so the
        picker never ships the whole SEC list to the page (see
        :meth:`app.dashboard.tickers.TickerIndex.search`)."""
        return self._ticker_index.search(query, selected, limit=limit)

    def known_ticker(self, text: str | None) -> str | None:
        """``text`` as a ticker of the picker's list (``brk.b`` → ``BRK-B``), or None."""
        return self._ticker_index.known(text)

    def model_options(self) -> list[dict[str, Any]]:
        """Options of the model picker; offline, a Kenneth French model is disabled unless its
        factor files are cached, and model ``factors`` unless the workspace has a factor file
        (each label says why)."""
        workspace = self.workspace()
        offline = self.settings.offline or bool(getattr(workspace, "offline", False))
        folder = workspace.factor_cache / "factors" if workspace.factor_cache else None
        options: list[dict[str, Any]] = []
        for key, label in MODELS.items():
            files = FRENCH_FILES.get(key, ()) if key in ONLINE_MODELS else ()
            cached = folder is not None and all((folder / name).is_file() for name in files)
            if key == "factors" and workspace.factors_file is None:
                options.append(
                    {
                        "value": key,
                        "label": f"{label}: needs a factor file (aftershock study --factors)",
                        "disabled": True,
                    }
                )
            elif offline and files and not cached:
                options.append(
                    {
                        "value": key,
                        "label": f"{label}: offline, factors not cached",
                        "disabled": True,
                    }
                )
            else:
                options.append({"value": key, "label": label})
        return options

    # -- prices --------------------------------------------------------------------------------

    def workspace(self) -> Workspace:
        """The study service, one per process (the background worker is a forked process)."""
        pid = os.getpid()
        with self._lock:
            if pid not in self._workspaces:
                workspace = open_workspace(self.settings)
                # An unreadable reference folder is a banner line, not a failed study: the
                # studies run without market caps and the charts without sectors.
                workspace.market_caps = self._load(
                    "market caps", lambda: workspace.market_caps, None
                )
                workspace.sector_labels = self._load(
                    "sectors", lambda: workspace.sector_labels, pd.Series(dtype="str")
                )
                self._workspaces[pid] = workspace
            return self._workspaces[pid]

    def chart_inputs(
        self,
        key: str,
        result: StudyResult,
        *,
        headline: str | None = None,
        pinned: Sequence[str] = (),
    ) -> ChartInputs:
        """The chart inputs of result ``key`` (read once per result), with the article's
        ``headline`` and ``pinned`` tickers for the price chart."""
        with self._lock:
            inputs = self._inputs.get(key)
        if inputs is None:
            inputs = figures.load_inputs(self.workspace(), result)
            with self._lock:
                self._inputs[key] = inputs
                while len(self._inputs) > _RECENT_RESULTS:
                    self._inputs.popitem(last=False)
        return replace(inputs, headline=headline, pinned=tuple(pinned))

    def store(self) -> PriceStore:
        """The price store of this process's workspace."""
        return cast(PriceStore, self.workspace().store)

    def ensure_prices(self, spec: StudySpec, *, progress: Progress | None = None) -> FetchReport:
        """Fetch what the store lacks for ``spec`` through the workspace's source chain.

        Raises :class:`SpecError` when no source is configured (offline without a data pack).
        """
        workspace = self.workspace()
        if not workspace.sources:
            raise SpecError(
                "no price source: AFTERSHOCK_OFFLINE is set and AFTERSHOCK_DATA is not; "
                "point AFTERSHOCK_DATA at a data pack or unset AFTERSHOCK_OFFLINE"
            )

        def report(done: int, planned: int) -> None:
            if progress is not None:
                progress(f"Fetching prices: request {done} of {planned}")

        return workspace.ensure_prices(spec, progress=report)

    def _check_demo_claims(self, key: str) -> None:
        """Check the demo article's claims now: they fetch prices of their own, and a store
        write on the first visit would change every result key, so the visit after it ran
        the demo study again. Runs the study again if the store changed."""
        article = self.articles.get(DEFAULT_STATE.article or "")
        proposal = None if article is None else self.proposal(article)
        if proposal is None or not proposal.claims:
            return
        self.claims(proposal, key)
        self.run(DEFAULT_STATE, fetch=False)  # cached unless the claims' prices were new

    def prepare_demo(self) -> list[str]:
        """Fetch the DeepSeek demo's missing prices and run it, so the first visit is fast.

        Also builds the company-name matcher and reads the articles' news markers. Returns
        banner lines for whatever went wrong.
        """
        find_companies("", self.aliases)
        _ = self.articles, self.sector_members, self.sectors, self.market_caps
        self.news_markers(())  # reads every article's day 0 and companies once
        try:
            report = self.ensure_prices(self.prepare(DEFAULT_STATE).spec)
        except AftershockError as exc:
            lines = [f"The demo's prices could not be fetched: {exc}"]
        else:
            missing = missing_lines(report.missing)
            if missing and self.settings.data_pack is None:
                missing.insert(0, NO_DATA_PACK)
            # A failed source matters only when it left prices missing: offline, Yahoo is
            # asked for sessions no source has (e.g. before a listing) and fails harmlessly.
            reasons = set(report.missing.values())
            lines = [*missing, *(e for e in report.errors if e not in reasons)] if missing else []
            if report.errors and not missing:
                logger.info("demo prices complete; a source failed: %s", "; ".join(report.errors))
            try:
                key = self.run(DEFAULT_STATE, fetch=False)  # prices were just fetched above
                self._check_demo_claims(key)
            except AftershockError as exc:
                lines.append(f"The demo study could not run: {exc}")
        if lines:
            logger.warning("demo data incomplete: %s", "; ".join(lines))
        return [*self.problems, *lines]

    # -- studies -------------------------------------------------------------------------------

    def prepare(self, state: ViewState) -> Prepared:
        """The spec of a view and its result key; raises :class:`SpecError` for a bad view."""
        day0 = calendar.day_zero(state.date, state.timing)
        today = pd.Timestamp.today().normalize()
        if day0 > today:
            moved = f" (day 0 {day0:%a %d %b %Y})" if day0.date() != state.date else ""
            raise SpecError(
                f"event date: {state.date:%a %d %b %Y}{moved} is in the future: there are no "
                f"prices yet; pick a date up to today ({today:%d %b %Y})"
            )
        market = self.market.members(state) if state.preset == "allus" else ()
        members = list(universe(state, self.sector_members, market))
        # The benchmark stays in: the spec drops it with the reason the Excluded panel shows.
        if not [t for t in members if t != state.benchmark]:
            raise SpecError(
                f"tickers: the universe holds only the benchmark {state.benchmark}; add tickers"
            )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SpecWarning)
            spec = StudySpec.from_options(
                state.options(members),
                dropped=[(symbol, INVALID_TICKER) for symbol in state.invalid],
            )
        return Prepared(spec=spec, key=self._key(spec))

    def _key(self, spec: StudySpec) -> str:
        snapshot = ",".join(p.name for p in self.store().files())
        return hashlib.sha256(f"{spec.digest()}|{snapshot}".encode()).hexdigest()[:32]

    def result(self, key: str | None) -> StudyResult | None:
        """The cached result of ``key``, or None."""
        if not key:
            return None
        with self._lock:
            if key in self._recent:
                self._recent.move_to_end(key)
                return self._recent[key]
        result = self._results.get(key)
        if isinstance(result, StudyResult):
            self._remember(key, result)
            return result
        return None

    def _remember(self, key: str, result: StudyResult) -> None:
        with self._lock:
            self._recent[key] = result
            self._recent.move_to_end(key)
            while len(self._recent) > _RECENT_RESULTS:
                self._recent.popitem(last=False)

    def run(
        self,
        state: ViewState,
        *,
        progress: Progress | None = None,
        fetch: bool = True,
        placebo: bool = True,
    ) -> str:
        """Fetch missing prices (unless ``fetch`` is false: the caller just did), run the study
        of ``state`` (without its placebo test if ``placebo`` is false), cache it; return the
        result key.

        Raises the engine's :class:`AftershockError` when the study cannot run.
        """
        say = progress or (lambda text: None)
        if fetch and state.preset == "allus":
            # The universe is read from the store: its prices come first. They cover every
            # member, so only added tickers are left to check.
            self.market.ensure(state, progress=say)
            fetch = bool(state.tickers)
        prepared = self.prepare(state if placebo else replace(state, placebo=0))
        spec, key = prepared.spec, prepared.key
        if fetch:
            say(f"Checking prices of {len(spec.tickers)} tickers")
            self.ensure_prices(spec, progress=say)
            key = self._key(spec)  # a fetch that wrote prices made a new store snapshot
        cached = self.result(key)
        if cached is not None:
            return key

        def engine(step: str, fraction: float) -> None:
            say(f"{step.capitalize()} ({fraction:.0%})")

        result = self.workspace().run(spec, fetch=False, progress=engine)
        self._results.set(key, result)
        self._remember(key, result)
        return key

    def cross_section(self, key: str | None) -> StudyResult | None:
        """Study ``key`` with its firms grouped by sector and their CARs regressed on market
        beta (when its model estimates one), without the placebo: run on first use, cached.

        Raises the engine's :class:`AftershockError` when it cannot run (no sectors).
        """
        result = self.result(key)
        if result is None:
            return None
        spec = replace(result.spec, group_by=SECTOR, placebo=0)
        with contextlib.suppress(SpecError):  # market-adjusted, constant mean: no beta
            spec = replace(spec, regress=("beta",))
        variant = self._key(spec)
        # Both charts of the tab ask at once: one run, the other waits for its result.
        with self._cross_section_lock:
            cached = self.result(variant)
            if cached is not None:
                return cached
            computed = self.workspace().run(spec, fetch=False)
            self._results.set(variant, computed)
            self._remember(variant, computed)
            return computed

    def sector_of(self, tickers: Sequence[str]) -> pd.Series:
        """Sector of each ticker, as the study service labels it (see
        :meth:`analytics.workspace.Workspace.sectors`)."""
        return self.workspace().sectors(tickers)
