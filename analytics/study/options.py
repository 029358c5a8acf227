"""Study options, declared once: every option of a study with its one default and its validation.

:class:`StudyOptions` is a frozen pydantic model that the CLI (``aftershock study`` and
``aftershock export``), the TOML project config and the dashboard's URL state all go through, and
from which :meth:`analytics.study.spec.StudySpec.create` takes its defaults. It also holds the one
window grammar (:func:`parse_window`: ``"a:b"`` or a pair ``(a, b)``).

A bad value raises :class:`pydantic.ValidationError`; :func:`option_error` turns it into the
one-line :class:`~analytics.errors.SpecError` every entry point shows, naming the parameter, the
bad value and the fix (an entry point prefixes where the value came from).

>>> options = StudyOptions(tickers="nvda, avgo", event_date="2025-01-27", windows="0:0 -1:1")
>>> options.tickers, options.windows, options.placebo
(('NVDA', 'AVGO'), ((0, 0), (-1, 1)), 200)
>>> print(option_error(catch(lambda: StudyOptions(returns="pct"))))
returns: 'pct' is not one of simple, log
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeAlias, cast, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from analytics.calendar import Timing, parse_date
from analytics.errors import AftershockError, SpecError
from analytics.tickers import parse_tickers, ticker

__all__ = [
    "DEFAULTS",
    "FACTOR_MODELS",
    "GARCH_MODELS",
    "MAX_BOOTSTRAP",
    "MAX_DIMSON_LAGS",
    "MAX_PLACEBO",
    "MAX_SESSIONS",
    "MODELS",
    "RETURN_KINDS",
    "SPIKE_SCREENS",
    "STANDARDIZATIONS",
    "ModelName",
    "ReturnKind",
    "SpikeScreen",
    "Standardization",
    "StudyOptions",
    "Window",
    "WindowLike",
    "catch",
    "option_error",
    "parse_group_by",
    "parse_regressors",
    "parse_window",
    "parse_windows",
    "problem_of",
    "suggest",
    "window_key",
]

ModelName: TypeAlias = Literal[
    "market",
    "market_adjusted",
    "constant_mean",
    "capm",
    "ff3",
    "ff5",
    "carhart",
    "etf_factors",
    "factors",
    "scholes_williams",
    "dimson",
    "garch",
    "egarch",
]
ReturnKind: TypeAlias = Literal["simple", "log"]
SpikeScreen: TypeAlias = Literal["exclude", "flag", "off"]
Standardization: TypeAlias = Literal["exact", "sum_sar"]
Window: TypeAlias = tuple[int, int]
WindowLike: TypeAlias = Window | Sequence[int] | str

MODELS: tuple[ModelName, ...] = get_args(ModelName)
FACTOR_MODELS: tuple[ModelName, ...] = ("ff3", "ff5", "carhart", "etf_factors", "factors")
"""Models regressing excess returns on factor returns (``factors``: every column of a file)."""
GARCH_MODELS: tuple[ModelName, ...] = ("garch", "egarch")
"""Market models with GARCH(1,1) or EGARCH(1,1) errors (:mod:`analytics.study.garch`)."""
MAX_DIMSON_LAGS: Final = 10
RETURN_KINDS: tuple[ReturnKind, ...] = get_args(ReturnKind)
SPIKE_SCREENS: tuple[SpikeScreen, ...] = get_args(SpikeScreen)
STANDARDIZATIONS: tuple[Standardization, ...] = get_args(Standardization)
MAX_SESSIONS: Final = 1000
"""Bound on any window's length and on how far from day 0 a window may reach, in sessions."""
MAX_PLACEBO: Final = 100_000
MAX_BOOTSTRAP: Final = 100_000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MIDNIGHT = re.compile(r"[T ]00:00(?::00(?:\.0+)?)?")


# --------------------------------------------------------------------------------------------
# The window grammar
# --------------------------------------------------------------------------------------------


def window_key(window: Window) -> str:
    """The text key of a window: ``(-1, 1) -> "-1:1"``."""
    return f"{window[0]}:{window[1]}"


def _as_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise SpecError(f"{name}: {value!r} is not a whole number of trading days")
    return int(cast(int, value))


def _not_a_window(value: object, name: str) -> SpecError:
    return SpecError(f"{name}: {value!r} is not a window; write it as a:b, e.g. -1:1")


def parse_window(value: WindowLike, *, name: str = "window") -> Window:
    """Parse ``"a:b"`` (also ``"a,b"``, ``"a;b"``, ``"[a, b]"``) or a pair ``(a, b)``.

    The window is inclusive, in trading days relative to day 0, and at most
    :data:`MAX_SESSIONS` long and away from day 0.

    >>> parse_window("-1:1"), parse_window("-5:+5"), parse_window([-3, 3])
    ((-1, 1), (-5, 5), (-3, 3))
    """
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        parts = re.split(r"[:,;]", text)
        if len(parts) != 2:
            raise _not_a_window(value, name)
        try:
            a, b = (int(p.strip()) for p in parts)
        except ValueError as exc:
            raise _not_a_window(value, name) from exc
    else:
        try:
            a_raw, b_raw = value
        except (TypeError, ValueError) as exc:
            raise SpecError(f"{name}: {value!r} is not a window; give two days (a, b)") from exc
        a, b = _as_int(a_raw, name), _as_int(b_raw, name)
    if a > b:
        raise SpecError(
            f"{name}: {a}:{b} is reversed; the start must not be after the end ({b}:{a})"
        )
    if b - a + 1 > MAX_SESSIONS or max(abs(a), abs(b)) > MAX_SESSIONS:
        raise SpecError(
            f"{name}: {a}:{b} is too long or too far from day 0; "
            f"keep windows within {MAX_SESSIONS} sessions of day 0"
        )
    return a, b


def _window_items(windows: object) -> list[WindowLike]:
    """Windows as a list: text ``"0:0 -1:1"`` (space or ``;`` separated), one pair, or many."""
    if isinstance(windows, str):
        return [w for w in re.split(r"[;\s]+", windows.strip()) if w]
    if not isinstance(windows, Iterable):
        raise SpecError(f"windows: {windows!r} is not a list of windows; write e.g. 0:0 -1:1")
    items: list[object] = list(windows)
    if len(items) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in items):
        return [cast(Window, tuple(items))]
    return cast(list[WindowLike], items)


def parse_windows(windows: object, *, name: str = "windows") -> tuple[Window, ...]:
    """Distinct event windows in their first order, from text, one pair or many.

    >>> parse_windows("0:0 -1:1 0:0")
    ((0, 0), (-1, 1))
    """
    parsed = tuple(dict.fromkeys(parse_window(w, name=name) for w in _window_items(windows)))
    if not parsed:
        raise SpecError(f"{name}: no event window; give at least one, e.g. -1:1")
    return parsed


# --------------------------------------------------------------------------------------------
# Field grammars (each raises SpecError, which option_error passes through as written)
# --------------------------------------------------------------------------------------------


def _tickers(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (str, list, tuple)):
        raise SpecError(f"tickers: {value!r} is not a list of tickers; write e.g. NVDA,AMD")
    return parse_tickers(value, name="tickers")


_ZONED_TIME = re.compile(r"[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+\-]\d{2}(?::?\d{2})?)")


def _event_date(value: object) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        day = value
    elif isinstance(value, dt.datetime):
        if value.time() != dt.time(0, 0):
            raise SpecError(f"event_date: {value} has a time; give the date only, e.g. 2025-01-27")
        day = value.date()
    elif isinstance(value, str):
        text = value.strip()
        if _ISO_DATE.fullmatch(text[:10]) and _ZONED_TIME.fullmatch(text[10:]):
            # A moment with a UTC offset: its date is the exchange's (New York) date.
            return parse_date(text, name="event_date").date()
        if not (_ISO_DATE.fullmatch(text[:10]) and _MIDNIGHT.fullmatch(text[10:] or " 00:00")):
            raise SpecError(
                f"event_date: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-27"
            )
        try:
            day = dt.date.fromisoformat(text[:10])
        except ValueError as exc:
            raise SpecError(
                f"event_date: {value!r} is not a date (no such day); write it as YYYY-MM-DD, "
                "e.g. 2025-01-27"
            ) from exc
    else:
        raise SpecError(
            f"event_date: {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-01-27"
        )
    if day is not None:
        parse_date(day, name="event_date")  # the calendar's supported range
    return day


def _path(value: object) -> object:
    return Path(value).expanduser() if isinstance(value, str) and value.strip() else value


def _window_field(value: object) -> object:
    return parse_window(cast(WindowLike, value), name="estimation")


def _windows_field(value: object) -> object:
    return parse_windows(value)


def _from_text(info: ValidationInfo) -> bool:
    """Whether text may stand for a number (a URL or a CLI flag; not a typed TOML value)."""
    return not (isinstance(info.context, dict) and info.context.get("typed"))


def _int(name: str) -> Callable[[object, ValidationInfo], object]:
    """Whole numbers; text such as ``"200"`` from a URL or a CLI flag is read as one."""

    def check(value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and _from_text(info):
            try:
                return int(value.strip())
            except ValueError:
                raise SpecError(f"{name}: {value!r} is not a whole number") from None
        return value

    return check


def _number(name: str) -> Callable[[object, ValidationInfo], object]:
    def check(value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and _from_text(info):
            try:
                return float(value.strip())
            except ValueError:
                raise SpecError(f"{name}: {value!r} is not a number") from None
        return value

    return check


_NAME = re.compile(r"[a-z_][a-z0-9_]*")


def _column_name(value: object, name: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else value
    if not isinstance(text, str) or not _NAME.fullmatch(text):
        raise SpecError(
            f"{name}: {value!r} is not a column name; use letters, digits and _, e.g. beta"
        )
    return text


def parse_regressors(value: object) -> tuple[str, ...]:
    """Regressor names from text (``"beta,log_mcap"``) or a list: lower-cased, distinct."""
    if value is None:
        return ()
    if isinstance(value, str):
        items: list[object] = [v for v in re.split(r"[,\s]+", value.strip()) if v]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
    else:
        raise SpecError(f"regress: {value!r} is not a list of regressors; write e.g. beta,log_mcap")
    return tuple(dict.fromkeys(_column_name(v, "regress") for v in items))


def parse_group_by(value: object) -> str | None:
    """The column to group by, lower-cased; None for blank text or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _column_name(value, "group_by")


Tickers = Annotated[tuple[str, ...], BeforeValidator(_tickers)]
EventDate = Annotated[dt.date | None, BeforeValidator(_event_date)]
FilePath = Annotated[Path | None, BeforeValidator(_path)]


class StudyOptions(BaseModel):
    """Every option of an event study, each with its one default.

    Parameters
    ----------
    event_date
        The event's calendar date, ISO ``YYYY-MM-DD`` only; a date that is not a session moves
        day 0 to the next session (see :func:`analytics.calendar.day_zero`).
    timing
        When the news came out: ``before_open``, ``during_session`` or ``after_close``.
    tickers
        Firm tickers (text separated by commas or spaces, or a list), normalized and distinct
        by the one grammar of :mod:`analytics.tickers` (``brk.b`` is ``BRK-B``).
    universe_file
        A file of tickers, or of ``ticker,date[,timing]`` rows (read by the CLI).
    benchmark
        Market benchmark symbol; never treated as a firm.
    model
        Normal-return model, one of :data:`MODELS`.
    factors
        A file of daily factor returns for the factor models (default: Kenneth French's data
        library, or ETF proxies for ``etf_factors``); model ``factors`` regresses on every
        column of it (any names) and needs it.
    dimson_lags
        K, the lags and leads of the market return whose betas model ``dimson`` sums (1 to
        :data:`MAX_DIMSON_LAGS`).
    estimation
        Inclusive estimation window ``a:b`` in relative trading days; it ends before every event
        window starts.
    windows
        Inclusive event windows, in the order results report them.
    returns
        ``"simple"`` or ``"log"`` returns.
    min_estimation
        Fewest valid estimation returns a firm-event needs; at most the estimation length.
    placebo
        Number of placebo draws (pseudo day 0s in the pre-event period); 0 switches it off.
    seed
        Seed of the placebo and bootstrap draws (fixed by default, so re-runs reproduce the
        same p-values); None draws a fresh one.
    bootstrap
        Draws B of the wild bootstrap of CAAR (``boot_p``); 0 switches it off.
    standardization
        How a CAR is standardized for the SCAR-based tests and the firm t: ``exact`` divides by
        the square root of its exact prediction-error variance (cross-day covariance from
        estimation error included); ``sum_sar`` sums the day SARs and divides by ``sqrt(L)``,
        as some tools do (it ignores that covariance and over-rejects slightly).
    spike_screen, spike_threshold, spike_jump
        The bad-print screen: ``exclude`` firm-events with an implausible price spike from
        aggregates, only ``flag`` them, or ``off``; a session return is a spike candidate above
        ``+spike_threshold`` (3.0: +300%, or below -75%) when the next session reverses it, and
        a single-session price ratio above ``spike_jump`` is a spike even if never reversed.
    regress
        Regressors of the cross-sectional regression of each window's CARs (text separated by
        commas, or a list): ``beta`` (estimation-window market beta), ``log_mcap`` (log market
        value at day -1) and numeric columns of the universe file; empty: no regression.
    group_by
        ``sector`` (the reference tables' sectors) or a column of the universe file: CAAR and
        tests per group, and the difference of groups' CAARs; None: no groups.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=False)

    event_date: EventDate = Field(default=None, json_schema_extra={"example": "2025-01-27"})
    timing: Timing = Field(default="before_open", json_schema_extra={"example": '"before_open"'})
    tickers: Tickers = Field(default=(), json_schema_extra={"example": '["NVDA", "AMD"]'})
    universe_file: FilePath = Field(default=None, json_schema_extra={"example": '"universe.csv"'})
    benchmark: str = Field(default="SPY", json_schema_extra={"example": '"SPY"'})
    model: ModelName = Field(default="market", json_schema_extra={"example": '"market"'})
    factors: FilePath = Field(default=None, json_schema_extra={"example": '"factors.csv"'})
    dimson_lags: Annotated[int, BeforeValidator(_int("dimson_lags"))] = Field(
        default=1, json_schema_extra={"example": "1"}
    )
    estimation: Annotated[Window, BeforeValidator(_window_field)] = Field(
        default=(-250, -11), json_schema_extra={"example": '"-250:-11"'}
    )
    windows: Annotated[tuple[Window, ...], BeforeValidator(_windows_field)] = Field(
        default=((0, 0), (-1, 1), (-5, 5)), json_schema_extra={"example": '["0:0", "-1:1"]'}
    )
    returns: ReturnKind = Field(default="simple", json_schema_extra={"example": '"simple"'})
    min_estimation: Annotated[int, BeforeValidator(_int("min_estimation"))] = Field(
        default=120, json_schema_extra={"example": "120"}
    )
    placebo: Annotated[int, BeforeValidator(_int("placebo"))] = Field(
        default=200, json_schema_extra={"example": "200"}
    )
    seed: Annotated[int | None, BeforeValidator(_int("seed"))] = Field(
        default=0, json_schema_extra={"example": "0"}
    )
    bootstrap: Annotated[int, BeforeValidator(_int("bootstrap"))] = Field(
        default=999, json_schema_extra={"example": "999"}
    )
    standardization: Standardization = Field(
        default="exact", json_schema_extra={"example": '"exact"'}
    )
    spike_screen: SpikeScreen = Field(default="exclude", json_schema_extra={"example": '"exclude"'})
    spike_threshold: Annotated[float, BeforeValidator(_number("spike_threshold"))] = Field(
        default=3.0, json_schema_extra={"example": "3.0"}
    )
    spike_jump: Annotated[float, BeforeValidator(_number("spike_jump"))] = Field(
        default=10.0, json_schema_extra={"example": "10"}
    )
    regress: Annotated[tuple[str, ...], BeforeValidator(parse_regressors)] = Field(
        default=(), json_schema_extra={"example": '["beta", "log_mcap"]'}
    )
    group_by: Annotated[str | None, BeforeValidator(parse_group_by)] = Field(
        default=None, json_schema_extra={"example": '"sector"'}
    )

    @field_validator("benchmark", mode="before")
    @classmethod
    def _benchmark(cls, value: object) -> str:
        return ticker(value, name="benchmark")

    @field_validator("min_estimation")
    @classmethod
    def _min_estimation(cls, value: int) -> int:
        if value < 3:
            raise SpecError(f"min_estimation: {value} must be at least 3; e.g. 120")
        return value

    @field_validator("dimson_lags")
    @classmethod
    def _dimson_lags(cls, value: int) -> int:
        if not 1 <= value <= MAX_DIMSON_LAGS:
            raise SpecError(f"dimson_lags: {value} must be between 1 and {MAX_DIMSON_LAGS}, e.g. 1")
        return value

    @field_validator("placebo")
    @classmethod
    def _placebo(cls, value: int) -> int:
        if not 0 <= value <= MAX_PLACEBO:
            raise SpecError(f"placebo: {value} must be between 0 and {MAX_PLACEBO}")
        return value

    @field_validator("bootstrap")
    @classmethod
    def _bootstrap(cls, value: int) -> int:
        if not 0 <= value <= MAX_BOOTSTRAP:
            raise SpecError(f"bootstrap: {value} must be between 0 and {MAX_BOOTSTRAP}, e.g. 999")
        return value

    @field_validator("spike_threshold")
    @classmethod
    def _spike_threshold(cls, value: float) -> float:
        if not value > 0:
            raise SpecError(f"spike_threshold: {value!r} must be positive, e.g. 3.0 for +300%")
        return value

    @field_validator("spike_jump")
    @classmethod
    def _spike_jump(cls, value: float) -> float:
        if not value > 1:
            raise SpecError(f"spike_jump: {value!r} must be a price ratio above 1, e.g. 10")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StudyOptions:
        first = min(a for a, _ in self.windows)
        if self.estimation[1] >= first:
            raise SpecError(
                f"estimation: {window_key(self.estimation)} is overlapping the event window "
                f"starting at day {first}; end the estimation window before day {first}"
            )
        length = self.estimation[1] - self.estimation[0] + 1
        if self.min_estimation > length:
            raise SpecError(
                f"min_estimation: {self.min_estimation} must be between 3 and the estimation "
                f"length {length}; lower it or widen the estimation window"
            )
        return self

    @classmethod
    def from_typed(cls, values: Mapping[str, object]) -> StudyOptions:
        """Validate typed values (TOML, Python): no text is read as a number, no bool as one."""
        return cls.model_validate(dict(values), strict=True, context={"typed": True})

    @property
    def window_keys(self) -> tuple[str, ...]:
        """Text keys of the event windows, e.g. ``("0:0", "-1:1", "-5:5")``."""
        return tuple(window_key(w) for w in self.windows)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every option's default, by name."""
        return {name: field.default for name, field in cls.model_fields.items()}

    @classmethod
    def example(cls, name: str) -> str:
        """How an option is written, e.g. ``"-250:-11"`` for ``estimation`` (config hints)."""
        extra = cls.model_fields[name].json_schema_extra
        return str(extra.get("example", "")) if isinstance(extra, dict) else ""


DEFAULTS: Final = StudyOptions()
"""The options with every default."""


# --------------------------------------------------------------------------------------------
# One error line from a ValidationError
# --------------------------------------------------------------------------------------------


def suggest(word: str, choices: Iterable[str]) -> str:
    """A ``" (did you mean 'x'?)"`` hint for a mistyped name, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: object) -> str:
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array"}
    return names.get(type(value), type(value).__name__)


def catch(build: Callable[[], object]) -> ValidationError:
    """The :class:`ValidationError` that ``build()`` raises (for examples and tests)."""
    try:
        build()
    except ValidationError as exc:
        return exc
    raise AssertionError("no ValidationError raised")


def _location(error: ErrorDetails) -> str:
    parts = [str(p) for p in error["loc"] if not isinstance(p, int)]
    return ".".join(parts) if parts else ""


def problem_of(
    error: ErrorDetails,
    *,
    show: Callable[[object], str] = repr,
    kind: Callable[[object], str] = _type_name,
) -> tuple[str, str]:
    """``(parameter, problem)`` of one pydantic error, the problem starting with the bad value.

    An error one of this module's grammars raised keeps its own text (which names the
    parameter first); ``show`` and ``kind`` format a value and its type for type errors (the
    config writes TOML values, e.g. ``"10" is a string``).
    """
    name = _location(error)
    value = error.get("input")
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, AftershockError):
        text = str(cause)
        head, sep, rest = text.partition(": ")
        return (head, rest) if sep and head.replace("_", "").isalpha() else (name, text)
    kind_of = error["type"]
    if kind_of == "extra_forbidden":
        allowed = sorted(StudyOptions.model_fields)
        return name, f"unknown option{suggest(name, allowed)}; allowed are {', '.join(allowed)}"
    if kind_of == "literal_error":
        expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        return name, f"{value!r} is not one of {', '.join(expected)}"
    if kind_of == "missing":
        return name, "is required"
    example = StudyOptions.example(name) if name in StudyOptions.model_fields else ""
    fix = f"; write it like {example}" if example else f"; {error['msg']}"
    return name, f"{show(value)} is a {kind(value)}{fix}"


def option_error(
    exc: ValidationError,
    *,
    show: Callable[[object], str] = repr,
    kind: Callable[[object], str] = _type_name,
) -> SpecError:
    """The first problem of ``exc`` as one :class:`SpecError` line ``"<parameter>: <problem>"``.

    The error's ``parameter`` attribute names the option (an entry point maps it to its flag,
    config key or link parameter).
    """
    name, problem = problem_of(exc.errors()[0], show=show, kind=kind)
    return SpecError(f"{name}: {problem}" if name else problem, parameter=name or None)
