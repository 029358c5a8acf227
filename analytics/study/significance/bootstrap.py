"""The wild bootstrap of CAAR: Rademacher sign flips of the centred CARs, all draws at once."""

from __future__ import annotations

import math

import numpy as np

from analytics.study.significance.testresult import TestResult

__all__ = ["BOOTSTRAP_DRAWS", "rademacher_signs", "wild_bootstrap"]

BOOTSTRAP_DRAWS = 999
"""Default number B of bootstrap draws (``(1 + B) α`` is a whole number at 1%, 5% and 10%)."""

_NAN = float("nan")
# Packed weight bytes looked up per block of draws (memory: 4 bytes each for the indices).
_BLOCK_CELLS = 2_000_000
# Byte columns (8 firms each) whose look-up tables are built at once.
_TABLE_BYTES = 8_192


def rademacher_signs(draws: int, n: int, seed: int | None) -> np.ndarray:
    """The ``(draws, ceil(n / 8))`` random bytes behind the weights, 8 firms to a byte.

    ``default_rng(seed).integers(0, 256, (draws, ceil(n / 8)), dtype=uint8)``; firm ``8 j + k``
    of draw b takes bit k (least significant first) of byte ``(b, j)``, and its weight is
    ``w = 2 bit - 1``: +1 or -1, each with probability 1/2.
    """
    return np.random.default_rng(seed).integers(0, 256, size=(draws, -(-n // 8)), dtype=np.uint8)


def _flipped_sums(u: np.ndarray, signs: np.ndarray) -> np.ndarray:
    """``w_b · u`` for every draw b, 8 firms at a time.

    For each byte column j the 256 possible partial sums ``Σ_k bit_k(v) u_{8j+k}`` form a
    table; ``Σ_i b_bi u_i`` is then one table look-up per byte, 8 times less work than a
    ``(B, N)`` product, and ``w · u = 2 Σ b u - Σ u``. The tables are built for
    :data:`_TABLE_BYTES` byte columns at a time (2 KiB of table each), so a million firms
    need 16 MiB of tables, not 250 MiB.
    """
    n_bytes = signs.shape[1]
    padded = np.zeros(8 * n_bytes)
    padded[: u.size] = u
    bits = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little")
    bits = bits.astype(np.float64)
    sums = np.zeros(signs.shape[0])
    for first in range(0, n_bytes, _TABLE_BYTES):
        last = min(first + _TABLE_BYTES, n_bytes)
        table = np.ascontiguousarray((bits @ padded[8 * first : 8 * last].reshape(-1, 8).T).T)
        offsets = np.arange(last - first, dtype=np.int32)[None, :] * 256
        rows = max(1, _BLOCK_CELLS // (last - first))
        for start in range(0, signs.shape[0], rows):
            block = signs[start : start + rows, first:last] + offsets
            sums[start : start + rows] += np.take(table.ravel(), block).sum(axis=1)
    return 2.0 * sums - float(u.sum())


def wild_bootstrap(
    car: np.ndarray, *, draws: int = BOOTSTRAP_DRAWS, seed: int | None = 0
) -> TestResult:
    """Wild bootstrap p-value of the cross-sectional t of CAAR (Rademacher weights).

    Under the null the centred CARs ``u_i = CAR_i - CAAR`` are flipped by weights
    ``w_bi = ±1`` (:func:`rademacher_signs`): draw b gives ``u*_i = w_bi u_i`` and its t
    statistic ``t*_b = mean(u*) / (sd(u*) / sqrt N)`` (ddof 1). Since ``w² = 1``,
    ``sum u*² = sum u²`` and every draw needs only ``w_b · u``, computed for all B draws at
    once by table look-ups over the packed weights (no loop over draws or firms).
    ``p = (1 + #{|t*_b| >= |t|}) / (B + 1)`` with t the cross-sectional t; ``stat`` is t and
    ``k`` is B. NaN when t is undefined (fewer than two firms, zero spread) or ``draws`` is 0.

    Parameters
    ----------
    car
        ``(N,)`` CARs of the included firms.
    draws
        Number B of bootstrap draws; 0 switches the test off.
    seed
        Seed of the weights (fixed by default, so re-runs reproduce the same p-value); None
        draws fresh ones.

    References
    ----------
    Wu (1986); Liu (1988); Mammen (1993); Davidson and Flachaire (2008) on Rademacher weights.
    """
    c = np.asarray(car, dtype=float)
    n = c.size
    null = "CAAR = 0 (wild bootstrap of the cross-sectional t)"
    undefined = TestResult(stat=_NAN, pvalue=_NAN, null=null, k=max(draws, 0))
    if n < 2 or draws < 1:
        return undefined
    mean = float(np.mean(c))
    sd = float(np.std(c, ddof=1))
    if not sd > 0:
        return undefined
    t = mean / (sd / math.sqrt(n))
    u = c - mean
    squares = float(np.sum(u * u))
    star_mean = _flipped_sums(u, rademacher_signs(draws, n, seed)) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.maximum(squares - n * star_mean * star_mean, 0.0) / (n - 1)
        star_t = np.abs(star_mean) / np.sqrt(var / n)
    extreme = int(np.count_nonzero(star_t >= abs(t)))
    return TestResult(stat=float(t), pvalue=(1 + extreme) / (draws + 1), null=null, k=draws)
