"""The mean pairwise correlation of firms' estimation residuals (Kolari and Pynnönen's
``r``), exact and without an N x N matrix."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numba
import numpy as np

__all__ = [
    "CorrelationPlan",
    "CorrelationSums",
    "centred_residuals",
    "correlation_from_sums",
    "correlation_plan",
    "correlation_sums",
    "grouped_sums",
    "mean_pairwise_correlation",
    "pattern_words",
    "single_grouped_pairs",
    "single_pairs",
]

_NAN = float("nan")

# A variance over common days below this share of the sum of squares is treated as zero: it is
# rounding left over from a series that is constant on those days.
_REL_ZERO_VARIANCE = 1e-13
_BLOCK_SIZE = 256
# Patterns of valid days grouped by mean_pairwise_correlation (memory G² L floats).
_MAX_GROUPS = 256


def _correlations(
    n: np.ndarray,
    sx_r: np.ndarray,
    sx_c: np.ndarray,
    sxx_r: np.ndarray,
    sxx_c: np.ndarray,
    cross: np.ndarray,
    pair: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The defined correlations among ``pair`` (0 elsewhere) and where they are defined, from
    common-day sums.

    Arguments broadcast to ``(rows, columns)``: common days ``n``, sums of each firm's residuals
    (``sx``) and squares (``sxx``) over them, and the cross-product sums ``cross``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        var_r = sxx_r - sx_r * sx_r / n
        var_c = sxx_c - sx_c * sx_c / n
        cov = cross - sx_r * sx_c / n
        keep = (
            pair
            & (n >= 2)
            & (var_r > _REL_ZERO_VARIANCE * sxx_r)
            & (var_c > _REL_ZERO_VARIANCE * sxx_c)
        )
        corr = np.where(keep, cov / np.sqrt(np.where(keep, var_r * var_c, 1.0)), 0.0)
    return corr, keep


def pattern_words(valid: np.ndarray) -> np.ndarray:
    """``(N, W)`` uint64: each column of a ``(L, N)`` boolean array packed into 64-bit words."""
    # The words of np.packbits(valid, axis=0) (day t: bit 7 - t % 8 of byte t // 8), zero-padded
    # to whole 64-bit words and read as little-endian uint64, written in one compiled pass.
    return _packed_words(np.ascontiguousarray(valid, dtype=np.bool_))


@numba.njit(cache=True, nogil=True)
def _packed_words(valid):
    days, firms = valid.shape
    words = np.zeros((firms, max((days + 63) // 64, 1)), dtype=np.uint64)
    for t in range(days):
        bit = np.uint64(1) << np.uint64(8 * ((t & 63) >> 3) + 7 - (t & 7))
        for i in range(firms):
            if valid[t, i]:
                words[i, t >> 6] |= bit
    return words


@dataclass(frozen=True, eq=False)
class CorrelationPlan:
    """How :func:`mean_pairwise_correlation` pairs a set of firms, fixed from their patterns of
    valid days alone: the up to ``_MAX_GROUPS`` largest patterns shared by several firms become
    groups, the other firms are paired one by one.

    Attributes
    ----------
    days
        ``(L, G)`` float: group g's valid days.
    group_of
        ``(N,)`` each firm's group, -1 for a firm paired one by one.
    """

    days: np.ndarray
    group_of: np.ndarray


def correlation_plan(words: np.ndarray, n_days: int) -> CorrelationPlan:
    """The :class:`CorrelationPlan` of firms whose :func:`pattern_words` are ``words``.

    Patterns are sorted with ``lexsort`` (much faster than ``np.unique(axis=...)``, which
    compares rows of booleans as opaque bytes).
    """
    n_firms = words.shape[0]
    order = np.lexsort(words.T)
    ordered = words[order]
    starts = np.ones(n_firms, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    pattern_of = np.empty(n_firms, dtype=np.intp)
    pattern_of[order] = np.cumsum(starts) - 1
    sizes = np.bincount(pattern_of, minlength=int(starts.sum()))
    largest = np.argsort(-sizes, kind="stable")
    grouped = largest[sizes[largest] >= 2][:_MAX_GROUPS]
    group_of = np.full(sizes.size, -1, dtype=np.intp)
    group_of[grouped] = np.arange(grouped.size)
    patterns = ordered[starts][grouped]
    bits = np.unpackbits(np.ascontiguousarray(patterns).view(np.uint8), axis=1)[:, :n_days]
    return CorrelationPlan(days=bits.T.astype(float), group_of=group_of[pattern_of])


def centred_residuals(est_resid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each firm's residuals less their mean over its valid days (0 elsewhere), and the valid
    days. Centring limits cancellation in the sums of squares; a firm constant over all its
    days becomes exactly zero so every pair with it is left out."""
    x = np.asarray(est_resid, dtype=float)
    return _centred(x.reshape(len(x), -1))


@numba.njit(cache=True, nogil=True)
def _centred(x):
    days, firms = x.shape
    valid = np.empty((days, firms), dtype=np.bool_)
    total = np.zeros(firms)
    count = np.zeros(firms, dtype=np.int64)
    hi = np.full(firms, -np.inf)
    lo = np.full(firms, np.inf)
    for t in range(days):  # day by day, as numpy sums the rows
        for i in range(firms):
            v = x[t, i]
            ok = np.isfinite(v)
            valid[t, i] = ok
            if ok:
                total[i] += v
                count[i] += 1
                hi[i] = max(hi[i], v)
                lo[i] = min(lo[i], v)
    mean = total / np.maximum(count, 1)
    out = np.zeros((days, firms))
    for t in range(days):
        for i in range(firms):
            if valid[t, i] and hi[i] > lo[i]:
                out[t, i] = x[t, i] - mean[i]
    return out, valid


@dataclass(eq=False)
class CorrelationSums:
    """Additive sums behind :func:`mean_pairwise_correlation`: the weighted group sums of
    :func:`correlation_sums` and the correlations of one-by-one firms with grouped ones. Sums of
    disjoint chunks of firms add up (``+``) to the sums of their union."""

    a: np.ndarray  # (G, G, L)
    b: np.ndarray  # (G, G)
    kept: np.ndarray  # (G, G)
    self_a: np.ndarray  # (G,)
    self_b: np.ndarray  # (G,)
    total: float = 0.0
    pairs: int = 0

    def __add__(self, other: CorrelationSums) -> CorrelationSums:
        return CorrelationSums(
            self.a + other.a,
            self.b + other.b,
            self.kept + other.kept,
            self.self_a + other.self_a,
            self.self_b + other.self_b,
            self.total + other.total,
            self.pairs + other.pairs,
        )

    def __iadd__(self, other: CorrelationSums) -> CorrelationSums:
        """Add ``other`` in place (the out-of-core engine's running sums: no new arrays)."""
        for name in ("a", "b", "kept", "self_a", "self_b"):
            getattr(self, name).__iadd__(getattr(other, name))
        self.total += other.total
        self.pairs += other.pairs
        return self

    def copy(self) -> CorrelationSums:
        return CorrelationSums(self.a.copy(), self.b.copy(), self.kept.copy(),
                               self.self_a.copy(), self.self_b.copy(), self.total,
                               self.pairs)  # fmt: skip

    def __sub__(self, other: CorrelationSums) -> CorrelationSums:
        """The sums of this set of firms without the firms of ``other``, a subset of it."""
        return CorrelationSums(
            self.a - other.a,
            self.b - other.b,
            self.kept - other.kept,
            self.self_a - other.self_a,
            self.self_b - other.self_b,
            self.total - other.total,
            self.pairs - other.pairs,
        )


def grouped_sums(centred: np.ndarray, group_of: np.ndarray, days: np.ndarray) -> CorrelationSums:
    """The weighted group sums of a chunk of firms: ``centred`` residuals ``(L, n)`` (see
    :func:`centred_residuals`) and their groups (-1: paired one by one, left out here)."""
    n_days, n_groups = days.shape
    common = days.T @ days
    a = np.zeros((n_groups, n_groups, n_days))
    b = np.zeros((n_groups, n_groups))
    kept = np.zeros((n_groups, n_groups))
    self_a = np.zeros(n_groups)
    self_b = np.zeros(n_groups)
    for g in np.unique(group_of[group_of >= 0]):
        mine = group_of == g
        xg = centred if mine.all() else centred[:, mine]
        s = xg.T @ days
        q = (xg * xg).T @ days
        with np.errstate(divide="ignore", invalid="ignore"):
            var = q - s * s / common[g]
            keep = (common[g] >= 2) & (var > _REL_ZERO_VARIANCE * q)
            w = np.where(keep, 1.0 / np.sqrt(np.where(keep, var, 1.0)), 0.0)
        a[g] = (xg @ w).T
        b[g] = (s * w).sum(axis=0)
        kept[g] = keep.sum(axis=0)
        self_a[g] = float(np.sum(q[:, g] * w[:, g] ** 2))
        self_b[g] = float(np.sum((s[:, g] * w[:, g]) ** 2))
    return CorrelationSums(a, b, kept, self_a, self_b)


def correlation_sums(
    centred: np.ndarray,
    group_of: np.ndarray,
    days: np.ndarray,
    singles: tuple[np.ndarray, np.ndarray],
) -> CorrelationSums:
    """:class:`CorrelationSums` of a chunk of firms: ``centred`` residuals ``(L, n)`` (see
    :func:`centred_residuals`) and their groups; ``singles`` holds the centred residuals and
    valid days of every one-by-one firm of the whole set, paired here with the chunk's grouped
    firms (pairs among one-by-one firms are :func:`single_pairs`)."""
    sums = grouped_sums(centred, group_of, days)
    if singles[0].shape[1] == 0:  # every firm grouped: no one-by-one pairs to add
        return sums
    grouped = group_of >= 0
    everyone = np.ones((1, singles[0].shape[1]), dtype=bool)
    total, pairs = single_grouped_pairs(
        *singles, centred[:, grouped], days[:, group_of[grouped]] > 0,
        everyone, np.ones((1, int(grouped.sum())), dtype=bool),
    )  # fmt: skip
    return replace(sums, total=float(total[0]), pairs=int(pairs[0]))


def single_grouped_pairs(
    xs: np.ndarray,
    ms: np.ndarray,
    xc: np.ndarray,
    mc: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sum and count of the correlations of one-by-one firms ``xs`` (centred, valid days ``ms``)
    with firms ``xc`` (``mc``), for each of several subsets: subset k pairs the firms where
    ``rows[k]`` (of ``xs``) with those where ``cols[k]`` (of ``xc``) are true."""
    totals, pairs = np.zeros(rows.shape[0]), np.zeros(rows.shape[0], dtype=np.int64)
    if xs.shape[1] == 0:
        return totals, pairs
    mc_f = mc.astype(float)
    xc2 = xc * xc
    everything = np.ones((1, 1), dtype=bool)
    for start in range(0, xs.shape[1], _BLOCK_SIZE):
        stop = min(start + _BLOCK_SIZE, xs.shape[1])
        block, mblock = xs[:, start:stop], ms[:, start:stop].astype(float)
        corr, keep = _correlations(
            mblock.T @ mc_f, block.T @ mc_f, mblock.T @ xc, (block * block).T @ mc_f,
            mblock.T @ xc2, block.T @ xc, everything,
        )  # fmt: skip
        picked = rows[:, start:stop].astype(float)
        totals += ((picked @ corr) * cols).sum(axis=1)
        pairs += np.rint(((picked @ keep.astype(float)) * cols).sum(axis=1)).astype(np.int64)
    return totals, pairs


def single_pairs(xs: np.ndarray, ms: np.ndarray) -> tuple[float, int]:
    """Sum and count of the correlations among one-by-one firms (pairs i < j)."""
    total, pairs = 0.0, 0
    ms_f = ms.astype(float)
    xs2 = xs * xs
    for start in range(0, xs.shape[1], _BLOCK_SIZE):
        stop = min(start + _BLOCK_SIZE, xs.shape[1])
        rows, mrows = xs[:, start:stop], ms_f[:, start:stop]
        cols, cols2, mcols = xs[:, start:], xs2[:, start:], ms_f[:, start:]
        later = np.arange(cols.shape[1])[None, :] > np.arange(stop - start)[:, None]
        corr, keep = _correlations(
            mrows.T @ mcols, rows.T @ mcols, mrows.T @ cols, (rows * rows).T @ mcols,
            mrows.T @ cols2, rows.T @ cols, later,
        )  # fmt: skip
        total += float(corr.sum())
        pairs += int(keep.sum())
    return total, pairs


def correlation_from_sums(
    sums: CorrelationSums, days: np.ndarray, singles: tuple[float, int]
) -> float:
    """The mean pairwise correlation from the :class:`CorrelationSums` of every firm and
    :func:`single_pairs`; NaN when no pair is left."""
    common = days.T @ days
    a, b, kept = sums.a, sums.b, sums.kept
    n_groups = b.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        pair_sums = np.einsum("ghl,hgl->gh", a, a) - np.where(common > 0, b * b.T / common, 0.0)
    upper = np.triu_indices(n_groups, k=1)
    total = float(pair_sums[upper].sum())
    pairs = int((kept * kept.T)[upper].sum())
    diagonal = np.arange(n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = 0.5 * (
            np.einsum("gl,gl->g", a[diagonal, diagonal], a[diagonal, diagonal])
            - sums.self_a
            - np.where(np.diag(common) > 0, (np.diag(b) ** 2 - sums.self_b) / np.diag(common), 0.0)
        )
    own = np.diag(kept)
    total += float(within.sum()) + sums.total + singles[0]
    pairs += int((own * (own - 1) // 2).sum()) + sums.pairs + singles[1]
    return total / pairs if pairs else _NAN


def mean_pairwise_correlation(est_resid: np.ndarray) -> float:
    """Mean pairwise correlation of firms' residuals, each pair over its common days.

    The pairwise-complete definition: for firms i < j, the Pearson correlation of their residuals
    over the days where both have one (means taken over those days). Pairs with fewer than two
    common days or zero variance on them are left out; NaN when no pair is left.

    Real panels have few patterns of valid days (every day; every day since a listing), so
    firms are grouped by pattern (:func:`correlation_plan`): for the up to ``_MAX_GROUPS``
    largest patterns shared by several firms, the correlations of all pairs between or within
    two groups sum to a few dot products of weighted group sums, in time O(L N G). Firms with a
    pattern of their own are paired with every later firm by masked matrix products in blocks
    of rows: memory O(block * N), time O(L N_single N). Both parts are exact; no N x N matrix
    is formed. The sums are additive over chunks of firms (:func:`correlation_sums`), which is
    how the out-of-core engine gets the same ``r`` chunk by chunk.

    Parameters
    ----------
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Kolari and Pynnönen (2010), section 2.
    """
    centred, valid = centred_residuals(est_resid)
    plan = correlation_plan(pattern_words(valid), valid.shape[0])
    single = plan.group_of < 0
    xs, ms = centred[:, single], valid[:, single]
    sums = correlation_sums(centred, plan.group_of, plan.days, (xs, ms))
    return correlation_from_sums(sums, plan.days, single_pairs(xs, ms))
