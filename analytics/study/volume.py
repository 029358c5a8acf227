"""Abnormal trading volume of an event window (Campbell & Wasley 1996, on log volume).

Volume is taken as ``log(1 + shares traded)``. Each firm's estimation window gives the mean
and standard deviation of that log volume; an event day's standardized abnormal volume is
``SAV = (log volume - mean) / sd``. Over a window of ``L`` days with volume, a firm's
``SCAV = Σ SAV / √L``. Reported per window: the mean SAV (abnormal log volume in estimation
standard deviations), a Z of ``Σ SCAV / √N`` against the normal, and the cross-sectional t of
the SCAVs (``N - 1`` degrees of freedom), both two-sided. Pure numpy and scipy.

References
----------
Campbell, C. J. and Wasley, C. E. (1996). Measuring abnormal daily trading volume for samples
    of NYSE/ASE and NASDAQ securities using parametric and nonparametric test statistics.
    *Review of Quantitative Finance and Accounting* 6(3), 309-326.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from scipy import stats

__all__ = ["MIN_VOLUME_DAYS", "AbnormalVolume", "abnormal_volume"]

MIN_VOLUME_DAYS: Final = 30
"""Estimation days with volume a firm needs to be in the volume tests."""


@dataclass(frozen=True)
class AbnormalVolume:
    """The window's abnormal volume over the ``n`` firms with enough volume data."""

    mean_sav: float
    z: float
    z_p: float
    t: float
    t_p: float
    n: int


def abnormal_volume(est_volume: np.ndarray, window_volume: np.ndarray) -> AbnormalVolume:
    """Abnormal volume from shares traded: ``est_volume`` ``(L_est, N)`` over each firm-event's
    estimation window, ``window_volume`` ``(L_w, N)`` over its event window (NaN: no volume)."""
    est = np.log1p(np.where(est_volume >= 0, est_volume, np.nan))
    window = np.log1p(np.where(window_volume >= 0, window_volume, np.nan))
    days = np.isfinite(est).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(np.where(days >= 2, est, 0.0), axis=0)
        sd = np.sqrt(np.nansum((est - mean) ** 2, axis=0) / (days - 1))
        sav = (window - mean) / sd
    seen = np.isfinite(sav).sum(axis=0)
    usable = (days >= MIN_VOLUME_DAYS) & (sd > 0) & (seen > 0)
    n = int(usable.sum())
    if n == 0:
        return AbnormalVolume(math.nan, math.nan, math.nan, math.nan, math.nan, 0)
    sav = sav[:, usable]
    scav = np.nansum(sav, axis=0) / np.sqrt(seen[usable])
    mean_sav = float(np.nanmean(sav))
    z = float(scav.sum() / math.sqrt(n))
    z_p = float(2 * stats.norm.sf(abs(z)))
    if n < 2 or not scav.std(ddof=1) > 0:
        return AbnormalVolume(mean_sav, z, z_p, math.nan, math.nan, n)
    t = float(scav.mean() / (scav.std(ddof=1) / math.sqrt(n)))
    return AbnormalVolume(mean_sav, z, z_p, t, float(2 * stats.t.sf(abs(t), n - 1)), n)
