"""Returns and the spike screen against loops over the documented rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.study.returns import price_returns, spikes


def _prices(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = np.exp(np.cumsum(0.3 * rng.standard_normal((120, 12)), axis=0))
    p[rng.random(p.shape) < 0.05] = np.nan
    p[rng.random(p.shape) < 0.01] = 0.0
    p[rng.random(p.shape) < 0.01] = -1.0
    p[rng.random(p.shape) < 0.01] = np.inf
    p[50, 3] *= 20  # a quote error, corrected the next session
    p[80, 5] *= 0.02  # a collapse
    return p


def _loop_returns(p: np.ndarray, kind: str) -> np.ndarray:
    out = np.full(p.shape, np.nan)
    for t in range(1, p.shape[0]):
        for j in range(p.shape[1]):
            now, before = p[t, j], p[t - 1, j]
            if math.isfinite(now) and math.isfinite(before) and now > 0 and before > 0:
                out[t, j] = math.log(now / before) if kind == "log" else now / before - 1
    return out


def _loop_spikes(r: np.ndarray, kind: str, threshold: float, jump: float) -> np.ndarray:
    logged = r if kind == "log" else np.log1p(r)
    out = np.zeros(r.shape, dtype=bool)
    for t in range(r.shape[0]):
        for j in range(r.shape[1]):
            x = logged[t, j]
            if math.isnan(x):
                continue
            nxt = logged[t + 1, j] if t + 1 < r.shape[0] else math.nan
            reversal = (
                abs(x) > math.log1p(threshold)
                and not math.isnan(nxt)
                and nxt * x < 0
                and abs(nxt) >= 0.5 * abs(x)
            )
            out[t, j] = reversal or x > math.log(jump)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", ["simple", "log"])
def test_price_returns_and_spikes_follow_the_rules(seed: int, kind: str) -> None:
    p = _prices(seed)
    r = price_returns(p, kind)  # type: ignore[arg-type]
    np.testing.assert_allclose(r, _loop_returns(p, kind), rtol=1e-15, atol=0)
    assert np.array_equal(np.isnan(r), np.isnan(_loop_returns(p, kind)))
    for threshold, jump in [(3.0, 10.0), (0.5, 1.2), (5.0, 2.0)]:  # the last: jumps not large
        flags = spikes(r, kind, threshold=threshold, jump=jump)  # type: ignore[arg-type]
        assert np.array_equal(flags, _loop_spikes(r, kind, threshold, jump))
    assert spikes(r, kind, threshold=3.0, jump=10.0)[50, 3]  # type: ignore[arg-type]


def test_price_returns_of_one_series() -> None:
    p = np.array([10.0, 11.0, np.nan, 12.0, 0.0, 13.0, 14.3])
    expected = [np.nan, 0.1, np.nan, np.nan, np.nan, np.nan, 0.1]
    np.testing.assert_allclose(price_returns(p), expected, rtol=1e-12)
