"""The research-toolkit tests (GRANK-T, Corrado-Zivney sign, adjusted Patell, skewness-corrected
t, wild bootstrap) against separately written formulas, hand computations and scipy.

As in ``test_significance.py``, the oracles loop over firms, days and draws on purpose: each
restates the published formula in its plainest form, independently of the vectorized code.
"""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest
from scipy import stats

from analytics.study import significance as sig
from analytics.study.significance import TestResult, window_tests
from analytics.study.significance.nonparametric import (
    median_sign_from_sums,
    rank_from_sums,
    rank_sign_day_sums,
    rank_t_window_sums,
)
from analytics.study.significance.ranking import summarize_residuals
from tests.analytics.study.test_significance import (
    HAND,
    Inputs,
    _average_rank,
    _brute_rbar,
    _mean,
    _oracle_corrado,
    _panel,
    _sd,
    _ties_and_gaps,
    _two_sided_t,
    _two_sided_z,
    _valid,
)

TIGHT = {"rel": 1e-10, "abs": 1e-12}

# --- plain oracles -----------------------------------------------------------------------------


def _oracle_adj_patell(scar: np.ndarray, dof: np.ndarray, resid: np.ndarray) -> float:
    z = sum(scar) / math.sqrt(sum(d / (d - 2) for d in dof))
    r = _brute_rbar(resid)
    n = len(scar)
    return z * math.sqrt((1 - r) / (1 + (n - 1) * r))


def _oracle_skew(x: list[float]) -> float:
    """Lyon, Barber and Tsai (1999), eq. (5): t_sa = sqrt(n) (S + g S^2 / 3 + g / (6 n))."""
    n = len(x)
    m = _mean(x)
    sd = _sd(x)
    s = m / sd
    g = sum((v - m) ** 3 for v in x) / (n * sd**3)
    return math.sqrt(n) * (s + g * s * s / 3 + g / (6 * n))


def _oracle_cz(window_ar: np.ndarray, est_resid: np.ndarray) -> float:
    """Corrado and Zivney (1992): G = sign(A - median of the firm's combined values)."""
    stacked = np.vstack([est_resid, window_ar])
    n_days, n_firms = stacked.shape
    g = np.full(stacked.shape, np.nan)
    for i in range(n_firms):
        values = _valid(stacked[:, i])
        if not values:  # a firm without any value in these days
            continue
        median = statistics.median(values)
        for t in range(n_days):
            if not math.isnan(stacked[t, i]):
                diff = float(stacked[t, i]) - median
                g[t, i] = int(diff > 0) - int(diff < 0)
    day = [sum(_valid(g[t])) / math.sqrt(len(_valid(g[t]))) for t in range(n_days) if _valid(g[t])]
    s_g = math.sqrt(_mean([x * x for x in day]))
    l_w = window_ar.shape[0]
    return sum(day[-l_w:]) / (math.sqrt(l_w) * s_g)


def _oracle_grank(scar: np.ndarray, est_resid: np.ndarray, sigma: np.ndarray) -> tuple[float, int]:
    """Kolari and Pynnönen (2011), eq. (12)-(17), one firm and one day at a time."""
    n_days, n_firms = est_resid.shape
    spread = _sd(list(scar))
    u = np.full((n_days + 1, n_firms), np.nan)  # the last row is the window (t = 0)
    for i in range(n_firms):
        gsar = [v / sigma[i] if not math.isnan(v) else math.nan for v in est_resid[:, i]]
        gsar.append(scar[i] / spread)
        values = [v for v in gsar if not math.isnan(v)]
        for t, v in enumerate(gsar):
            if not math.isnan(v):
                u[t, i] = _average_rank(v, values) / (len(values) + 1) - 0.5
    points = [(len(_valid(u[t])), _mean(_valid(u[t]))) for t in range(n_days + 1) if _valid(u[t])]
    big_t = len(points)
    s_u = math.sqrt(sum(n_t / n_firms * ubar**2 for n_t, ubar in points) / big_t)
    z = points[-1][1] / s_u
    return z * math.sqrt((big_t - 2) / (big_t - 1 - z * z)), big_t - 2


def _oracle_boot(car: list[float], draws: int, seed: int) -> float:
    """Wild bootstrap of the cross-sectional t, one draw and one firm at a time; the weights
    are read from the documented bytes (bit k of byte j is firm 8 j + k, least significant
    first)."""
    n = len(car)
    raw = np.random.default_rng(seed).integers(0, 256, size=(draws, -(-n // 8)), dtype=np.uint8)
    m = _mean(car)
    t = m / (_sd(car) / math.sqrt(n))
    extreme = 0
    for b in range(draws):
        star = []
        for i in range(n):
            bit = (int(raw[b, i // 8]) >> (i % 8)) & 1
            star.append((2 * bit - 1) * (car[i] - m))
        t_star = _mean(star) / (_sd(star) / math.sqrt(n))
        extreme += abs(t_star) >= abs(t)
    return (1 + extreme) / (draws + 1)


@pytest.fixture(params=[1, 2, 3])
def panel(request: pytest.FixtureRequest) -> Inputs:
    return _panel(request.param)


# --- each statistic against its oracle ---------------------------------------------------------


def test_adjusted_patell_z(panel: Inputs) -> None:
    z = _oracle_adj_patell(panel["scar"], panel["dof"], panel["est_resid"])
    r = window_tests(**panel)["adj_patell_z"]
    assert r.stat == pytest.approx(z, **TIGHT)
    assert r.pvalue == pytest.approx(_two_sided_z(z), **TIGHT)
    assert r.df is None


def test_skewness_corrected_t(panel: Inputs) -> None:
    x = list(panel["bhar"])
    t = _oracle_skew(x)
    r = window_tests(**panel)["skew_t"]
    assert r.stat == pytest.approx(t, **TIGHT)
    assert r.df == len(x) - 1
    assert r.pvalue == pytest.approx(_two_sided_t(t, len(x) - 1), **TIGHT)


def test_skewness_corrected_t_by_scipy_moments() -> None:
    # scipy's biased skewness m3 / m2^1.5 rescaled to the ddof-1 sd of the formula.
    x = np.random.default_rng(9).lognormal(0, 0.8, 40) - 1.5
    n = x.size
    s = x.mean() / x.std(ddof=1)
    g = stats.skew(x, bias=True) * ((n - 1) / n) ** 1.5
    expected = math.sqrt(n) * (s + g * s * s / 3 + g / (6 * n))
    assert sig.skewness_corrected_t(x).stat == pytest.approx(expected, **TIGHT)


def test_skewness_corrected_t_by_hand() -> None:
    # x = 0.01, 0.02, 0.06: mean 0.03, deviations -2, -1, 3 (1e-2), sd = sqrt(7) / 100,
    # S = 3 / sqrt 7, g = 18e-6 / (3 sd^3) = 6 / (7 sqrt 7); so
    # t = sqrt 3 (3 / sqrt 7 + (6 / (7 sqrt 7)) (9 / 7) / 3 + (6 / (7 sqrt 7)) / 18)
    #   = sqrt(3 / 7) (3 + 18 / 49 + 1 / 21) = 2.2356...
    t = math.sqrt(3 / 7) * (3 + 18 / 49 + 1 / 21)
    r = sig.skewness_corrected_t(np.array([0.01, 0.02, 0.06]))
    assert r.stat == pytest.approx(t, rel=1e-12)
    assert r.pvalue == pytest.approx(_two_sided_t(t, 2), rel=1e-12)


def test_corrado_zivney_sign_z(panel: Inputs) -> None:
    z = _oracle_cz(panel["window_ar"], panel["est_resid"])
    r = window_tests(**panel)["cz_sign_z"]
    assert r.stat == pytest.approx(z, **TIGHT)
    assert r.pvalue == pytest.approx(_two_sided_z(z), **TIGHT)


def test_corrado_zivney_sign_z_by_hand() -> None:
    # Medians of the 7, 6 and 7 combined values: 0.01, 0.005, -0.01. Signs per day (A, B, C):
    # est (0 + 0)=... day sums 1, -2 (B missing), 1, -1, -1 | window 2, 0, so
    # Gbar = 1/sqrt3, -2/sqrt2, 1/sqrt3, -1/sqrt3, -1/sqrt3 | 2/sqrt3, 0; the mean of the
    # squares is (4/3 + 2 + 4/3) / 7 = 2/3 and Z = (2/sqrt3) / (sqrt2 sqrt(2/3)) = 1.
    r = window_tests(**HAND)["cz_sign_z"]
    assert r.stat == pytest.approx(1.0, rel=1e-14)
    assert r.pvalue == pytest.approx(0.31731050786291415, rel=1e-12)


@pytest.mark.parametrize("seed", [5, 6])
def test_rank_and_sign_tests_of_overlapping_windows_share_one_sort(seed: int) -> None:
    # Ties, missing days and firms with only estimation or only window values; every window is
    # merged into the same sorted residuals, and each must equal its own oracle.
    est, days = _ties_and_gaps(seed)
    summary = summarize_residuals(est)
    for a, b in [(0, 0), (-1, 1), (-5, 5), (-3, 0), (2, 5)]:
        window = days[a + 5 : b + 6]
        (ranks, count), (signs, _) = rank_sign_day_sums(window, est, summary=summary)
        corrado = rank_from_sums(ranks, count, window_days=window.shape[0])
        sign = median_sign_from_sums(signs, count, window_days=window.shape[0])
        assert corrado.stat == pytest.approx(_oracle_corrado(window, est), rel=1e-12)
        assert sign.stat == pytest.approx(_oracle_cz(window, est), rel=1e-12)
        assert sign.stat == sig.corrado_zivney_sign_z(window, est).stat


def test_generalized_rank_t(panel: Inputs) -> None:
    t, df = _oracle_grank(panel["scar"], panel["est_resid"], panel["sigma"])
    r = window_tests(**panel)["grank_t"]
    assert r.stat == pytest.approx(t, **TIGHT)
    assert r.df == df == panel["est_resid"].shape[0] - 1
    assert r.pvalue == pytest.approx(_two_sided_t(t, df), **TIGHT)


@pytest.mark.parametrize("seed", [5, 6])
def test_generalized_rank_t_with_ties_nans_and_shared_rank_sums(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_firms, l_est = 15, 40
    sigma = np.full(n_firms, 0.01)
    est = np.round(0.01 * rng.standard_normal((l_est, n_firms)), 3)  # ties on a 1e-3 grid
    est[rng.random(est.shape) < 0.15] = np.nan
    est[3] = np.nan  # a day without any value
    scar = np.round(rng.standard_normal(n_firms), 1)
    scar[:3] = est[10, :3] / sigma[:3] * np.std(scar, ddof=1)  # SCAR* tied with a residual
    t, df = _oracle_grank(scar, est, sigma)
    for summary in (None, summarize_residuals(est)):
        r = sig.generalized_rank_t(scar, est, sigma, summary=summary)
        assert r.stat == pytest.approx(t, **TIGHT)
        assert r.df == df == l_est - 1 - 1


def test_estimation_rank_sums_loop() -> None:
    data = _panel(7)
    est = data["est_resid"]
    # Per day and number L_i of valid residuals: the sum of twice the average ranks, exact.
    expected = np.zeros((est.shape[0], est.shape[0] + 1))
    for i in range(est.shape[1]):
        values = _valid(est[:, i])
        for t, v in enumerate(est[:, i]):
            if not math.isnan(v):
                expected[t, len(values)] += 2 * _average_rank(v, values)
    np.testing.assert_array_equal(sig.estimation_rank_sums(est), expected)


def test_wild_bootstrap_against_a_loop(panel: Inputs) -> None:
    car = list(panel["car"])
    r = window_tests(**{**panel, "bootstrap": 499, "seed": 3})["boot_p"]
    assert r.pvalue == _oracle_boot(car, 499, 3)
    assert r.stat == pytest.approx(_mean(car) / (_sd(car) / math.sqrt(len(car))), **TIGHT)
    assert r.k == 499


def test_wild_bootstrap_converges_to_the_exact_sign_flip_distribution() -> None:
    # With N = 10 all 2^10 Rademacher vectors can be enumerated: the exact bootstrap p.
    car = np.array([0.031, -0.012, 0.004, 0.022, -0.005, 0.017, 0.009, -0.021, 0.013, 0.028])
    n = car.size
    u = car - car.mean()
    t = car.mean() / (car.std(ddof=1) / math.sqrt(n))
    extreme = 0
    for signs in itertools.product((-1.0, 1.0), repeat=n):
        star = np.array(signs) * u
        extreme += abs(star.mean() / (star.std(ddof=1) / math.sqrt(n))) >= abs(t)
    exact = extreme / 2**n
    draws = 40_000
    r = sig.wild_bootstrap(car, draws=draws, seed=1)
    assert abs(r.pvalue - exact) < 4 * math.sqrt(exact * (1 - exact) / draws) + 1 / draws


def test_wild_bootstrap_is_seeded() -> None:
    car = _panel(2)["car"]
    a = sig.wild_bootstrap(car, seed=4)
    assert a == sig.wild_bootstrap(car, seed=4)
    assert a.pvalue != sig.wild_bootstrap(car, seed=5).pvalue or a.pvalue == 1 / 1000
    assert round(a.pvalue * 1000) == a.pvalue * 1000  # (1 + count) / (B + 1), B = 999
    assert 0 < sig.wild_bootstrap(car, seed=None).pvalue <= 1
    _assert_nan(sig.wild_bootstrap(car, draws=0))


# --- degenerate inputs: NaN, never a warning ---------------------------------------------------


def _assert_nan(result: TestResult) -> None:
    assert math.isnan(result.stat) and math.isnan(result.pvalue)


def test_degenerate_inputs() -> None:
    _assert_nan(sig.skewness_corrected_t(np.full(5, 0.01)))
    _assert_nan(sig.skewness_corrected_t(np.array([0.01])))
    _assert_nan(sig.wild_bootstrap(np.full(5, 0.01)))
    _assert_nan(sig.wild_bootstrap(np.array([0.01])))
    est = HAND["est_resid"]
    _assert_nan(sig.generalized_rank_t(np.ones(3), est, np.full(3, 0.01)))  # no SCAR spread
    _assert_nan(sig.generalized_rank_t(np.array([1.0, 2.0, 3.0]), est, np.array([0.01, 0, 1])))
    _assert_nan(sig.generalized_rank_t(np.array([1.0]), est[:, :1], np.array([0.01])))
    _assert_nan(sig.corrado_zivney_sign_z(np.zeros((2, 3)), np.zeros((5, 3))))  # all at median
    _assert_nan(sig.corrado_zivney_sign_z(np.full((2, 3), np.nan), est))  # no window value
    # one firm: r is undefined, so is the adjustment; Patell itself is defined
    one = {k: (v[..., :1] if np.ndim(v) == 2 else v[:1]) for k, v in HAND.items()}
    out = window_tests(**one)
    _assert_nan(out["adj_patell_z"])
    assert math.isfinite(out["patell_z"].stat) and math.isfinite(out["cz_sign_z"].stat)
    # without BHARs the skewness-corrected t is not available
    _assert_nan(window_tests(**{k: v for k, v in HAND.items() if k != "bhar"})["skew_t"])


def test_sigma_defaults_to_the_ols_identity() -> None:
    data = _panel(3)
    e = data["est_resid"]
    sigma = np.sqrt(np.nansum(e * e, axis=0) / data["dof"])
    given = window_tests(**{**data, "sigma": sigma})["grank_t"]
    assert window_tests(**{k: v for k, v in data.items() if k != "sigma"})["grank_t"] == given


def test_flipped_sums_in_blocks_equal_the_sign_product(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tables built a few byte columns at a time, looked up a few draws at a time.
    from analytics.study.significance import bootstrap

    rng = np.random.default_rng(11)
    u = rng.normal(size=1_003)
    signs = bootstrap.rademacher_signs(37, u.size, seed=2)
    bits = np.unpackbits(signs, axis=1, bitorder="little")[:, : u.size]
    expected = (2.0 * bits - 1.0) @ u
    whole = bootstrap._flipped_sums(u, signs)
    monkeypatch.setattr(bootstrap, "_TABLE_BYTES", 7)
    monkeypatch.setattr(bootstrap, "_BLOCK_CELLS", 50)
    blocked = bootstrap._flipped_sums(u, signs)
    np.testing.assert_allclose(whole, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(blocked, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_wilcoxon_over_fifty_firms_equals_scipy(seed: int) -> None:
    # Above 50 values the test computes scipy's normal approximation itself: ties and zeros too.
    rng = np.random.default_rng(seed)
    for n in (51, 120, 2_000):
        car = 0.01 * rng.standard_normal(n) + 0.002
        car = np.round(car, 3) if seed else car  # ties on a 1e-3 grid
        car[:5] = 0.0  # zeros are dropped
        r, s = sig.wilcoxon_test(car), stats.wilcoxon(car)
        assert r.stat == s.statistic
        assert r.pvalue == pytest.approx(s.pvalue, rel=1e-12, abs=0)


def test_grank_window_shift_is_the_same_sorted_or_in_day_order() -> None:
    rng = np.random.default_rng(8)
    est = np.round(rng.standard_normal((40, 25)), 1)  # ties, and levels equal to residuals
    est[rng.random(est.shape) < 0.2] = np.nan
    level = np.round(rng.standard_normal(25), 1)
    level[0] = np.nan
    plain = rank_t_window_sums(est, level)
    walked = rank_t_window_sums(est, level, summary=summarize_residuals(est))
    for a, b in zip(plain, walked, strict=True):
        np.testing.assert_array_equal(a, b)
