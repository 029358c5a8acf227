"""The "All US stocks" universe of a view, as the dashboard resolves it.

The members are the rule of :mod:`analytics.data.market` applied to the store: every common
stock with enough history for the view's estimation window, one ticker per company. Before a
study of that universe runs, :meth:`MarketUniverse.ensure` imports what the store lacks of every
common stock a source can price (the data pack's 5,119, a few minutes the first time on 2
shared cores, once per store and event); until the store holds any, the members are those
candidates, so the view gets a result key and its run request.

Resolved members are memoized per event, estimation window, benchmark and store snapshot: a
warm answer reads no price.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from analytics import calendar
from analytics.data.market import common_stocks, market_universe
from analytics.errors import SpecError
from analytics.study.options import DEFAULTS
from analytics.study.spec import SpecWarning, StudySpec
from analytics.workspace import Workspace
from app.dashboard.state import ViewState

__all__ = ["MarketUniverse"]

logger = logging.getLogger(__name__)

_REMEMBERED = 16

Progress = Callable[[str], None]


class MarketUniverse:
    """The "All US stocks" members of a view (one per :class:`DashboardData`).

    Parameters
    ----------
    workspace
        The study service of the calling process.
    reference
        The reference folder (the SEC list says which tickers are common stocks).
    """

    def __init__(self, workspace: Callable[[], Workspace], reference: Path | None) -> None:
        self._workspace = workspace
        self._reference = reference
        self._lock = threading.Lock()
        self._members: OrderedDict[tuple[object, ...], tuple[str, ...]] = OrderedDict()
        self._ensured: set[tuple[object, ...]] = set()
        self._candidates: tuple[str, ...] | None = None

    def _folder(self) -> Path:
        if self._reference is None:
            raise SpecError(
                "universe: 'All US stocks' needs the reference folder (the SEC company list "
                "says which tickers are common stocks); set AFTERSHOCK_REFERENCE"
            )
        return self._reference

    def candidates(self) -> tuple[str, ...]:
        """Common stocks the store or a source can price, in the SEC list's order."""
        with self._lock:
            if self._candidates is not None:
                return self._candidates
        stocks = common_stocks(self._folder())["ticker"].astype(str)
        available = self._workspace().available_tickers()
        kept = tuple(stocks if available is None else stocks[stocks.isin(available)])
        with self._lock:
            self._candidates = kept
        return kept

    def members(self, state: ViewState) -> tuple[str, ...]:
        """The universe of ``state``'s event; the candidates while the store holds none."""
        folder = self._folder()
        workspace = self._workspace()
        day0 = calendar.day_zero(state.date, state.timing)
        # The store's data files name its snapshot (a price provider in memory has none).
        snapshot = tuple(p.name for p in getattr(workspace.store, "files", list)())
        key = (day0, state.estimation, DEFAULTS.min_estimation, state.benchmark, snapshot)
        with self._lock:
            if key in self._members:
                self._members.move_to_end(key)
                return self._members[key]
        found = market_universe(
            workspace.store,
            folder,
            day0=day0,
            estimation=state.estimation,
            min_estimation=DEFAULTS.min_estimation,
            exclude=(state.benchmark,),
        )
        if not found:
            return tuple(t for t in self.candidates() if t != state.benchmark)
        with self._lock:
            self._members[key] = found
            while len(self._members) > _REMEMBERED:
                self._members.popitem(last=False)
        return found

    def ensure(self, state: ViewState, *, progress: Progress | None = None) -> None:
        """Import into the store what it lacks of the candidates' prices for ``state``'s study
        (its estimation and event windows, its placebo's pre-event period and the price
        chart's sessions); once per process and event."""
        day0 = calendar.day_zero(state.date, state.timing)
        # The placebo draws its pseudo-events from before the estimation window: more history.
        key = (day0, state.estimation, state.windows, state.benchmark, state.placebo > 0)
        with self._lock:
            if key in self._ensured:
                return
        candidates = self.candidates()
        if progress is not None:
            progress(f"Checking prices of {len(candidates):,} US stocks")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SpecWarning)
            spec = StudySpec.from_options(state.options(candidates))
        workspace = self._workspace()

        def report(done: int, planned: int) -> None:
            if progress is not None:
                progress(f"Importing US stock prices: request {done} of {planned}")

        started = time.monotonic()
        fetched = workspace.ensure_prices(spec, progress=report)
        logger.info(
            "all US stocks: %d rows imported for %d candidates in %.1f s",
            fetched.rows_written,
            len(candidates),
            time.monotonic() - started,
        )
        with self._lock:
            self._ensured.add(key)
