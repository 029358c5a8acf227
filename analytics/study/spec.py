"""The event-study specification: what to study, validated once at the boundary.

A :class:`StudySpec` is a frozen, keyword-only value object. Build it with
:meth:`StudySpec.create`, which accepts the convenient forms (one date for a list of tickers, or a
table of ``(ticker, date[, timing])`` rows; windows as ``(a, b)`` pairs or ``"a:b"`` text) and
normalizes them. Every check raises a :class:`~analytics.errors.SpecError` naming the parameter,
the bad value and the fix.

Normalization choices:

- tickers follow the one grammar of :mod:`analytics.tickers` (Yahoo form: ``brk.b`` is
  ``BRK-B``, ``^IRX``; ASCII letters, digits, ``-``, ``=`` and a leading ``^``);
- a firm-event that repeats an earlier one (same ticker, same day 0) is dropped with a
  :class:`SpecWarning`, as is the benchmark when it is listed as a firm (it is never a firm);
  each dropped input is kept, with its reason, in :attr:`StudySpec.dropped` (the result lists
  it among its exclusions);
- event windows are de-duplicated, keeping their first order.

Every default (benchmark, model, windows, placebo, ...) is the one of
:class:`~analytics.study.options.StudyOptions`, which also holds the window grammar
(:func:`parse_window`); :meth:`StudySpec.from_options` builds a spec from validated options.

>>> spec = StudySpec.create(tickers="nvda, avgo", date="2025-01-27")
>>> spec.tickers, spec.window_keys
(('NVDA', 'AVGO'), ('0:0', '-1:1', '-5:5'))
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cached_property
from typing import cast

import numpy as np
import pandas as pd

from analytics.calendar import DateLike, day_zero_many, parse_date, parse_dates
from analytics.errors import SpecError
from analytics.study.covariates import check_covariates, extra_columns
from analytics.study.events import (
    FirmEvent,
    event_columns,
    firm_events_of,
    parse_tickers,
    split_tickers,
    ticker_of,
    tickers_of,
    timestamps,
    timing_of,
    timings_of,
)
from analytics.study.options import (
    DEFAULTS,
    FACTOR_MODELS,
    GARCH_MODELS,
    MAX_BOOTSTRAP,
    MAX_DIMSON_LAGS,
    MAX_PLACEBO,
    MAX_SESSIONS,
    MODELS,
    STANDARDIZATIONS,
    ModelName,
    ReturnKind,
    SpikeScreen,
    Standardization,
    StudyOptions,
    Window,
    WindowLike,
    _as_int,
    parse_group_by,
    parse_regressors,
    parse_window,
    parse_windows,
    window_key,
)

__all__ = [
    "FACTOR_MODELS",
    "GARCH_MODELS",
    "INVALID_TICKER",
    "IS_BENCHMARK",
    "MAX_SESSIONS",
    "MODELS",
    "REPEATED",
    "FirmEvent",
    "ModelName",
    "ReturnKind",
    "SpecWarning",
    "SpikeScreen",
    "StudySpec",
    "Window",
    "parse_tickers",
    "parse_window",
    "window_key",
]

_D = DEFAULTS
IS_BENCHMARK = "is the benchmark"
REPEATED = "repeats an earlier firm-event"
INVALID_TICKER = "invalid ticker"
"""The reason a caller gives for a ticker it dropped because its syntax is invalid."""
_LISTED = 10
"""Most firm-events a warning names; the rest are counted (one line, however many)."""
_CREATED_EVENTS: ContextVar[tuple[tuple[FirmEvent, ...], pd.DataFrame] | None] = ContextVar(
    "_CREATED_EVENTS", default=None
)
"""The firm-events :meth:`StudySpec.create` built and checked, with their events table: the
spec it constructs takes both instead of checking them again (twice as fast)."""


class SpecWarning(UserWarning):
    """A spec was usable only after dropping something (a duplicate or the benchmark)."""


@dataclass(frozen=True, kw_only=True)
class StudySpec:
    """A validated event-study specification.

    Parameters
    ----------
    firm_events
        The firm-events, each with a distinct ``(ticker, day0)``; ``event_id`` numbers them.
    benchmark
        Market benchmark symbol; never treated as a firm.
    model
        Normal-return model, one of :data:`MODELS`.
    dimson_lags
        K of model ``dimson``: the betas on ``R_m,t-K .. R_m,t+K`` are summed.
    estimation
        Inclusive estimation window in relative trading days; it must end before every event
        window starts (the gap between them is implied).
    windows
        Inclusive event windows, in the order results report them.
    returns
        ``"simple"`` (``P_t/P_{t-1} - 1``) or ``"log"`` (``log(P_t/P_{t-1})``).
    min_estimation
        Fewest valid estimation returns a firm-event needs; at most the estimation length.
    placebo
        Number K of placebo draws (pseudo day 0s in the pre-event period); 0 switches it off.
    seed
        Seed of the placebo and bootstrap draws, for reproducible p-values.
    bootstrap
        Draws B of the wild bootstrap of CAAR; 0 switches it off.
    standardization
        ``"exact"`` (SCAR = CAR / sqrt(Var(CAR)), the exact prediction-error variance) or
        ``"sum_sar"`` (SCAR = sum of the day SARs / sqrt(L), ignoring their covariance).
    spike_screen
        ``"exclude"`` firm-events with an implausible price spike from aggregates, only
        ``"flag"`` them, or ``"off"``.
    spike_threshold
        A session return is a spike candidate when ``|log(1+R)| > log(1+spike_threshold)``
        (3.0: above +300% or below -75%); it is a spike when the next session reverses it.
    spike_jump
        A single-session price ratio above this is a spike even if never reversed.
    dropped
        Inputs left out before the study, as ``(ticker, reason)`` pairs: the benchmark given
        as a firm (``"is the benchmark"``), a repeated firm-event, or what the caller dropped
        (e.g. ``"invalid ticker"`` from a link).
    regress
        Regressors of the cross-sectional regression of CARs: ``beta``, ``log_mcap`` or a
        numeric covariate; empty for none.
    group_by
        ``"sector"`` (the reference sectors, unless a covariate is named so) or a covariate;
        None for no groups.
    covariates
        Firm covariates as ``(column, values)`` pairs, one text value per firm-event in
        ``firm_events`` order (``""`` when missing): the extra columns of an events table.
    """

    firm_events: tuple[FirmEvent, ...]
    benchmark: str = _D.benchmark
    model: ModelName = _D.model
    dimson_lags: int = _D.dimson_lags
    estimation: Window = _D.estimation
    windows: tuple[Window, ...] = _D.windows
    returns: ReturnKind = _D.returns
    min_estimation: int = _D.min_estimation
    placebo: int = _D.placebo
    seed: int | None = _D.seed
    bootstrap: int = _D.bootstrap
    standardization: Standardization = _D.standardization
    spike_screen: SpikeScreen = _D.spike_screen
    spike_threshold: float = _D.spike_threshold
    spike_jump: float = _D.spike_jump
    dropped: tuple[tuple[str, str], ...] = ()
    regress: tuple[str, ...] = _D.regress
    group_by: str | None = _D.group_by
    covariates: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def __post_init__(self) -> None:
        created = _CREATED_EVENTS.get()
        if created is not None and created[0] is self.firm_events:
            self.__dict__["_events"] = created[1]  # the cached_property's slot
        else:
            self._check_events()
        check_covariates(
            self.covariates,
            regress=self.regress,
            group_by=self.group_by,
            model=self.model,
            n_events=len(self.firm_events),
        )
        if not all(
            isinstance(d, tuple) and len(d) == 2 and all(isinstance(v, str) for v in d)
            for d in self.dropped
        ):
            raise SpecError(f"dropped: {self.dropped!r} must be (ticker, reason) pairs of text")
        ticker_of(self.benchmark, "benchmark")
        if self.benchmark != self.benchmark.strip().upper():
            raise SpecError(f"benchmark: {self.benchmark!r} must be upper-case without spaces")
        if self.model not in MODELS:
            raise SpecError(f"model: {self.model!r} is not one of {', '.join(MODELS)}")
        if self.returns not in ("simple", "log"):
            raise SpecError(f"returns: {self.returns!r} is not one of simple, log")
        if self.standardization not in STANDARDIZATIONS:
            raise SpecError(
                f"standardization: {self.standardization!r} is not one of "
                f"{', '.join(STANDARDIZATIONS)}"
            )
        if self.spike_screen not in ("exclude", "flag", "off"):
            raise SpecError(f"spike_screen: {self.spike_screen!r} is not one of exclude, flag, off")
        self._check_windows()
        self._check_numbers()

    def _check_events(self) -> None:
        if not self.firm_events:
            raise SpecError("tickers: no firm to study; give at least one ticker")
        given = np.fromiter((e.ticker for e in self.firm_events), object, len(self.firm_events))
        normalized = tickers_of(given, "ticker", by_row=False)
        changed = np.flatnonzero(normalized != given)
        if changed.size:
            raise SpecError(
                f"ticker: {given[changed[0]]!r} is not normalized; build specs with "
                "StudySpec.create"
            )
        if (normalized == self.benchmark).any():
            raise SpecError(
                f"tickers: the benchmark {self.benchmark} cannot also be a firm; remove it"
            )
        timings_of([e.timing for e in self.firm_events], "timing", by_row=False)
        table = self._events
        repeated = np.flatnonzero(table.duplicated(["ticker", "day0"]).to_numpy())
        if repeated.size:
            row = table.iloc[int(repeated[0])]
            raise SpecError(
                f"tickers: {row['ticker']} on day 0 {row['day0'].date()} is listed twice; "
                "remove the duplicate (StudySpec.create drops it)"
            )
        if not table["event_id"].is_unique:
            raise SpecError("firm_events: event_id values repeat; number firm-events uniquely")

    def digest(self) -> str:
        """A hex digest of every setting and firm-event, equal for equal specs in any process
        (a cache key: the firm-events are hashed as one table, not spelled out one by one).

        >>> a = StudySpec.create(tickers="NVDA AMD", date="2025-01-27")
        >>> a.digest() == StudySpec.create(tickers="NVDA,AMD", date="2025-01-27").digest()
        True
        >>> a.digest() == StudySpec.create(tickers="AMD NVDA", date="2025-01-27").digest()
        False
        """
        settings = [(f, getattr(self, f)) for f in self.__dataclass_fields__ if f != "firm_events"]
        rows = pd.util.hash_pandas_object(
            self._events[["ticker", "date", "timing"]], index=False
        ).to_numpy()
        digest = hashlib.sha256(repr(settings).encode())
        digest.update(rows.tobytes())
        return digest.hexdigest()

    def subset(self, positions: Sequence[int] | np.ndarray) -> StudySpec:
        """The same study on the firm-events at ``positions`` (distinct places in
        :attr:`firm_events`), without the dropped inputs. A part of a valid spec is valid, so
        nothing is checked again: the out-of-core engine cuts a million firm-events into
        chunks in well under a second."""
        at = np.asarray(positions, dtype=np.intp)
        part = object.__new__(StudySpec)
        for name in self.__dataclass_fields__:
            object.__setattr__(part, name, getattr(self, name))
        object.__setattr__(part, "firm_events", tuple(self.firm_events[i] for i in at.tolist()))
        object.__setattr__(
            part,
            "covariates",
            tuple(
                (name, tuple(values[i] for i in at.tolist())) for name, values in self.covariates
            ),
        )
        object.__setattr__(part, "dropped", ())
        part.__dict__["_events"] = self._events.iloc[at].reset_index(drop=True)
        return part

    @property
    def covariate_frame(self) -> pd.DataFrame:
        """The covariates as a table: one row per firm-event, one text column per covariate."""
        return pd.DataFrame(
            {name: list(values) for name, values in self.covariates},
            index=pd.RangeIndex(len(self.firm_events)),
        )

    def _check_windows(self) -> None:
        if parse_window(self.estimation, name="estimation") != self.estimation:
            raise SpecError(f"estimation: {self.estimation!r} must be a tuple of two ints")
        if not self.windows:
            raise SpecError("windows: no event window; give at least one, e.g. -1:1")
        for window in self.windows:
            if parse_window(window, name="windows") != window:
                raise SpecError(f"windows: {window!r} must be a tuple of two ints")
        if len(set(self.windows)) != len(self.windows):
            raise SpecError(f"windows: {self.windows!r} repeats a window; list each once")
        first = min(a for a, _ in self.windows)
        if self.estimation[1] >= first:
            raise SpecError(
                f"estimation: {window_key(self.estimation)} is overlapping the event window "
                f"starting at day {first}; end the estimation window before day {first}"
            )

    def _check_numbers(self) -> None:
        length = self.estimation[1] - self.estimation[0] + 1
        m = _as_int(self.min_estimation, "min_estimation")
        if not 3 <= m <= length:
            raise SpecError(
                f"min_estimation: {self.min_estimation} must be between 3 and the estimation "
                f"length {length}; lower it or widen the estimation window"
            )
        lags = _as_int(self.dimson_lags, "dimson_lags")
        if not 1 <= lags <= MAX_DIMSON_LAGS:
            raise SpecError(
                f"dimson_lags: {self.dimson_lags} must be between 1 and {MAX_DIMSON_LAGS}, e.g. 1"
            )
        k = _as_int(self.placebo, "placebo")
        if not 0 <= k <= MAX_PLACEBO:
            raise SpecError(f"placebo: {self.placebo} must be between 0 and {MAX_PLACEBO}")
        if k and self.placebo_shifts[0] > self.placebo_shifts[1]:
            raise SpecError(
                f"placebo: no room for pseudo events between estimation start "
                f"{self.estimation[0]} and the event windows; widen the estimation window or "
                "set placebo to 0"
            )
        if self.seed is not None:
            _as_int(self.seed, "seed")
        b = _as_int(self.bootstrap, "bootstrap")
        if not 0 <= b <= MAX_BOOTSTRAP:
            raise SpecError(f"bootstrap: {self.bootstrap} must be between 0 and {MAX_BOOTSTRAP}")
        if not self.spike_threshold > 0:
            raise SpecError(
                f"spike_threshold: {self.spike_threshold!r} must be positive, e.g. 3.0 for +300%"
            )
        if not self.spike_jump > 1:
            raise SpecError(
                f"spike_jump: {self.spike_jump!r} must be a price ratio above 1, e.g. 10"
            )

    @classmethod
    def create(
        cls,
        *,
        tickers: str | Iterable[str] | None = None,
        date: DateLike | None = None,
        timing: str = _D.timing,
        events: pd.DataFrame | Iterable[Sequence[object]] | None = None,
        benchmark: str = _D.benchmark,
        model: str = _D.model,
        dimson_lags: int = _D.dimson_lags,
        estimation: WindowLike = _D.estimation,
        windows: WindowLike | Iterable[WindowLike] = _D.windows,
        returns: str = _D.returns,
        min_estimation: int = _D.min_estimation,
        placebo: int = _D.placebo,
        seed: int | None = _D.seed,
        bootstrap: int = _D.bootstrap,
        standardization: str = _D.standardization,
        spike_screen: str = _D.spike_screen,
        spike_threshold: float = _D.spike_threshold,
        spike_jump: float = _D.spike_jump,
        dropped: Iterable[tuple[str, str]] = (),
        regress: str | Iterable[str] = _D.regress,
        group_by: str | None = _D.group_by,
    ) -> StudySpec:
        """Build a spec from convenient inputs; see the class for the parameters.

        The columns of an ``events`` table other than ticker, date and timing become the
        spec's :attr:`covariates` (column names lower-cased, values as text).

        ``windows`` may also be one text such as ``"0:0 -1:1 -5:5"`` or a single ``(a, b)`` pair.
        Give either ``tickers`` (a list, or text separated by commas or spaces) with one ``date``
        and ``timing``, or ``events``: a table with columns ``ticker``, ``date`` and optionally
        ``timing`` (or an iterable of such rows), whose missing timings default to ``timing``.
        Duplicate firm-events and the benchmark listed as a firm are dropped with a
        :class:`SpecWarning` and kept in :attr:`dropped` after the ``dropped`` pairs given (what
        the caller left out itself). An error in an events table names its first bad row
        (0-based).
        """
        default_timing = timing_of(timing, "timing")
        if events is not None:
            if tickers is not None or date is not None:
                raise SpecError(
                    "events: give either an events table or tickers with one date, not both"
                )
            raw_tickers, raw_dates, raw_timings = event_columns(events, default_timing)
            extra = extra_columns(events)
        else:
            if tickers is None or date is None:
                raise SpecError(
                    "tickers/date: give tickers and the event date (or an events table)"
                )
            raw_tickers = np.fromiter(split_tickers(tickers), dtype=object)
            extra = {}
        if not len(raw_tickers):
            raise SpecError("tickers: no firm to study; give at least one ticker")
        bench = ticker_of(benchmark, "benchmark")
        if events is not None:
            symbols = tickers_of(raw_tickers, "ticker", by_row=True)
            dates = parse_dates(raw_dates, name="date")
            timings = timings_of(raw_timings, "timing", by_row=True)
            day0 = day_zero_many(dates, timings)
        else:
            symbols = tickers_of(raw_tickers, "tickers", by_row=False)
            when = pd.DatetimeIndex([parse_date(cast(DateLike, date), name="date")])
            timings = np.full(len(symbols), default_timing, dtype=object)
            dates = when.repeat(len(symbols))
            day0 = day_zero_many(when, timings[:1]).repeat(len(symbols))  # one day 0, once
        keys = pd.DataFrame({"ticker": symbols, "day0": day0})
        is_benchmark = symbols == bench
        # Distinct tickers cannot repeat a firm-event (the usual list): no pairs to hash.
        distinct = len(set(symbols.tolist())) == len(symbols)
        repeated = ~is_benchmark & (False if distinct else keys.duplicated().to_numpy())
        left_out = [(str(t), str(r)) for t, r in dropped]
        if is_benchmark.any():
            left_out.append((bench, IS_BENCHMARK))
        if repeated.any():
            left_out += [
                (str(t), f"{REPEATED} on day 0 {d:%Y-%m-%d}")
                for t, d in keys.loc[repeated, ["ticker", "day0"]].itertuples(index=False)
            ]
        left = is_benchmark | repeated
        if left.all():
            raise SpecError(
                f"tickers: no firm to study once the benchmark {bench} is left out; "
                "give at least one other ticker"
            )
        if left.any():
            gone = keys[left]
            shown = gone.head(_LISTED)
            listed = ", ".join(shown["ticker"] + " " + shown["day0"].dt.strftime("%Y-%m-%d"))
            if len(gone) > _LISTED:
                listed += f" … and {len(gone) - _LISTED:,} more"
            warnings.warn(
                f"dropped {len(gone):,} firm-event(s) that repeat another or are the benchmark "
                f"{bench}: {listed}",
                SpecWarning,
                stacklevel=2,
            )
        kept = ~left
        day0 = day0[kept]
        firm_events = firm_events_of(
            symbols[kept], timestamps(dates[kept]), timings[kept], timestamps(day0)
        )
        table = pd.DataFrame(
            {
                "event_id": np.arange(len(firm_events), dtype=np.int64),
                "ticker": pd.array(symbols[kept], dtype="string"),
                "date": dates[kept].astype("datetime64[ns]"),
                "timing": pd.array(timings[kept], dtype="string"),
                "day0": day0.astype("datetime64[ns]").rename(None),
            }
        )
        token = _CREATED_EVENTS.set((firm_events, table))
        try:
            return cls(
                firm_events=firm_events,
                benchmark=bench,
                model=cast(ModelName, model),
                dimson_lags=dimson_lags,
                estimation=parse_window(estimation, name="estimation"),
                windows=parse_windows(windows),
                returns=cast(ReturnKind, returns),
                min_estimation=min_estimation,
                placebo=placebo,
                seed=seed,
                bootstrap=bootstrap,
                standardization=cast(Standardization, standardization),
                spike_screen=cast(SpikeScreen, spike_screen),
                spike_threshold=spike_threshold,
                spike_jump=spike_jump,
                dropped=tuple(dict.fromkeys(left_out)),
                regress=parse_regressors(regress),
                group_by=parse_group_by(group_by),
                covariates=tuple(
                    (name, tuple(values[kept].tolist())) for name, values in extra.items()
                ),
            )
        finally:
            _CREATED_EVENTS.reset(token)

    @classmethod
    def from_options(
        cls,
        options: StudyOptions,
        *,
        events: pd.DataFrame | Iterable[Sequence[object]] | None = None,
        dropped: Iterable[tuple[str, str]] = (),
    ) -> StudySpec:
        """The spec of validated :class:`~analytics.study.options.StudyOptions`.

        ``events`` (a table of ``ticker, date[, timing]`` rows, e.g. read from the options'
        universe file) replaces the options' tickers and event date; ``dropped`` are the
        ``(ticker, reason)`` pairs the caller left out (see :meth:`create`).

        >>> options = StudyOptions(tickers="NVDA", event_date="2025-01-25", placebo=0)
        >>> StudySpec.from_options(options).events["day0"].dt.date.tolist()
        [datetime.date(2025, 1, 27)]
        """
        common = options.model_dump(
            exclude={"event_date", "tickers", "timing", "universe_file", "factors"}
        )
        if events is not None:
            return cls.create(events=events, timing=options.timing, dropped=dropped, **common)
        if not options.tickers:
            raise SpecError("tickers: no tickers given; give tickers such as NVDA,AVGO")
        if options.event_date is None:
            raise SpecError("event_date: required; give the event date as YYYY-MM-DD")
        return cls.create(
            tickers=options.tickers,
            date=options.event_date,
            timing=options.timing,
            dropped=dropped,
            **common,
        )

    @cached_property
    def _events(self) -> pd.DataFrame:
        """The events table, built once with every day 0 resolved in one vectorized pass."""
        dates = parse_dates([e.date for e in self.firm_events], name="date")
        timings = np.array([e.timing for e in self.firm_events], dtype=object)
        day0 = day_zero_many(dates, timings)
        # Seed each event's cached day0 (a cached_property lives in the instance __dict__), so
        # per-event access stays cheap.
        for event, day in zip(self.firm_events, timestamps(day0), strict=True):
            event.__dict__["day0"] = day
        return pd.DataFrame(
            {
                "event_id": np.array([e.event_id for e in self.firm_events], dtype=np.int64),
                "ticker": pd.array([e.ticker for e in self.firm_events], dtype="string"),
                "date": dates.astype("datetime64[ns]"),
                "timing": pd.array(timings, dtype="string"),
                "day0": day0.astype("datetime64[ns]").rename(None),
            }
        )

    @property
    def events(self) -> pd.DataFrame:
        """The firm-events as a table: ``event_id, ticker, date, timing, day0``.

        Built once per spec; each call returns a shallow copy (copy-on-write keeps it private).
        """
        return self._events.copy(deep=False)

    @cached_property
    def tickers(self) -> tuple[str, ...]:
        """Distinct firm tickers in first-seen order."""
        return tuple(dict.fromkeys(e.ticker for e in self.firm_events))

    @property
    def window_keys(self) -> tuple[str, ...]:
        """Text keys of the event windows, e.g. ``("0:0", "-1:1", "-5:5")``."""
        return tuple(window_key(w) for w in self.windows)

    @property
    def event_span(self) -> Window:
        """The union range of the event windows: ``(min a, max b)``."""
        return min(a for a, _ in self.windows), max(b for _, b in self.windows)

    @property
    def market_lags(self) -> int:
        """How many lags and leads of the market return the model reads (0, 1 or K)."""
        if self.model == "scholes_williams":
            return 1
        return self.dimson_lags if self.model == "dimson" else 0

    @property
    def placebo_shifts(self) -> Window:
        """Inclusive range of placebo shifts (sessions added to each day 0).

        A pseudo event window must lie in the pre-event period: it starts no earlier than the
        estimation window (``shift + min a >= estimation a``) and ends before the real event
        windows start (``shift + max b < min a``). The pseudo estimation window then reaches
        ``shift + estimation a`` sessions back, which the engine loads.
        """
        first, last = self.event_span
        return self.estimation[0] - first, first - last - 1
