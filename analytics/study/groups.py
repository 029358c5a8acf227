"""Subgroups of a study: CAAR and tests per group, and the difference of two groups' CAARs.

The per-group tests are the study's own (:func:`analytics.study.significance.window_tests` on
the group's firms, so a group gives what a study of its firms alone would give). Two groups'
CAARs are compared by

- **Welch's t**: ``t = (mean_a - mean_b) / sqrt(s_a²/n_a + s_b²/n_b)`` (``ddof = 1``) with the
  Welch–Satterthwaite degrees of freedom
  ``(s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a-1) + (s_b²/n_b)²/(n_b-1))``, p two-sided;
- a **permutation p-value**: the pooled CARs are shuffled ``B`` times (each draw orders the
  firms by ``B`` rows of seeded uniforms, ``numpy.random.default_rng(seed).random((B, n))``),
  the first ``n_a`` form group a, and ``p = (1 + #{|diff_b| >= |diff|}) / (B + 1)``.

With exactly two groups, they are compared; with more, each group is compared with the rest of
the firms (``b = "rest"``).

>>> import numpy as np
>>> d = group_difference("a", np.array([-0.10, -0.12, -0.08]), "b", np.array([0.0, 0.01, -0.01]))
>>> round(d.diff, 3), round(d.welch_t, 2), d.perm_p < 0.2
(-0.1, -7.75, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from analytics.study.significance import TestResult

__all__ = [
    "PERMUTATIONS",
    "REST",
    "GroupDifference",
    "GroupStats",
    "Groups",
    "WindowGroups",
    "comparisons",
    "group_difference",
    "permutation_p",
    "welch_t",
]

PERMUTATIONS = 9999
"""Permutation draws of a group difference."""
REST = "rest"
"""The other group of a comparison of one group with all the other firms."""
_CELLS = 2_000_000
"""Most random numbers drawn at once (draws are made in chunks of rows)."""


@dataclass(frozen=True, kw_only=True)
class GroupStats:
    """One group in one window: its included firms, CAAR and the study's tests."""

    label: str
    n: int
    caar: float
    tests: Mapping[str, TestResult]


@dataclass(frozen=True, kw_only=True)
class GroupDifference:
    """``CAAR_a - CAAR_b`` with Welch's t and a permutation p-value."""

    a: str
    b: str
    n_a: int
    n_b: int
    diff: float
    welch_t: float
    df: float
    p: float
    perm_p: float
    permutations: int


@dataclass(frozen=True, kw_only=True)
class WindowGroups:
    """The groups of one window (sorted by label) and their comparisons."""

    groups: tuple[GroupStats, ...]
    differences: tuple[GroupDifference, ...]


@dataclass(frozen=True, kw_only=True)
class Groups:
    """Subgroups of a study: what they are by (``sector`` or a column) and each window's."""

    by: str
    windows: Mapping[str, WindowGroups]


def welch_t(a: np.ndarray, b: np.ndarray) -> tuple[float, float, float]:
    """``(t, df, p)`` of Welch's unequal-variance t test of ``mean(a) = mean(b)``; NaN when a
    group has fewer than two values or both have no spread."""
    n_a, n_b = len(a), len(b)
    nan = float("nan")
    if n_a < 2 or n_b < 2:
        return nan, nan, nan
    va, vb = np.var(a, ddof=1) / n_a, np.var(b, ddof=1) / n_b
    if not va + vb > 0:
        return nan, nan, nan
    t = (np.mean(a) - np.mean(b)) / np.sqrt(va + vb)
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    return float(t), float(df), float(2 * stats.t.sf(abs(t), df))


def permutation_p(
    a: np.ndarray, b: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int | None = 0
) -> float:
    """Two-sided permutation p-value of ``mean(a) - mean(b)`` (see the module)."""
    pooled = np.concatenate([a, b]).astype("float64")
    n, n_a = len(pooled), len(a)
    if n_a == 0 or n_a == n or permutations < 1:
        return float("nan")
    observed = abs(np.mean(a) - np.mean(b))
    # A draw that reproduces the split sums in another order: allow for rounding.
    bar = observed - 1e-12 * max(observed, float(np.abs(pooled).max()))
    rng = np.random.default_rng(seed)
    rows = max(1, _CELLS // n)
    total = pooled.sum()
    hits = 0
    for start in range(0, permutations, rows):
        keys = rng.random((min(rows, permutations - start), n))
        # Group a is the n_a firms with the smallest keys: a partition finds them in O(n).
        first = np.argpartition(keys, n_a - 1, axis=1)[:, :n_a]
        sum_a = pooled[first].sum(axis=1)
        diff = sum_a / n_a - (total - sum_a) / (n - n_a)
        hits += int((np.abs(diff) >= bar).sum())
    return (1 + hits) / (permutations + 1)


def group_difference(
    a_label: str,
    a: np.ndarray,
    b_label: str,
    b: np.ndarray,
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
) -> GroupDifference:
    """Compare the CARs ``a`` of one group with the CARs ``b`` of another."""
    t, df, p = welch_t(a, b)
    diff = float(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan")
    return GroupDifference(
        a=a_label,
        b=b_label,
        n_a=len(a),
        n_b=len(b),
        diff=diff,
        welch_t=t,
        df=df,
        p=p,
        perm_p=permutation_p(a, b, permutations=permutations, seed=seed),
        permutations=permutations,
    )


def comparisons(labels: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs compared among the distinct ``labels``: the two, or each against :data:`REST`."""
    distinct = sorted(set(labels))
    if len(distinct) < 2:
        return []
    if len(distinct) == 2:
        return [(distinct[0], distinct[1])]
    return [(label, REST) for label in distinct]
