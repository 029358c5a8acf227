"""The dashboard's view state: URL query string <-> study controls, parsed once at the boundary.

A :class:`ViewState` is everything a link must carry to reproduce a view: the article, the event
date and timing, the universe (a preset plus added tickers), benchmark, model, estimation window
and event windows. Two doors lead in:

* :func:`from_query` reads a URL query string leniently: a bad value falls back to its default and
  is reported in the returned list of problems, so a mangled link still opens a working page;
* :func:`from_controls` reads the raw values of the input components strictly and raises a
  :class:`~analytics.errors.SpecError` naming the control, the bad value and the fix.

:func:`to_query` is the way out. The study fields (date, timing, tickers, benchmark, model,
estimation and event windows) are parsed by :class:`~analytics.study.options.StudyOptions`, with
its defaults, window grammar and ticker grammar (``brk.b`` is ``BRK-B`` here as in the CLI), and
:meth:`ViewState.options` hands the study its options. Everything here is pure: no Dash, no I/O.

>>> state, problems = from_query("?date=2025-01-27&windows=0:0,-1:1")
>>> state.windows, problems
(((0, 0), (-1, 1)), [])
>>> from_query(to_query(state))[0] == state
True
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, TypeVar, cast
from urllib.parse import parse_qs, urlencode

from pydantic import ValidationError

from analytics.calendar import Timing
from analytics.errors import SpecError
from analytics.study.options import (
    DEFAULTS,
    ModelName,
    Standardization,
    StudyOptions,
    Window,
    option_error,
    parse_window,
    parse_windows,
    window_key,
)
from analytics.tickers import parse_tickers as grammar_tickers
from analytics.tickers import split_tickers, ticker
from app.universes import DEEPSEEK_UNIVERSE, PRESETS

__all__ = [
    "ALL_SECTORS",
    "BOOTSTRAP_CHOICES",
    "CONTROL_LABELS",
    "DEEPSEEK_UNIVERSE",
    "DEFAULT_ARTICLE",
    "DEFAULT_STATE",
    "LINK_PARAMETERS",
    "MAX_TICKERS",
    "MODELS",
    "ONLINE_MODELS",
    "PLACEBO_CHOICES",
    "PRESETS",
    "RESULT_TABS",
    "STANDARDIZATIONS",
    "TIMING_LABELS",
    "WINDOW_CHOICES",
    "ViewState",
    "for_controls",
    "format_window",
    "from_controls",
    "from_query",
    "parse_ticker",
    "parse_tickers",
    "parse_window",
    "to_query",
    "universe",
]

DEFAULT_ARTICLE: Final = "deepseek-market-jolt.txt"

TIMING_LABELS: Final[Mapping[str, str]] = {
    "before_open": "Before the open",
    "during_session": "During the session",
    "after_close": "After the close",
}

MODELS: Final[Mapping[str, str]] = {
    "market": "Market model (OLS)",
    "market_adjusted": "Market-adjusted",
    "constant_mean": "Constant mean",
    "capm": "CAPM",
    "etf_factors": "4 factors (ETF proxies)",
    "ff3": "Fama–French 3 (online)",
    "carhart": "Carhart 4 (online)",
    "ff5": "Fama–French 5 (online)",
    "scholes_williams": "Scholes–Williams beta (thin trading)",
    "dimson": "Dimson beta, 1 lag and lead (thin trading)",
    "garch": "Market model, GARCH(1,1) errors",
    "egarch": "Market model, EGARCH(1,1) errors",
    "factors": "Factors of a file (any columns)",
}
ONLINE_MODELS: Final = frozenset({"ff3", "carhart", "ff5"})
"""Models whose factors are downloaded (Kenneth French's data library)."""

WINDOW_CHOICES: Final = ("0:0", "-1:1", "-5:5", "-10:10", "0:5")

PLACEBO_CHOICES: Final[Mapping[int, str]] = {0: "Off", 200: "200 draws", 1000: "1000 draws"}
"""The placebo control's choices (draws → label); the CLI's default is among them."""

BOOTSTRAP_CHOICES: Final[Mapping[int, str]] = {0: "Off", 999: "999 draws", 9999: "9,999 draws"}
"""The wild bootstrap control's choices (draws → label); the CLI's default is among them."""

STANDARDIZATIONS: Final[Mapping[str, str]] = {
    "exact": "Exact CAR variance",
    "sum_sar": "Sum of daily SARs / √L (ARC)",
}
"""The SCAR standardization control's choices (option value → label)."""

RESULT_TABS: Final = ("prices", "abnormal", "caar", "sectors", "grid", "tests", "xsec")
"""The results tabs, as the ``tab`` link parameter names them."""

MAX_TICKERS: Final = 600

ALL_SECTORS: Final = "All sectors"
"""The S&P 500 sector choice that takes every member: the article's comparison group."""


@dataclass(frozen=True, kw_only=True)
class ViewState:
    """What the dashboard shows; every field is already parsed and valid."""

    article: str | None = DEFAULT_ARTICLE
    date: dt.date = dt.date(2025, 1, 27)
    timing: Timing = DEFAULTS.timing
    preset: str = "deepseek"
    sector: str | None = None
    tickers: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    """Symbols of a link that are not ticker symbols: the study lists them as excluded
    (:data:`~analytics.study.spec.INVALID_TICKER`) instead of dropping them unsaid."""
    benchmark: str = DEFAULTS.benchmark
    model: ModelName = DEFAULTS.model
    estimation: Window = DEFAULTS.estimation
    windows: tuple[Window, ...] = DEFAULTS.windows
    placebo: int = DEFAULTS.placebo
    """Placebo draws (one of :data:`PLACEBO_CHOICES`; 0: off), the CLI's default."""
    bootstrap: int = DEFAULTS.bootstrap
    """Wild bootstrap draws (one of :data:`BOOTSTRAP_CHOICES`; 0: off)."""
    standardization: Standardization = DEFAULTS.standardization
    """The SCAR of the Patell, BMP and GRANK tests (one of :data:`STANDARDIZATIONS`)."""
    show: Window | None = None
    """The window shown (charts, headline, tests); None: the first of ``windows``."""
    tab: str = "prices"
    """The results tab shown (one of :data:`RESULT_TABS`)."""

    @property
    def shown(self) -> Window:
        """The window shown: ``show`` when it is one of ``windows``, else the first."""
        return self.show if self.show in self.windows else self.windows[0]

    def viewing(self, show: str | None, tab: str | None) -> ViewState:
        """The same study shown at window ``show`` (a key such as ``-1:1``) on ``tab``; values
        that are not one of the windows or tabs fall back to the first window and Prices."""
        window = next((w for w in self.windows if format_window(w) == show), None)
        return replace(
            self,
            show=None if window in (None, self.windows[0]) else window,
            tab=tab if tab in RESULT_TABS else "prices",
        )

    def with_ticker(self, ticker: str) -> ViewState:
        """The same view with ``ticker`` added to the universe (no-op when already added)."""
        symbol = parse_ticker(ticker, name="ticker")
        return self if symbol in self.tickers else replace(self, tickers=(*self.tickers, symbol))

    def options(self, tickers: Sequence[str]) -> StudyOptions:
        """The study options of this view for the universe ``tickers``.

        Options the view does not carry keep their :class:`StudyOptions` default (and its
        rules: an estimation window shorter than ``min_estimation`` is refused, as in the CLI).
        """
        try:
            return StudyOptions(
                event_date=self.date,
                timing=self.timing,
                tickers=tuple(tickers),
                benchmark=self.benchmark,
                model=self.model,
                estimation=self.estimation,
                windows=self.windows,
                placebo=self.placebo,
                bootstrap=self.bootstrap,
                standardization=self.standardization,
            )
        except ValidationError as exc:  # e.g. a link's windows overlap the default estimation
            raise option_error(exc) from None


DEFAULT_STATE: Final = ViewState()

CONTROL_LABELS: Final[Mapping[str, str]] = {
    "event_date": "Event date",
    "event date": "Event date",
    "date": "Event date",
    "timing": "News arrived",
    "universe": "Universe",
    "preset": "Universe",
    "sector": "S&P 500 sector",
    "tickers": "Add tickers",
    "ticker": "Add tickers",
    "benchmark": "Benchmark",
    "model": "Normal-return model",
    "estimation": "Estimation from day … to day",
    "est": "Estimation from day … to day",
    "min_estimation": "the minimum of estimation returns",
    "windows": "Event windows",
    "placebo": "Placebo test",
    "bootstrap": "Wild bootstrap",
    "boot": "Wild bootstrap",
    "standardization": "Standardized CARs",
    "std": "Standardized CARs",
    "factors": "Normal-return model",
}
"""Parameter names in the messages of :mod:`analytics` (and link keys) → the control's label."""

_LEADING: Final = re.compile(r"^(?:link parameter )?([a-z_ ]+):\s")
_MODEL_NAMED: Final = re.compile(r"\b(?:use |or )model (\w+)")
_FACTOR_FILE: Final = re.compile(r"give a factor file \(factors\) or ")


def for_controls(message: str) -> str:
    """A study's error message in the dashboard's words: the leading parameter name becomes
    the control's label, a model key its label; no command-line options.

    >>> for_controls("min_estimation: 40 returns, need 120")
    'The minimum of estimation returns: 40 returns, need 120'
    >>> for_controls("unreachable; give a factor file (factors) or use model etf_factors")
    'Unreachable; pick the model “4 factors (ETF proxies)”'
    """
    text = _FACTOR_FILE.sub("", message)
    text = _MODEL_NAMED.sub(
        lambda m: f"pick the model “{MODELS.get(m.group(1), m.group(1))}”", text
    )
    found = _LEADING.match(text)
    if found and found.group(1) in CONTROL_LABELS:
        text = f"{CONTROL_LABELS[found.group(1)]}: {text[found.end() :]}"
    return text[:1].upper() + text[1:]


def _option(name: str, value: object, **others: object) -> Any:
    """One study option parsed by :class:`StudyOptions` (next to ``others``); one-line errors."""
    try:
        return getattr(StudyOptions.model_validate({name: value, **others}), name)
    except ValidationError as exc:
        raise option_error(exc) from None


def parse_ticker(value: str, *, name: str = "tickers") -> str:
    """One symbol in the one grammar of :mod:`analytics.tickers` (``brk.b`` → ``BRK-B``)."""
    return ticker(value, name=name)


def parse_tickers(values: Iterable[str] | str | None, *, name: str = "tickers") -> tuple[str, ...]:
    """A de-duplicated ticker tuple (first occurrence wins) from a list or a comma/space string."""
    symbols = grammar_tickers(values or (), name=name)
    if len(symbols) > MAX_TICKERS:
        raise SpecError(f"{name}: {len(symbols)} tickers is too many; use at most {MAX_TICKERS}")
    return symbols


def format_window(window: Window) -> str:
    """``(-1, 1)`` → ``"-1:1"``, the form used in the URL and the window picker."""
    return window_key(window)


def _parse_windows(values: Iterable[str] | str | None) -> tuple[Window, ...]:
    items = values.split(",") if isinstance(values, str) else list(values or ())
    kept = [v for v in items if v and str(v).strip()]
    if not kept:
        raise SpecError(
            f"windows: choose at least one event window, e.g. {', '.join(WINDOW_CHOICES[:3])}"
        )
    return parse_windows(kept)


def _parse_estimation(start: Any, end: Any, windows: Sequence[Window]) -> Window:
    if start in (None, "") or end in (None, ""):
        raise SpecError("estimation: give both ends of the estimation window, e.g. -250 and -11")
    try:
        pair = int(start), int(end)
    except (TypeError, ValueError) as exc:
        raise SpecError(
            f"estimation: {start!r} to {end!r} are not whole numbers of days; e.g. -250 and -11"
        ) from exc
    # The rules of StudyOptions, with its default min_estimation (the view does not change it).
    return cast(Window, _option("estimation", pair, windows=windows))


def _parse_choice(value: Any, choices: Iterable[str], *, name: str) -> Any:
    options = list(choices)
    if value not in options:
        raise SpecError(f"{name}: {value!r} is not one of {', '.join(options)}")
    return str(value)


def _parse_date(value: Any) -> dt.date:
    if value in (None, ""):
        raise SpecError("event_date: pick a date, e.g. 2025-01-27")
    return cast(dt.date, _option("event_date", value))


def from_controls(
    *,
    article: str | None,
    date: Any,
    timing: Any,
    preset: Any,
    sector: Any,
    tickers: Iterable[str] | str | None,
    benchmark: Any,
    model: Any,
    estimation_start: Any,
    estimation_end: Any,
    windows: Iterable[str] | str | None,
    placebo: Any = DEFAULTS.placebo,
    bootstrap: Any = DEFAULTS.bootstrap,
    standardization: Any = DEFAULTS.standardization,
) -> ViewState:
    """Parse the raw control values; raises :class:`SpecError` naming the first bad control."""
    preset = _parse_choice(preset, PRESETS, name="universe")
    sector_value = str(sector).strip() if sector else None
    if preset == "sp500" and not sector_value:
        raise SpecError("sector: pick an S&P 500 sector for the 'S&P 500 by sector' universe")
    added = parse_tickers(tickers)
    if preset == "custom" and not added:
        raise SpecError("tickers: add at least one ticker to a custom universe, e.g. NVDA")
    parsed_windows = _parse_windows(windows)
    return ViewState(
        article=article or None,
        date=_parse_date(date),
        timing=_option("timing", timing),
        preset=preset,
        sector=sector_value if preset == "sp500" else None,
        tickers=added,
        benchmark=_option("benchmark", benchmark or ""),
        model=_option("model", model),
        estimation=_parse_estimation(estimation_start, estimation_end, parsed_windows),
        windows=parsed_windows,
        placebo=_parse_placebo(placebo),
        bootstrap=_parse_bootstrap(bootstrap),
        standardization=_parse_standardization(standardization),
    )


def _parse_draws(value: Any, choices: Mapping[int, str], name: str) -> int:
    listed = ", ".join(str(n) for n in choices)
    try:
        draws = int(str(value).strip())
    except ValueError:
        draws = -1
    if draws not in choices:
        raise SpecError(f"{name}: {str(value)[:40]!r} is not one of {listed} (0: off)")
    return draws


def _parse_placebo(value: Any) -> int:
    return _parse_draws(value, PLACEBO_CHOICES, "placebo")


def _parse_bootstrap(value: Any) -> int:
    return _parse_draws(value, BOOTSTRAP_CHOICES, "bootstrap")


def _parse_standardization(value: Any) -> Standardization:
    return cast(Standardization, _parse_choice(value, STANDARDIZATIONS, name="standardization"))


T = TypeVar("T")


def _choice(choices: Iterable[str], name: str) -> Callable[[str], Any]:
    return lambda value: _parse_choice(value, choices, name=name)


def _study(name: str) -> Callable[[str], Any]:
    return lambda value: _option(name, value)


def _estimation(windows: Sequence[Window]) -> Callable[[str], Window]:
    def parse(value: str) -> Window:
        return _parse_estimation(*parse_window(value, name="estimation"), windows)

    return parse


LINK_PARAMETERS: Final = (
    "article",
    "date",
    "timing",
    "preset",
    "sector",
    "tickers",
    "benchmark",
    "model",
    "est",
    "windows",
    "placebo",
    "boot",
    "std",
    "show",
    "tab",
)
"""The query-string keys :func:`to_query` writes and :func:`from_query` reads (``placebo``,
``boot``: the bootstrap draws, ``std``: the standardization, ``show``: the window shown and
``tab``: the results tab are written only when not the default)."""

_MAX_PROBLEM = 300


def _short(text: str, limit: int = _MAX_PROBLEM) -> str:
    """``text`` cut to ``limit`` characters: a garbage link must not flood the page."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _lenient(
    params: Mapping[str, list[str]],
    key: str,
    parse: Callable[[str], T],
    default: T,
    problems: list[str],
) -> T:
    raw = params.get(key)
    if not raw:
        return default
    try:
        return parse(raw[-1])
    except SpecError as exc:
        problems.append(_short(f"link parameter {key}={_short(raw[-1], 40)!r} ignored: {exc}"))
        return default


def _link_tickers(
    params: Mapping[str, list[str]], problems: list[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The link's valid tickers and, apart, its items that are not ticker symbols (cut short)."""
    raw = params.get("tickers")
    if not raw:
        return (), ()
    items = split_tickers(raw[-1])
    if len(items) > MAX_TICKERS:
        problems.append(
            f"link parameter tickers ignored: {len(items)} tickers is too many; "
            f"use at most {MAX_TICKERS}"
        )
        return (), ()
    valid: dict[str, None] = {}
    invalid: dict[str, None] = {}
    for item in items:
        try:
            valid[ticker(item)] = None
        except SpecError:
            invalid[_short(str(item), 24)] = None
    if invalid:
        problems.append(
            _short(
                f"link parameter tickers: {', '.join(map(repr, invalid))} "
                f"{'is not a ticker symbol' if len(invalid) == 1 else 'are not ticker symbols'}"
                " (listed as excluded: invalid ticker)"
            )
        )
    return tuple(valid), tuple(invalid)


def _article(raw: Mapping[str, list[str]], default: str | None) -> str | None:
    return None if "article" in raw else default


def from_query(search: str | None) -> tuple[ViewState, list[str]]:
    """Read a URL query string; bad parameters fall back to defaults and are listed as problems."""
    raw = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    # A blank article means "no article from the list" (pasted text); other blanks mean "default".
    params = {key: [v for v in values if v.strip()] for key, values in raw.items()}
    problems = [
        _short(f"link parameter {key!r} ignored: it is not one of {', '.join(LINK_PARAMETERS)}")
        for key in raw
        if key not in LINK_PARAMETERS
    ]
    d = DEFAULT_STATE
    preset = _lenient(params, "preset", _choice(PRESETS, "universe"), d.preset, problems)
    tickers, invalid = _link_tickers(params, problems)
    sector = params["sector"][-1].strip() if params.get("sector") else None
    if preset == "sp500" and not sector:
        problems.append("link parameter preset=sp500 ignored: it needs a sector")
        preset = d.preset
    if preset == "custom" and not tickers:
        problems.append("link parameter preset=custom ignored: it needs tickers")
        preset = d.preset
    windows = _lenient(params, "windows", _parse_windows, d.windows, problems)
    estimation = _lenient(
        params,
        "est",
        _estimation(windows),
        d.estimation,
        problems,
    )
    state = ViewState(
        article=params["article"][-1] if params.get("article") else _article(raw, d.article),
        date=_lenient(params, "date", _parse_date, d.date, problems),
        timing=_lenient(params, "timing", _study("timing"), d.timing, problems),
        preset=preset,
        sector=sector if preset == "sp500" else None,
        tickers=tickers,
        invalid=invalid,
        benchmark=_lenient(params, "benchmark", _study("benchmark"), d.benchmark, problems),
        model=_lenient(params, "model", _study("model"), d.model, problems),
        estimation=estimation,
        windows=windows,
        placebo=_lenient(params, "placebo", _parse_placebo, d.placebo, problems),
        bootstrap=_lenient(params, "boot", _parse_bootstrap, d.bootstrap, problems),
        standardization=_lenient(
            params, "std", _parse_standardization, d.standardization, problems
        ),
    )
    show = params["show"][-1].strip() if params.get("show") else None
    tab = params["tab"][-1].strip() if params.get("tab") else None
    state = state.viewing(show, tab)
    if show is not None and format_window(state.shown) != show:
        problems.append(
            _short(
                f"link parameter show={show[:40]!r} ignored: it is not one of the windows "
                f"{', '.join(format_window(w) for w in windows)}"
            )
        )
    if tab is not None and state.tab != tab:
        problems.append(
            _short(f"link parameter tab={tab[:40]!r} ignored: use one of {', '.join(RESULT_TABS)}")
        )
    return state, problems


def to_query(state: ViewState) -> str:
    """The query string (with leading ``?``) that :func:`from_query` turns back into ``state``."""
    params: dict[str, str] = {
        "article": state.article or "",
        "date": state.date.isoformat(),
        "timing": state.timing,
        "preset": state.preset,
    }
    if state.sector:
        params["sector"] = state.sector
    if state.tickers or state.invalid:
        params["tickers"] = ",".join((*state.tickers, *state.invalid))
    params |= {
        "benchmark": state.benchmark,
        "model": state.model,
        "est": format_window(state.estimation),
        "windows": ",".join(format_window(w) for w in state.windows),
    }
    if state.placebo != DEFAULTS.placebo:
        params["placebo"] = str(state.placebo)
    if state.bootstrap != DEFAULTS.bootstrap:
        params["boot"] = str(state.bootstrap)
    if state.standardization != DEFAULTS.standardization:
        params["std"] = state.standardization
    if state.shown != state.windows[0]:
        params["show"] = format_window(state.shown)
    if state.tab != "prices":
        params["tab"] = state.tab
    return "?" + urlencode(params, safe=":,^")


def universe(
    state: ViewState,
    sector_members: Mapping[str, Sequence[str]],
    market: Sequence[str] = (),
) -> tuple[str, ...]:
    """The study's tickers: the preset's members followed by the added tickers, de-duplicated.

    ``sector_members`` maps an S&P 500 sector to its tickers (from the reference snapshot);
    ``market`` is the "All US stocks" universe of the view's event
    (:func:`analytics.data.market.market_universe`). The cap of :data:`MAX_TICKERS` is on what
    a person lists, so that universe is not held to it (its added tickers are).
    """
    if state.preset == "allus":
        if len(state.tickers) > MAX_TICKERS:
            raise SpecError(
                f"tickers: {len(state.tickers)} tickers is too many; use at most {MAX_TICKERS}"
            )
        return tuple(dict.fromkeys((*market, *state.tickers)))
    if state.preset == "deepseek":
        base: Sequence[str] = tuple(DEEPSEEK_UNIVERSE)
    elif state.preset == "sp500" and state.sector == ALL_SECTORS:
        base = [t for members in sector_members.values() for t in members]
    elif state.preset == "sp500":
        if state.sector is None or state.sector not in sector_members:
            raise SpecError(
                f"sector: {state.sector!r} is not an S&P 500 sector; "
                f"choose {ALL_SECTORS} or one of {', '.join(sorted(sector_members))}"
            )
        base = sector_members[state.sector]
    else:
        base = ()
    members = tuple(dict.fromkeys((*base, *state.tickers)))
    if len(members) > MAX_TICKERS:
        raise SpecError(f"tickers: {len(members)} tickers is too many; use at most {MAX_TICKERS}")
    return members
