"""Covariates of a study: the extra columns of an events table (one text value per
firm-event), which the cross-sectional regression (``regress``) and the subgroups
(``group_by``) may name, beside the regressors and the grouping every study has.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from analytics.errors import SpecError

__all__ = ["REGRESSORS", "SECTOR", "check_covariates", "extra_columns", "numeric_columns"]


REGRESSORS: tuple[str, ...] = ("beta", "log_mcap")
"""Regressors every study can compute (the covariates of an events table add more)."""
SECTOR = "sector"
"""The grouping the reference tables provide."""


def _not_a_number(text: str) -> bool:
    if not text.strip():
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


def numeric_columns(covariates: Iterable[tuple[str, Sequence[str]]]) -> tuple[str, ...]:
    """The covariates whose every non-empty value is a number (and that have one)."""
    return tuple(
        name
        for name, values in covariates
        if any(v.strip() for v in values) and not any(_not_a_number(v) for v in values)
    )


def _available(fixed: Sequence[str], columns: Sequence[str], kind: str = "") -> str:
    listed = ", ".join(columns) if columns else "none"
    return f"{', '.join(fixed)} or the universe file's {kind}columns ({listed})"


def extra_columns(events: object) -> dict[str, np.ndarray]:
    """The columns of an events table beyond ticker, date and timing, as text (``""`` missing)."""
    if not isinstance(events, pd.DataFrame):
        return {}
    out: dict[str, np.ndarray] = {}
    for column in events.columns:
        name = str(column).strip().lower()
        if name in ("ticker", "date", "timing") or name in out:
            continue
        values = events[column].astype("string").fillna("").str.strip()
        out[name] = values.to_numpy(dtype=object).astype(str)
    return out


def check_covariates(
    covariates: tuple[tuple[str, tuple[str, ...]], ...],
    *,
    regress: tuple[str, ...],
    group_by: str | None,
    model: str,
    n_events: int,
) -> None:
    """Check a spec's covariate columns (one text value per firm-event each) and the
    regressors and grouping that name them; a :class:`SpecError` naming the parameter."""
    names = [name for name, _ in covariates]
    if len(set(names)) != len(names):
        raise SpecError(f"covariates: {names!r} repeats a column; name each once")
    for name, values in covariates:
        if len(values) != n_events or not all(isinstance(v, str) for v in values):
            raise SpecError(f"covariates: column {name!r} must hold one text value per firm-event")
    numeric = numeric_columns(covariates)
    for name in regress:
        if name == "beta" and model in ("market_adjusted", "constant_mean"):
            raise SpecError(
                f"regress: beta is not estimated by the {model} model; choose model "
                "market, capm or a factor model, or drop beta"
            )
        if name in (*REGRESSORS, *numeric):
            continue
        if name in names:
            bad = next(v for v in dict(covariates)[name] if _not_a_number(v))
            raise SpecError(
                f"regress: column {name!r} is not numeric (value {bad!r}); regress on "
                f"{_available(REGRESSORS, numeric, 'numeric ')}"
            )
        raise SpecError(
            f"regress: {name!r} is no regressor; choose from "
            f"{_available(REGRESSORS, numeric, 'numeric ')}"
        )
    if group_by is not None and group_by != SECTOR and group_by not in names:
        raise SpecError(
            f"group_by: {group_by!r} is not a column; group by {_available((SECTOR,), names)}"
        )
