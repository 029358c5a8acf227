"""The immutable result of an event study: raw arrays in, named tidy frames out.

:class:`StudyResult` stores the engine's arrays (firm-events in columns) and exposes every
statistic as a cached, tidy :class:`pandas.DataFrame`. Each property returns a shallow copy of
the cached frame: with pandas' copy-on-write, changing it never changes the result.

Conventions the frames follow:

- ``firms``: one row per firm-event. ``status`` is ``"ok"`` when the firm-event is usable in at
  least one window, else ``"excluded: <reason>"``. ``beta`` is the market loading (for factor
  models, the loading on the first factor, by convention the market); each factor loading is
  also a ``beta_<factor>`` column. Parameters a model does not estimate are NaN.
- ``windows``: ``t = SCAR`` with ``dof`` degrees of freedom, ``p`` two-sided from Student t.
- ``aar``: one path per event window over that window's days and its included firms:
  ``caar`` cumulates ``aar`` from the window's first day and ``caar_se`` is the
  cross-sectional standard deviation (ddof 1) of the firms' cumulative CARs up to that day over
  ``sqrt(n)``.
- JSON: ``"day0"`` is the date when every firm-event shares one day 0, else the sorted list of
  distinct day-0 dates. NaN is written as ``null``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from analytics.study.calendar_time import CalendarTime
from analytics.study.groups import Groups
from analytics.study.regression import Regression
from analytics.study.serialize import result_json
from analytics.study.significance import TestResult
from analytics.study.significance.window import CROSS_SECTIONAL_TESTS, FEW_FIRMS, WINDOW_TESTS
from analytics.study.spec import StudySpec
from analytics.study.summary import Summary, summarize
from analytics.study.volatility import AbnormalVolatility
from analytics.study.volume import AbnormalVolume
from analytics.study.warnings import method_warnings

__all__ = [
    "ALL_WINDOWS",
    "CROSS_SECTIONAL_TESTS",
    "FEW_FIRMS",
    "STATUS_OK",
    "TEST_NAMES",
    "StudyResult",
]

logger = logging.getLogger(__name__)

TEST_NAMES: tuple[str, ...] = WINDOW_TESTS
"""Cross-sectional tests reported for every window, in display order."""

STATUS_OK = "ok"
"""Status of a firm-event (or of one of its windows) that counts in the aggregates."""
ALL_WINDOWS = "all"
"""``window`` of an exclusion that applies to every window."""


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass(frozen=True, kw_only=True, eq=False)
class StudyResult:
    """What :func:`~analytics.study.engine.run_study` found; built by the engine, read by the rest.

    Arrays hold firm-events in columns (``N``); ``W`` event days (the union range of the event
    windows, ``rel_days``); ``n_win`` windows in ``spec.windows`` order.

    Attributes
    ----------
    spec
        The study's specification.
    events
        ``event_id, ticker, event_date, timing, day0`` per firm-event.
    param_names
        Names of the columns of ``params`` (``alpha``, ``beta``, ``beta_<factor>``).
    params, sigma, n_estimation, dof
        Model parameters ``(N, p)``, residual sd, valid estimation returns ``L_i`` and degrees of
        freedom ``(N,)``.
    firm_status, flags
        Per firm-event ``"ok"`` or ``"excluded: <reason>"``, and the spike flag (or None).
    rel_days, dates, ret, expected, ar, var_ar
        Event days ``(W,)`` and per firm-event day arrays ``(W, N)``.
    car_array, var_car, bhar, dollar_impact, window_status
        Raw per window and firm-event ``(n_win, N)``; ``window_status`` is ``"ok"`` or the reason.
    test_results
        Window key → test name → :class:`~analytics.study.significance.TestResult`.
    placebo
        Window key → the placebo test, a :class:`~analytics.study.significance.TestResult` named
        ``"placebo"``: ``pvalue = (1 + #{|CAAR_k| >= |CAAR|}) / (k + 1)``, ``stat = CAAR /
        sd(CAAR_k)`` (ddof 1), ``k`` draws with a usable firm (empty when no placebo was run).
    value_change
        ``(n_win, N)`` raw change of market value over each window ``Σ_t R_t · MV_{t-1}``
        (USD; NaN without a market cap), beside the abnormal ``dollar_impact``.
    scar_values
        ``(n_win, N)`` standardized CARs as ``spec.standardization`` defines them (the engine
        gives them); None means ``CAR / sqrt(var_car)``, the exact form.
    regression
        Window key → the cross-sectional regression of its CARs
        (:class:`~analytics.study.regression.Regression`); empty unless ``spec.regress``.
    groups
        The subgroups (:class:`~analytics.study.groups.Groups`); None unless ``spec.group_by``.
    regressors
        Each firm-event's regressor values (``N`` rows in event order, one column per
        ``spec.regress``; NaN where missing); None without regressors.
    """

    spec: StudySpec
    events: pd.DataFrame
    param_names: tuple[str, ...]
    params: np.ndarray
    sigma: np.ndarray
    n_estimation: np.ndarray
    dof: np.ndarray
    firm_status: tuple[str, ...]
    flags: tuple[str | None, ...]
    rel_days: np.ndarray
    dates: np.ndarray
    ret: np.ndarray
    expected: np.ndarray
    ar: np.ndarray
    var_ar: np.ndarray
    car_array: np.ndarray
    var_car: np.ndarray
    bhar: np.ndarray
    dollar_impact: np.ndarray
    window_status: np.ndarray
    test_results: Mapping[str, Mapping[str, TestResult]]
    placebo: Mapping[str, TestResult]
    value_change: np.ndarray | None = None
    scar_values: np.ndarray | None = None
    calendar_time: Mapping[str, CalendarTime] = field(default_factory=dict)
    """Per window, the calendar-time portfolio's alpha (:mod:`analytics.study.calendar_time`);
    empty unless the firm-events have more than one day 0."""
    volatility: Mapping[str, AbnormalVolatility] = field(default_factory=dict)
    """Per window, the abnormal volatility of the included firms
    (:mod:`analytics.study.volatility`)."""
    abnormal_volume: Mapping[str, AbnormalVolume] | None = None
    """Per window, the abnormal volume (:mod:`analytics.study.volume`); None when the data
    hold no volume."""
    regression: Mapping[str, Regression] = field(default_factory=dict)
    groups: Groups | None = None
    regressors: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        for name in (
            "params", "sigma", "n_estimation", "dof", "rel_days", "dates", "ret", "expected",
            "ar", "var_ar", "car_array", "var_car", "bhar", "dollar_impact", "window_status",
        ):  # fmt: skip
            _readonly(getattr(self, name))
        if self.value_change is not None:
            _readonly(self.value_change)
        if self.scar_values is not None:
            _readonly(self.scar_values)

    @cached_property
    def included(self) -> np.ndarray:
        """``(n_win, N)``: whether each firm-event counts in each window's aggregates."""
        return _readonly(self.window_status == STATUS_OK)

    @cached_property
    def _scar_array(self) -> np.ndarray:
        """``(n_win, N)`` standardized CARs (``CAR / sqrt(Var(CAR))`` unless the spec's
        standardization is ``sum_sar``)."""
        if self.scar_values is not None:
            return self.scar_values
        return _readonly(self.car_array / np.sqrt(np.where(self.var_car > 0, self.var_car, np.nan)))

    @cached_property
    def _pvalue_array(self) -> np.ndarray:
        """``(n_win, N)`` two-sided p-values of ``t = SCAR`` from Student t with ``dof``."""
        dof = np.where(self.dof >= 1, self.dof, np.nan).astype("float64")
        return _readonly(2.0 * stats.t.sf(np.abs(self._scar_array), dof[None, :]))

    def _by_firm_event(self, values: np.ndarray, name: str) -> pd.DataFrame:
        index = pd.MultiIndex.from_arrays(
            [self.events["event_id"].to_numpy(), self.events["ticker"].astype(str).to_numpy()],
            names=["event_id", "ticker"],
        )
        columns = pd.Index(self.spec.window_keys, name="window")
        frame = pd.DataFrame(np.asarray(values, dtype="float64").T, index=index, columns=columns)
        frame.attrs["name"] = name
        return frame

    @cached_property
    def car(self) -> pd.DataFrame:
        """Cumulative abnormal returns: rows ``(event_id, ticker)``, columns the window keys
        (NaN where a window misses a day)."""
        return self._by_firm_event(self.car_array, "car")

    @cached_property
    def scar(self) -> pd.DataFrame:
        """Standardized CARs ``CAR / sqrt(Var(CAR))``, laid out as :attr:`car`."""
        return self._by_firm_event(self._scar_array, "scar")

    @cached_property
    def pvalues(self) -> pd.DataFrame:
        """Two-sided p-values of each firm-event's ``t = SCAR`` (Student t with its ``dof``),
        laid out as :attr:`car`."""
        return self._by_firm_event(self._pvalue_array, "pvalues")

    @cached_property
    def caar(self) -> pd.Series:
        """Cumulative average abnormal return of each window over its included firm-events."""
        aggregate = self._tables["aggregate"]
        index = pd.Index(aggregate["window"].astype(str).to_numpy(), name="window")
        return pd.Series(aggregate["caar"].to_numpy("float64"), index=index, name="caar")

    @cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        tables = {
            "firms": self._firms_table(),
            "days": self._days_table(),
            "windows": self._windows_table(),
            "aar": self._aar_table(),
            "aggregate": self._aggregate_table(),
            "tests": self._tests_table(),
            "excluded": self._excluded_table(),
        }
        if self.regression:
            tables["regression"] = self._regression_table()
        if self.groups is not None:
            tables["groups"] = self._groups_table()
            tables["group_differences"] = self._differences_table()
        return tables

    @property
    def regression_table(self) -> pd.DataFrame:
        """Per window and term of the cross-sectional regression: ``window, term, coef, se, t,
        p, n, r2, cov_type`` (empty without regressors)."""
        return self._tables.get("regression", self._regression_table()).copy(deep=False)

    @property
    def group_table(self) -> pd.DataFrame:
        """Per window, group and test: ``window, group, n, caar, test, stat, p`` (empty without
        groups)."""
        return self._tables.get("groups", self._groups_table()).copy(deep=False)

    @property
    def group_differences(self) -> pd.DataFrame:
        """Per window and comparison: ``window, a, b, n_a, n_b, diff, welch_t, df, p, perm_p,
        permutations`` (empty without groups)."""
        return self._tables.get("group_differences", self._differences_table()).copy(deep=False)

    def _regression_table(self) -> pd.DataFrame:
        rows = [
            (key, t.name, t.coef, t.se, t.t, t.p, fit.n, fit.r2, fit.cov_type)
            for key, fit in self.regression.items()
            for t in fit.terms
        ]
        columns = ["window", "term", "coef", "se", "t", "p", "n", "r2", "cov_type"]
        return pd.DataFrame(rows, columns=columns).astype(
            {"window": "string", "term": "string", "n": "int64", "cov_type": "string"}
        )

    def _groups_table(self) -> pd.DataFrame:
        windows = {} if self.groups is None else self.groups.windows
        rows = [
            (key, g.label, g.n, g.caar, name, test.stat, test.pvalue)
            for key, window in windows.items()
            for g in window.groups
            for name, test in g.tests.items()
        ]
        columns = ["window", "group", "n", "caar", "test", "stat", "p"]
        return pd.DataFrame(rows, columns=columns).astype(
            {"window": "string", "group": "string", "n": "int64", "test": "string"}
        )

    def _differences_table(self) -> pd.DataFrame:
        windows = {} if self.groups is None else self.groups.windows
        columns = ["a", "b", "n_a", "n_b", "diff", "welch_t", "df", "p", "perm_p", "permutations"]
        rows = [
            (key, *(getattr(d, c) for c in columns))
            for key, window in windows.items()
            for d in window.differences
        ]
        return pd.DataFrame(rows, columns=["window", *columns]).astype(
            {"window": "string", "a": "string", "b": "string"}
        )

    @property
    def firms(self) -> pd.DataFrame:
        """One row per firm-event: ``event_id, ticker, event_date, timing, day0, status, flag,
        n_estimation, dof, alpha, beta, sigma`` and any ``beta_<factor>``."""
        return self._tables["firms"].copy(deep=False)

    @property
    def days(self) -> pd.DataFrame:
        """Per firm-event and event day: ``event_id, ticker, day, date, ret, expected, ar,
        var_ar, sar`` (firm-events that have abnormal returns)."""
        return self._tables["days"].copy(deep=False)

    @property
    def windows(self) -> pd.DataFrame:
        """Per firm-event and window: ``event_id, ticker, window, car, var_car, scar, bhar, t,
        p, status, dollar_impact``."""
        return self._tables["windows"].copy(deep=False)

    @property
    def aar(self) -> pd.DataFrame:
        """Per window and day: ``window, day, n, aar, caar, caar_se``."""
        return self._tables["aar"].copy(deep=False)

    @property
    def aggregate(self) -> pd.DataFrame:
        """Per window: ``window, n, caar, dollar_impact_total, dollar_impact_n`` and
        ``value_change_total`` (the raw market-value change of the same firms)."""
        return self._tables["aggregate"].copy(deep=False)

    @property
    def tests(self) -> pd.DataFrame:
        """Per window and test: ``window, test, stat, p`` and ``n``, the firms the window's tests
        ran on (the placebo test last, if run)."""
        return self._tables["tests"].copy(deep=False)

    @property
    def excluded(self) -> pd.DataFrame:
        """Every exclusion: ``event_id, ticker, window`` (``"all"`` or a window key), ``reason``;
        the inputs the spec dropped (:attr:`StudySpec.dropped`) come last, without event_id."""
        return self._tables["excluded"].copy(deep=False)

    def _firms_table(self) -> pd.DataFrame:
        frame = self.events.copy()
        frame["status"] = pd.array(self.firm_status, dtype="string")
        frame["flag"] = pd.array(self.flags, dtype="string")
        frame["n_estimation"] = self.n_estimation
        frame["dof"] = pd.array(self.dof, dtype="Int64")
        named = dict(zip(self.param_names, self.params.T, strict=True))
        loadings = [name for name in self.param_names if name.startswith("beta")]
        missing = np.full(len(frame), np.nan)
        frame["alpha"] = named.get("alpha", missing)
        frame["beta"] = named[loadings[0]] if loadings else missing
        frame["sigma"] = self.sigma
        # Further loadings, then any other parameter (e.g. a GARCH model's volatility ones).
        for name in [*loadings, *(n for n in self.param_names if n not in loadings)]:
            if name not in ("alpha", "beta"):
                frame[name] = named[name]
        return frame

    def _days_table(self) -> pd.DataFrame:
        width = len(self.rel_days)
        columns = np.flatnonzero(np.isfinite(self.ar).any(axis=0))
        sar = self.ar / np.sqrt(np.where(self.var_ar > 0, self.var_ar, np.nan))

        def flat(values: np.ndarray) -> np.ndarray:
            return values[:, columns].T.ravel()

        tickers = self.events["ticker"].to_numpy(dtype=object)[columns]
        return pd.DataFrame(
            {
                "event_id": np.repeat(self.events["event_id"].to_numpy()[columns], width),
                "ticker": pd.array(np.repeat(tickers, width), dtype="string"),
                "day": np.tile(self.rel_days, len(columns)).astype("int64"),
                "date": flat(self.dates),
                "ret": flat(self.ret),
                "expected": flat(self.expected),
                "ar": flat(self.ar),
                "var_ar": flat(self.var_ar),
                "sar": flat(sar),
            }
        )

    def _windows_table(self) -> pd.DataFrame:
        n_win, n_fe = self.car_array.shape

        def flat(values: np.ndarray) -> np.ndarray:
            return values.ravel()

        return pd.DataFrame(
            {
                "event_id": np.tile(self.events["event_id"].to_numpy(), n_win),
                "ticker": pd.array(
                    np.tile(self.events["ticker"].to_numpy(dtype=object), n_win), dtype="string"
                ),
                "window": pd.array(np.repeat(self.spec.window_keys, n_fe), dtype="string"),
                "car": flat(self.car_array),
                "var_car": flat(self.var_car),
                "scar": flat(self._scar_array),
                "bhar": flat(self.bhar),
                "t": flat(self._scar_array),
                "p": flat(self._pvalue_array),
                "status": pd.array(flat(self.window_status), dtype="string"),
                "dollar_impact": flat(self.dollar_impact),
                "value_change": flat(self._value_change),
            }
        )

    @cached_property
    def _value_change(self) -> np.ndarray:
        """``(n_win, N)`` raw market-value change over each window (NaN when not computed)."""
        if self.value_change is None:
            return _readonly(np.full(self.dollar_impact.shape, np.nan))
        return self.value_change

    def _aar_table(self) -> pd.DataFrame:
        parts = []
        for j, (a, b) in enumerate(self.spec.windows):
            rows = (self.rel_days >= a) & (self.rel_days <= b)
            ar = self.ar[rows][:, self.included[j]]
            n = ar.shape[1]
            cumulative = np.cumsum(ar, axis=0)
            aar = ar.sum(axis=1) / n if n else np.full(len(ar), np.nan)
            spread = cumulative.std(axis=1, ddof=1) / np.sqrt(n) if n > 1 else np.nan
            parts.append(
                pd.DataFrame(
                    {
                        "window": self.spec.window_keys[j],
                        "day": self.rel_days[rows].astype("int64"),
                        "n": n,
                        "aar": aar,
                        "caar": np.cumsum(aar),
                        "caar_se": spread,
                    }
                )
            )
        frame = pd.concat(parts, ignore_index=True)
        return frame.astype({"window": "string", "n": "int64"})

    def _aggregate_table(self) -> pd.DataFrame:
        n = self.included.sum(axis=1)
        car = np.where(self.included, self.car_array, 0.0).sum(axis=1)
        dollars = self.included & np.isfinite(self.dollar_impact)
        n_dollars = dollars.sum(axis=1)
        total = np.where(dollars, self.dollar_impact, 0.0).sum(axis=1)
        change = dollars & np.isfinite(self._value_change)
        raw = np.where(change, self._value_change, 0.0).sum(axis=1)
        return pd.DataFrame(
            {
                "window": pd.array(self.spec.window_keys, dtype="string"),
                "n": n.astype("int64"),
                "caar": np.where(n > 0, car / np.maximum(n, 1), np.nan),
                "dollar_impact_total": np.where(n_dollars > 0, total, np.nan),
                "dollar_impact_n": n_dollars.astype("int64"),
                "value_change_total": np.where(change.sum(axis=1) > 0, raw, np.nan),
            }
        )

    def _tests_table(self) -> pd.DataFrame:
        rows = []
        for key in self.spec.window_keys:
            results = self.test_results.get(key, {})
            for name in TEST_NAMES:
                test = results.get(name)
                rows.append(
                    (key, name, np.nan if test is None else test.stat,
                     np.nan if test is None else test.pvalue)
                )  # fmt: skip
            if key in self.placebo:
                rows.append((key, "placebo", self.placebo[key].stat, self.placebo[key].pvalue))
        frame = pd.DataFrame(rows, columns=["window", "test", "stat", "p"])
        n = dict(zip(self.spec.window_keys, self.included.sum(axis=1), strict=True))
        frame["n"] = frame["window"].map(n)
        return frame.astype(
            {"window": "string", "test": "string", "stat": "float64", "p": "float64", "n": "int64"}
        )

    def _excluded_table(self) -> pd.DataFrame:
        status = self.window_status
        whole = (status == status[0]).all(axis=0) & (status[0] != STATUS_OK)
        firm_level = np.flatnonzero(whole)
        window_level, firm = np.nonzero((status != STATUS_OK) & ~whole[None, :])
        ids = self.events["event_id"].to_numpy()
        tickers = self.events["ticker"].to_numpy(dtype=object)
        frame = pd.DataFrame(
            {
                "event_id": np.concatenate([ids[firm_level], ids[firm]]),
                "ticker": np.concatenate([tickers[firm_level], tickers[firm]]),
                "window": np.concatenate(
                    [np.full(len(firm_level), ALL_WINDOWS, dtype=object),
                     np.asarray(self.spec.window_keys, dtype=object)[window_level]]
                ),
                "reason": np.concatenate([status[0, firm_level], status[window_level, firm]]),
            }
        )  # fmt: skip
        frame = frame.sort_values("event_id", kind="stable", ignore_index=True)
        # Inputs the spec left out (the benchmark as a firm, ...) are no firm-event: no event_id.
        before = pd.DataFrame(
            {
                "event_id": pd.array([pd.NA] * len(self.spec.dropped), dtype="Int64"),
                "ticker": [t for t, _ in self.spec.dropped],
                "window": ALL_WINDOWS,
                "reason": [f"excluded: {r}" for _, r in self.spec.dropped],
            }
        )
        if len(before):
            parts = [frame.astype({"event_id": "Int64"}), before] if len(frame) else [before]
            frame = pd.concat(parts, ignore_index=True)
        return frame.astype(
            {"event_id": "Int64", "ticker": "string", "window": "string", "reason": "string"}
        )

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What a reader must know before trusting the numbers, one line each (see
        :func:`~analytics.study.warnings.method_warnings`); the summary (``str(result)``),
        ``to_json()["warnings"]`` and the CLI show them."""
        return method_warnings(self.spec.model, self.spec.window_keys, self.included.sum(axis=1))

    # ------------------------------------------------------------------ outputs
    @property
    def day0(self) -> str | list[str]:
        """The day-0 date, or the sorted distinct day-0 dates of a multi-date study."""
        dates = sorted({d.strftime("%Y-%m-%d") for d in self.events["day0"]})
        return dates[0] if len(dates) == 1 else dates

    def __repr__(self) -> str:
        n_ok = sum(status == STATUS_OK for status in self.firm_status)
        day0 = self.day0 if isinstance(self.day0, str) else f"{len(self.day0)} dates"
        caar = ", ".join(f"{k} {v:+.2%}" for k, v in self.caar.items())
        return (
            f"<StudyResult {self.spec.model} model, day 0 {day0}, "
            f"{n_ok}/{len(self.firm_status)} firm-events ok, CAAR {caar}>"
        )

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def summary(self) -> Summary:
        """A readable report: setup, per-window CAAR and tests, firms, exclusions (a
        :class:`~analytics.study.summary.Summary`: ``print`` it, or a notebook shows its HTML)."""
        return summarize(self)

    def __str__(self) -> str:
        return self.summary().as_text()

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every tidy frame by name: firms, days, windows, aar, aggregate, tests, excluded, and
        regression, groups and group_differences when the study asked for them."""
        return {name: frame.copy(deep=False) for name, frame in self._tables.items()}

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write each frame of :meth:`to_frames` to ``<directory>/<name>.csv``; return the paths."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in self._tables.items():
            path = target / f"{name}.csv"
            frame.to_csv(path, index=False, date_format="%Y-%m-%d")
            paths.append(path)
        logger.info("wrote %d result tables to %s", len(paths), target)
        return paths

    def to_json(self) -> str:
        """The result as JSON: ``day0``, ``firms`` (with per-window results), ``days``,
        ``aggregate`` (CAAR and every test per window), ``excluded`` and ``warnings`` (see
        :attr:`warnings`); NaN becomes ``null`` (see :func:`~analytics.study.serialize.to_json`)."""
        return result_json(self)
