"""Why a firm-event is left out: the firm-level reason, each window's status and the
firm's overall status, in the words the result and the dashboard show."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.study.engine.core import (
    HISTORY,
    NO_FIT,
    NO_PRICES,
    OK,
    SINGULAR,
    SPIKE,
    UNKNOWN,
    ZERO_VAR,
    Core,
    window_slices,
)
from analytics.study.result import STATUS_OK
from analytics.study.spec import StudySpec

__all__ = ["firm_reasons", "firm_status", "window_status"]


def firm_reasons(
    spec: StudySpec, core: Core, sessions: np.ndarray, rows: np.ndarray
) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Firm-level reason per firm-event (``"ok"`` if none) and the spike flag texts."""
    rel0 = spec.estimation[0]
    flags = np.full(len(core.code), None, dtype=object)
    for i in np.flatnonzero(core.spike_row >= 0):  # rare: a loop over the flagged ones only
        ratio = core.spike_ratio[i]
        day = sessions[rows[i] + rel0 + core.spike_row[i]]
        date = pd.Timestamp(day).strftime("%Y-%m-%d")
        flags[i] = (f"implausible price spike on {date} (×{ratio:.0f})" if ratio >= 10 else
                    f"implausible price spike on {date} (×{ratio:.3g})")  # fmt: skip
    texts = {
        OK: STATUS_OK,
        UNKNOWN: "excluded: unknown ticker",
        NO_PRICES: "excluded: no prices",
        SINGULAR: "excluded: degenerate regressors in the estimation window",
        ZERO_VAR: "excluded: zero return variance in the estimation window (constant prices)",
        NO_FIT: f"excluded: the {spec.model} model did not converge on the estimation window",
    }
    reasons = np.empty(len(core.code), dtype=object)
    for code, text in texts.items():
        reasons[core.code == code] = text
    for i in np.flatnonzero(core.code == SPIKE):
        reasons[i] = f"excluded: {flags[i]}"
    for i in np.flatnonzero(core.code == HISTORY):
        reasons[i] = (
            f"excluded: too little history ({core.fit.n[i]} valid estimation returns "
            f"< min_estimation {spec.min_estimation})"
        )
    return tuple(reasons.tolist()), tuple(flags.tolist())


def window_status(
    spec: StudySpec, core: Core, firm_reason: tuple[str, ...], complete: np.ndarray
) -> np.ndarray:
    """``(n_win, N)`` ``"ok"`` or the reason a firm-event is left out of a window."""
    status = np.empty(complete.shape, dtype=object)
    reasons = np.asarray(firm_reason, dtype=object)
    for j, (key, rows) in enumerate(zip(spec.window_keys, window_slices(spec), strict=True)):
        gap = ~np.isfinite(core.ret[rows]).all(axis=0)
        status[j] = np.where(
            core.code != OK,
            reasons,
            np.where(
                gap,
                f"excluded: missing price in window {key}",
                np.where(
                    complete[j],
                    STATUS_OK,
                    f"excluded: missing benchmark or factor data in window {key}",
                ),
            ),
        )
    return status


def firm_status(firm_reason: tuple[str, ...], status: np.ndarray) -> tuple[str, ...]:
    """``"ok"`` when usable in some window, else the firm-level or every window's reason."""
    usable = (status == STATUS_OK).any(axis=0)
    out = np.where(usable, STATUS_OK, np.asarray(firm_reason, dtype=object))
    # Left out of every window for window reasons only: each window's reason, joined.
    for i in np.flatnonzero((out == STATUS_OK) & ~usable):
        out[i] = "excluded: " + "; ".join(s.removeprefix("excluded: ") for s in status[:, i])
    return tuple(out.tolist())
