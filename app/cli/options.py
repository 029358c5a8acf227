"""Study options shared by `aftershock study` and `aftershock export`, generated from StudyOptions.

Every option of :class:`~analytics.study.options.StudyOptions` becomes one flag here; its default
is the model's (the one declaration), only the flag name and its help text live in this module.
:func:`study_options` adds the flags to a command and hands it validated ``options``:

>>> @study_options
... def show(options: StudyOptions, out: str = "x") -> None: ...
>>> [p for p in inspect.signature(show).parameters][:3]
['event_date', 'timing', 'tickers']
"""

from __future__ import annotations

import functools
import inspect
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, TypeVar, get_type_hints

import typer
from pydantic import ValidationError

from analytics.errors import SpecError
from analytics.study.options import MODELS, StudyOptions, option_error, window_key
from analytics.study.spec import SpecWarning, StudySpec
from app.cli.files import read_universe

__all__ = [
    "FLAGS",
    "StoreOpt",
    "build_spec",
    "cli_defaults",
    "options_from_cli",
    "study_options",
]

F = TypeVar("F", bound=Callable[..., Any])

MAX_FIRM_EVENTS: Final = 200_000
"""Most firm-events one CLI study takes (tickers, or rows of a universe table)."""


@dataclass(frozen=True)
class _Flag:
    """How one study option is spelled on the command line."""

    flag: str
    help: str
    kind: Any = str
    metavar: str | None = None


_FLAGS: Final[Mapping[str, _Flag]] = {
    "event_date": _Flag("--event-date", "Event date YYYY-MM-DD (day 0 is resolved).", str | None),
    "timing": _Flag("--timing", "before_open | during_session | after_close."),
    "tickers": _Flag("--tickers", "Comma-separated tickers, e.g. NVDA,AVGO,MSFT.", str | None),
    "universe_file": _Flag(
        "--universe-file",
        "Tickers one per line, or a CSV with ticker,date[,timing] columns (one row per "
        "firm-event, each with its own date).",
        Path | None,
    ),
    "benchmark": _Flag("--benchmark", "Market benchmark ticker."),
    "model": _Flag("--model", " | ".join(MODELS) + "."),
    "factors": _Flag(
        "--factors",
        "Daily factor returns for ff3/ff5/carhart/etf_factors: CSV or Parquet with a date "
        "column and one column per factor (e.g. Mkt-RF, SMB, HML, RF), or a Kenneth French daily "
        "file. Default: Kenneth French's data library, cached in the store. Model factors "
        "regresses on every column of this file (any names; RF, if present, is the risk-free "
        "rate) and needs it.",
        Path | None,
    ),
    "dimson_lags": _Flag(
        "--dimson-lags",
        "K for --model dimson: sum the betas on K lags and K leads of the market.",
        metavar="INTEGER",
    ),
    "estimation": _Flag("--estimation", "Estimation window a:b in trading days, e.g. -250:-11."),
    "windows": _Flag("--window", "Event window a:b (repeat).", list[str]),
    "returns": _Flag("--returns", "simple | log."),
    "min_estimation": _Flag(
        "--min-estimation", "Fewest valid estimation returns a firm needs.", metavar="INTEGER"
    ),
    "placebo": _Flag(
        "--placebo", "Placebo pseudo-events for the empirical CAAR p (0: off).", metavar="INTEGER"
    ),
    "seed": _Flag("--seed", "Seed of the placebo and bootstrap draws.", metavar="INTEGER"),
    "bootstrap": _Flag(
        "--bootstrap", "Wild bootstrap draws for the CAAR p (boot_p; 0: off).", metavar="INTEGER"
    ),
    "standardization": _Flag(
        "--standardization",
        "SCAR of the Patell/BMP/GRANK tests: exact (exact CAR variance) | sum_sar (sum of daily "
        "SARs / sqrt(L), as some tools do; ignores their covariance).",
    ),
    "spike_screen": _Flag(
        "--spike-screen", "Bad-print screen: exclude | flag | off firm-events with a price spike."
    ),
    "spike_threshold": _Flag(
        "--spike-threshold",
        "A session return above +threshold (3: +300%) that reverses is a spike.",
        metavar="FLOAT",
    ),
    "spike_jump": _Flag(
        "--spike-jump", "A one-session price ratio above this is a spike.", metavar="FLOAT"
    ),
    "regress": _Flag(
        "--regress",
        "Regress each window's CARs on these, comma-separated: beta (estimation beta), "
        "log_mcap (log market value at day -1), numeric columns of the universe file.",
        str | None,
    ),
    "group_by": _Flag(
        "--group-by",
        "CAAR and tests per group: sector (reference sectors) or a universe-file column; "
        "groups' CAARs are compared (Welch t, permutation p).",
        str | None,
    ),
}

FLAGS: Final[Mapping[str, str]] = {name: flag.flag for name, flag in _FLAGS.items()}
"""Study option → its command-line flag (``"windows"`` → ``"--window"``)."""

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Store directory (default: AFTERSHOCK_HOME or user data dir)."),
]


def _cli_default(name: str) -> Any:
    """The model's default of ``name`` as the command line writes it."""
    value = StudyOptions.model_fields[name].default
    if name == "estimation":
        return window_key(value)
    if name == "windows":
        return [window_key(w) for w in value]
    if name in ("tickers", "regress"):
        return ",".join(value) or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def cli_defaults() -> dict[str, Any]:
    """Every study flag's default, keyed by option name (as ``--help`` shows them)."""
    return {name: _cli_default(name) for name in _FLAGS}


def _parameter(name: str) -> inspect.Parameter:
    spec = _FLAGS[name]
    option = typer.Option(spec.flag, help=spec.help, metavar=spec.metavar)
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=_cli_default(name),
        annotation=Annotated[spec.kind, option],
    )


def options_from_cli(values: Mapping[str, Any]) -> StudyOptions:
    """Validate the study flags' values; a bad one raises a one-line :class:`SpecError`."""
    given = {name: value for name, value in values.items() if value is not None}
    try:
        return StudyOptions.model_validate(given)
    except ValidationError as exc:
        raise option_error(exc) from None


def study_options(command: F) -> F:
    """Give ``command`` every study flag; it receives them as one validated ``options``.

    The flags replace the command's ``options`` parameter in its signature (Typer reads the
    signature), so ``study`` and ``export`` cannot drift apart.
    """
    hints = get_type_hints(command, include_extras=True)
    own = [
        p.replace(annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(command).parameters.values()
        if p.name != "options"
    ]
    generated = [_parameter(name) for name in _FLAGS]
    required = [p for p in own if p.default is inspect.Parameter.empty]
    optional = [p for p in own if p.default is not inspect.Parameter.empty]
    parameters = [
        *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in required),
        *generated,
        *(p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in optional),
    ]

    @functools.wraps(command)
    def run(**kwargs: Any) -> Any:
        options = options_from_cli({name: kwargs.pop(name) for name in _FLAGS})
        return command(options=options, **kwargs)

    run.__signature__ = inspect.Signature(parameters, return_annotation=None)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    del run.__wrapped__
    return run  # type: ignore[return-value]


def build_spec(options: StudyOptions) -> StudySpec:
    """The :class:`StudySpec` of the CLI's options (tickers, or the universe file's rows)."""
    names = list(options.tickers)
    events = None
    if options.universe_file is not None:
        listed, events = read_universe(options.universe_file)
        names += listed or []
    count = len(events) if events is not None else len(names)
    if count > MAX_FIRM_EVENTS:
        raise SpecError(
            f"--tickers/--universe-file: {count:,} firm-events; a study takes at most "
            f"{MAX_FIRM_EVENTS:,} (the whole US market is some 10,000 tickers): split it"
        )
    if events is None and not names:
        raise SpecError("--tickers: no tickers given; pass --tickers NVDA,AVGO or --universe-file")
    if events is None and options.event_date is None:
        raise SpecError("--event-date: required (YYYY-MM-DD) unless the universe file has dates")
    with warnings.catch_warnings():
        # What the spec drops (the benchmark as a firm, repeats) is in spec.dropped, which the
        # result lists among its exclusions and the command prints.
        warnings.simplefilter("ignore", SpecWarning)
        if events is not None:
            return StudySpec.from_options(options, events=events)
        tickers = options_from_cli({**options.model_dump(exclude_defaults=True), "tickers": names})
        return StudySpec.from_options(tickers)
