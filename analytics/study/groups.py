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
    "group_differences",
    "permutation_p",
    "permutation_ps",
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
    observed = abs(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan")
    pooled = np.concatenate([a, b])
    return permutation_ps(pooled, [len(a)], [observed], permutations=permutations, seed=seed)[0]


def permutation_ps(
    pooled: np.ndarray,
    sizes: Sequence[int],
    observed: Sequence[float],
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
) -> list[float]:
    """Permutation p-values of several splits of the same ``pooled`` values, from one set of
    draws: split i puts ``sizes[i]`` values in group a, and ``observed[i]`` is its
    ``|mean(a) - mean(b)|``. Each draw orders the values by a row of seeded uniforms and the
    first ``sizes[i]`` form group a, as :func:`permutation_p` draws them; one partition of
    each row serves every split (a sector against the rest, for each of a dozen sectors).
    """
    values = np.asarray(pooled, dtype="float64")
    n = len(values)
    p_values = np.full(len(sizes), np.nan)
    usable = [i for i, k in enumerate(sizes) if 0 < k < n]
    if not usable or permutations < 1:
        return p_values.tolist()
    ks = np.array([sizes[i] for i in usable])
    # A draw that reproduces the split sums in another order: allow for rounding.
    scale = float(np.abs(values).max())
    bars = np.array([observed[i] - 1e-12 * max(observed[i], scale) for i in usable])
    rng = np.random.default_rng(seed)
    rows = max(1, _CELLS // n)
    total = values.sum()
    hits = np.zeros(len(usable), dtype=np.int64)
    kth = sorted({int(k) - 1 for k in ks})
    for start in range(0, permutations, rows):
        keys = rng.random((min(rows, permutations - start), n))
        # Each group a is the k firms with the smallest keys: one partition (O(n) a row) puts
        # the k smallest first for every k at once.
        order = np.argpartition(keys, kth, axis=1)
        sums = np.cumsum(values[order[:, : ks.max()]], axis=1)[:, ks - 1]
        diff = sums / ks - (total - sums) / (n - ks)
        hits += (np.abs(diff) >= bars).sum(axis=0)
    p_values[usable] = (1 + hits) / (permutations + 1)
    return p_values.tolist()


def group_difference(
    a_label: str,
    a: np.ndarray,
    b_label: str,
    b: np.ndarray,
    *,
    permutations: int = PERMUTATIONS,
    seed: int | None = 0,
    perm_p: float | None = None,
) -> GroupDifference:
    """Compare the CARs ``a`` of one group with the CARs ``b`` of another (``perm_p`` when
    :func:`permutation_ps` already drew it)."""
    t, df, p = welch_t(a, b)
    diff = float(np.mean(a) - np.mean(b)) if len(a) and len(b) else float("nan")
    if perm_p is None:
        perm_p = permutation_p(a, b, permutations=permutations, seed=seed)
    return GroupDifference(
        a=a_label,
        b=b_label,
        n_a=len(a),
        n_b=len(b),
        diff=diff,
        welch_t=t,
        df=df,
        p=p,
        perm_p=perm_p,
        permutations=permutations,
    )


def group_differences(
    cars: np.ndarray, labels: np.ndarray, *, permutations: int = PERMUTATIONS, seed: int | None = 0
) -> tuple[GroupDifference, ...]:
    """The :func:`comparisons` among the groups ``labels`` of ``cars`` (one label per CAR):
    every compared pair splits all of ``cars``, so one set of draws gives every permutation
    p-value (:func:`permutation_ps`)."""
    values = np.asarray(cars, dtype="float64")
    pairs = comparisons([str(v) for v in labels])
    members = [labels == a for a, _ in pairs]
    observed = [abs(values[m].mean() - values[~m].mean()) for m in members]
    p_values = permutation_ps(
        values, [int(m.sum()) for m in members], observed, permutations=permutations, seed=seed
    )
    return tuple(
        group_difference(
            a, values[m], b, values[~m], permutations=permutations, seed=seed, perm_p=perm
        )
        for (a, b), m, perm in zip(pairs, members, p_values, strict=True)
    )


def comparisons(labels: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs compared among the distinct ``labels``: the two, or each against :data:`REST`."""
    distinct = sorted(set(labels))
    if len(distinct) < 2:
        return []
    if len(distinct) == 2:
        return [(distinct[0], distinct[1])]
    return [(label, REST) for label in distinct]
