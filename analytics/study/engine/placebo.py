"""The placebo test: the same study on seeded pseudo event days shifted by the same number of
sessions, giving an empirical p-value for each window's CAAR."""

from __future__ import annotations

import numpy as np

from analytics.study.engine.core import (
    OK,
    cars,
    estimate,
)
from analytics.study.engine.inputs import (
    Panel,
    Progress,
)
from analytics.study.significance import TestResult
from analytics.study.spec import StudySpec

__all__ = ["placebo_tests"]

_PLACEBO_CELLS = 4_000_000


def placebo_tests(
    spec: StudySpec,
    panel: Panel,
    day0_rows: np.ndarray,
    columns: np.ndarray,
    included: np.ndarray,
    caar: np.ndarray,
    report: Progress,
) -> dict[str, TestResult]:
    """Empirical p-values of each window's CAAR from ``spec.placebo`` shifted pseudo studies."""
    rng = np.random.default_rng(spec.seed)
    low, high = spec.placebo_shifts
    shifts = rng.integers(low, high, size=spec.placebo, endpoint=True)
    keep = included.any(axis=0)
    rows, cols, inside = day0_rows[keep], columns[keep], included[:, keep]
    n_fe = int(keep.sum())
    depth = spec.event_span[1] - spec.estimation[0] + 1
    chunk = max(1, _PLACEBO_CELLS // max(depth * n_fe, 1))
    caar_k = np.full((len(spec.windows), spec.placebo), np.nan)
    for start in range(0, spec.placebo if n_fe else 0, chunk):
        part = shifts[start : start + chunk]
        core = estimate(
            spec, panel, (rows[None, :] + part[:, None]).ravel(), np.tile(cols, len(part))
        )
        car, complete = cars(spec, core.ar)
        usable = complete & (core.code == OK)[None, :] & np.tile(inside, len(part))
        shape = (len(spec.windows), len(part), n_fe)
        counts = usable.reshape(shape).sum(axis=2)
        sums = np.where(usable, car, 0.0).reshape(shape).sum(axis=2)
        caar_k[:, start : start + len(part)] = np.where(
            counts > 0, sums / np.maximum(counts, 1), np.nan
        )
        report("placebo", 0.4 + 0.4 * (start + len(part)) / spec.placebo)
    out = {}
    for j, key in enumerate(spec.window_keys):
        draws = caar_k[j][np.isfinite(caar_k[j])]
        k = len(draws)
        extreme = int((np.abs(draws) >= abs(caar[j])).sum())
        spread = float(draws.std(ddof=1)) if k > 1 else np.nan
        out[key] = TestResult(
            stat=float(caar[j] / spread) if spread > 0 else np.nan,
            pvalue=(1 + extreme) / (k + 1) if np.isfinite(caar[j]) else np.nan,
            null="the CAAR is no more extreme than the CAARs of pseudo event dates",
            name="placebo",
            k=k,
        )
    return out
