"""The mean pairwise correlation of firms' estimation residuals (Kolari and Pynnönen's
``r``), exact and without an N x N matrix."""

from __future__ import annotations

import numpy as np

__all__ = ["mean_pairwise_correlation"]

_NAN = float("nan")

# A variance over common days below this share of the sum of squares is treated as zero: it is
# rounding left over from a series that is constant on those days.
_REL_ZERO_VARIANCE = 1e-13
_BLOCK_SIZE = 256
# Patterns of valid days grouped by mean_pairwise_correlation (memory G² L floats).
_MAX_GROUPS = 256


def _correlation_sums(
    n: np.ndarray,
    sx_r: np.ndarray,
    sx_c: np.ndarray,
    sxx_r: np.ndarray,
    sxx_c: np.ndarray,
    cross: np.ndarray,
    pair: np.ndarray,
) -> tuple[float, int]:
    """Sum and count of the defined correlations among ``pair`` from common-day sums.

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
        corr = cov[keep] / np.sqrt((var_r * var_c)[keep])
    return float(corr.sum()), int(keep.sum())


def _patterns(valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns of a ``(L, N)`` boolean array as ``(G, L)`` rows, and each column's row.

    Columns are packed into 64-bit words and sorted with ``lexsort``: much faster than
    ``np.unique(axis=...)``, which compares rows of booleans as opaque bytes.
    """
    n_firms = valid.shape[1]
    packed = np.packbits(valid, axis=0)
    padded = np.zeros((-(-packed.shape[0] // 8) * 8, n_firms), dtype=np.uint8)
    padded[: packed.shape[0]] = packed
    words = np.ascontiguousarray(padded.T).view(np.uint64)
    order = np.lexsort(words.T)
    ordered = words[order]
    starts = np.ones(n_firms, dtype=bool)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    pattern_of = np.empty(n_firms, dtype=np.intp)
    pattern_of[order] = np.cumsum(starts) - 1
    return valid[:, order[starts]].T, pattern_of


def _grouped_sums(
    centred: np.ndarray, days: np.ndarray, members: list[np.ndarray]
) -> tuple[float, int]:
    """Sum and count of the correlations among firms grouped by their pattern of valid days.

    ``days`` is ``(L, G)``: group g's valid days. A firm i of group g paired with any firm of
    group h shares the days ``c = days_g & days_h``, so its common-day sums ``s_ih``, ``q_ih``
    and weight ``w_ih = 1 / sqrt(q_ih - s_ih² / n_gh)`` depend on h only, and the sum of the
    pairs' correlations ``Σ_ij (x_i·x_j - s_ih s_jg / n_gh) w_ih w_jg`` factors into
    ``A_gh · A_hg - B_gh B_hg / n_gh`` with ``A_gh = Σ_i w_ih x_i`` and ``B_gh = Σ_i w_ih s_ih``
    (``x_i`` is zero off its valid days). Within a group, pairs i < j are half the square of
    the sums less the diagonal.
    """
    n_days, n_groups = days.shape
    common = days.T @ days
    a = np.zeros((n_groups, n_groups, n_days))
    b = np.zeros((n_groups, n_groups))
    kept = np.zeros((n_groups, n_groups))
    self_a = np.zeros(n_groups)
    self_b = np.zeros(n_groups)
    for g, firms in enumerate(members):
        xg = centred[:, firms]
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
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = np.einsum("ghl,hgl->gh", a, a) - np.where(common > 0, b * b.T / common, 0.0)
    upper = np.triu_indices(n_groups, k=1)
    total = float(sums[upper].sum())
    pairs = int((kept * kept.T)[upper].sum())
    diagonal = np.arange(n_groups)
    with np.errstate(divide="ignore", invalid="ignore"):
        within = 0.5 * (
            np.einsum("gl,gl->g", a[diagonal, diagonal], a[diagonal, diagonal])
            - self_a
            - np.where(np.diag(common) > 0, (np.diag(b) ** 2 - self_b) / np.diag(common), 0.0)
        )
    own = np.diag(kept)
    return total + float(within.sum()), pairs + int((own * (own - 1) // 2).sum())


def mean_pairwise_correlation(est_resid: np.ndarray) -> float:
    """Mean pairwise correlation of firms' residuals, each pair over its common days.

    The pairwise-complete definition: for firms i < j, the Pearson correlation of their residuals
    over the days where both have one (means taken over those days). Pairs with fewer than two
    common days or zero variance on them are left out; NaN when no pair is left.

    Real panels have few patterns of valid days (every day; every day since a listing), so
    firms are grouped by pattern: for the up to ``_MAX_GROUPS`` largest patterns shared by
    several firms, the correlations of all pairs between or within two groups sum to a few dot
    products of weighted group sums (see :func:`_grouped_sums`), in time O(L N G). Firms with a
    pattern of their own are paired with every later firm by masked matrix products in blocks
    of rows: memory O(block * N), time O(L N_single N). Both parts are exact; no N x N matrix
    is formed.

    Parameters
    ----------
    est_resid
        ``(L_est, N)`` estimation-window residuals, NaN where missing.

    References
    ----------
    Kolari and Pynnönen (2010), section 2.
    """
    x = np.asarray(est_resid, dtype=float)
    valid = np.isfinite(x)
    count = valid.sum(axis=0)
    filled = np.where(valid, x, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    # Centring limits cancellation in the sums of squares below; a firm constant over all its
    # days becomes exactly zero so every pair with it is left out.
    hi = np.where(valid, x, -np.inf).max(axis=0, initial=-np.inf)
    lo = np.where(valid, x, np.inf).min(axis=0, initial=np.inf)
    centred = np.where(valid & (hi > lo), x - mean, 0.0)

    patterns, pattern_of = _patterns(valid)
    sizes = np.bincount(pattern_of, minlength=len(patterns))
    largest = np.argsort(-sizes, kind="stable")
    grouped = largest[sizes[largest] >= 2][:_MAX_GROUPS]
    members = [np.flatnonzero(pattern_of == g) for g in grouped]
    total, pairs = _grouped_sums(centred, patterns[grouped].T.astype(float), members)

    in_group = np.isin(pattern_of, grouped)
    order = np.concatenate([np.flatnonzero(~in_group), np.flatnonzero(in_group)])
    n_single = int((~in_group).sum())
    xo = centred[:, order]
    mo = valid[:, order].astype(float)
    xo2 = xo * xo
    for start in range(0, n_single, _BLOCK_SIZE):
        stop = min(start + _BLOCK_SIZE, n_single)
        rows, rows2, mrows = xo[:, start:stop], xo2[:, start:stop], mo[:, start:stop]
        cols, cols2, mcols = xo[:, start:], xo2[:, start:], mo[:, start:]
        later = np.arange(cols.shape[1])[None, :] > np.arange(stop - start)[:, None]
        part_total, part_pairs = _correlation_sums(
            mrows.T @ mcols,
            rows.T @ mcols,
            mrows.T @ cols,
            rows2.T @ mcols,
            mrows.T @ cols2,
            rows.T @ cols,
            later,
        )
        total += part_total
        pairs += part_pairs
    return total / pairs if pairs else _NAN
