"""Cross-sectional event-study tests against separately written formulas and hand computations.

The oracles below loop over firms and days on purpose: they restate DESIGN.md's formulas in the
plainest form, independently of the vectorized code under test.
"""

from __future__ import annotations

import math
from typing import Any, TypeAlias

import numpy as np
import pytest
from scipy import stats

from analytics.study import significance as sig
from analytics.study.significance import TestResult, correlation, window_tests

Inputs: TypeAlias = dict[str, Any]
"""Keyword arguments of ``window_tests``."""

KEYS = [
    "cs_t",
    "patell_z",
    "adj_patell_z",
    "bmp_t",
    "kp_bmp_t",
    "skew_t",
    "boot_p",
    "portfolio_t",
    "gen_sign_z",
    "cz_sign_z",
    "corrado_z",
    "grank_t",
    "wilcoxon",
]


# --- plain oracles -----------------------------------------------------------------------------


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _sd(values: list[float]) -> float:
    m = _mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def _two_sided_t(stat: float, df: float) -> float:
    return 2.0 * stats.t.sf(abs(stat), df)


def _two_sided_z(stat: float) -> float:
    return math.erfc(abs(stat) / math.sqrt(2.0))


def _valid(column: np.ndarray) -> list[float]:
    return [float(v) for v in column if not math.isnan(v)]


def _brute_rbar(resid: np.ndarray) -> float:
    """Mean pairwise-complete correlation, one np.corrcoef per pair."""
    corrs = []
    n_firms = resid.shape[1]
    for i in range(n_firms):
        for j in range(i + 1, n_firms):
            common = ~np.isnan(resid[:, i]) & ~np.isnan(resid[:, j])
            a, b = resid[common, i], resid[common, j]
            if common.sum() >= 2 and np.ptp(a) > 0 and np.ptp(b) > 0:
                corrs.append(np.corrcoef(a, b)[0, 1])
    return float(np.mean(corrs))


def _average_rank(value: float, values: list[float]) -> float:
    below = sum(v < value for v in values)
    equal = sum(v == value for v in values)
    return below + (equal + 1) / 2.0


def _oracle_corrado(window_ar: np.ndarray, est_resid: np.ndarray) -> float:
    stacked = np.vstack([est_resid, window_ar])
    n_days, n_firms = stacked.shape
    u = np.full(stacked.shape, np.nan)
    for i in range(n_firms):
        values = _valid(stacked[:, i])
        for t in range(n_days):
            if not math.isnan(stacked[t, i]):
                u[t, i] = _average_rank(stacked[t, i], values) / (len(values) + 1) - 0.5
    ubar = [_mean(_valid(u[t])) for t in range(n_days) if _valid(u[t])]
    s_u = math.sqrt(_mean([x * x for x in ubar]))
    l_w = window_ar.shape[0]
    return sum(ubar[-l_w:]) / (math.sqrt(l_w) * s_u)


def _oracle_portfolio(window_ar: np.ndarray, est_resid: np.ndarray) -> tuple[float, int]:
    aar = [_mean(_valid(row)) for row in est_resid if _valid(row)]
    caar = sum(_mean(_valid(row)) for row in window_ar)
    return caar / (math.sqrt(window_ar.shape[0]) * _sd(aar)), len(aar) - 1


def _oracle_sign(car: np.ndarray, est_resid: np.ndarray) -> float:
    shares = []
    for i in range(est_resid.shape[1]):
        values = _valid(est_resid[:, i])
        shares.append(sum(v > 0 for v in values) / len(values))
    p = _mean(shares)
    n = len(car)
    w = sum(c > 0 for c in car)
    return (w - n * p) / math.sqrt(n * p * (1 - p))


# --- data --------------------------------------------------------------------------------------


def _panel(
    seed: int, n_firms: int = 30, l_est: int = 60, l_w: int = 3, missing: float = 0.05
) -> Inputs:
    """Hand-made inputs with NaNs sprinkled in the residuals and ties (values on a 1e-3 grid)."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((l_est + l_w, 1))
    raw = 0.01 * (0.4 * common + rng.standard_normal((l_est + l_w, n_firms)))
    raw = np.round(raw, 3)
    est, win = raw[:l_est].copy(), raw[l_est:] + 0.002
    est[rng.random(est.shape) < missing] = np.nan
    est[:, : n_firms // 3] = raw[:l_est, : n_firms // 3]  # a third of the firms are complete
    est_n = np.isfinite(est).sum(axis=0)
    dof = est_n - 2.0
    car = win.sum(axis=0)
    scar = car / (0.01 * np.sqrt(l_w) * rng.uniform(0.8, 1.2, n_firms))
    return {
        "car": car,
        "scar": scar,
        "dof": dof,
        "est_resid": est,
        "window_ar": win,
        "est_n": est_n,
        "bhar": np.prod(1 + win, axis=0) - 1 - rng.uniform(0, 0.001, n_firms),
        "sigma": 0.01 * rng.uniform(0.8, 1.2, n_firms),
    }


@pytest.fixture(params=[1, 2, 3])
def panel(request: pytest.FixtureRequest) -> Inputs:
    return _panel(request.param)


# --- each statistic against its oracle ---------------------------------------------------------


def test_window_tests_keys_and_types(panel: Inputs) -> None:
    out = window_tests(**panel)
    assert list(out) == KEYS
    assert all(isinstance(r, TestResult) and r.alternative == "two-sided" for r in out.values())


def test_cross_sectional_t(panel: Inputs) -> None:
    car = list(panel["car"])
    t = _mean(car) / (_sd(car) / math.sqrt(len(car)))
    r = window_tests(**panel)["cs_t"]
    assert r.stat == pytest.approx(t, rel=1e-12, abs=1e-12)
    assert r.df == len(car) - 1
    assert r.pvalue == pytest.approx(_two_sided_t(t, len(car) - 1), rel=1e-12)


def test_patell_z(panel: Inputs) -> None:
    est_n = panel["est_n"]
    # DESIGN.md's market-model form, with L_i the valid estimation returns.
    z = sum(panel["scar"]) / math.sqrt(sum((n - 2) / (n - 4) for n in est_n))
    r = window_tests(**panel)["patell_z"]
    assert r.stat == pytest.approx(z, rel=1e-12)
    assert r.pvalue == pytest.approx(_two_sided_z(z), rel=1e-12)
    assert r.df is None


def test_bmp_and_kolari_pynnonen(panel: Inputs) -> None:
    scar = list(panel["scar"])
    n = len(scar)
    t = _mean(scar) / (_sd(scar) / math.sqrt(n))
    rbar = _brute_rbar(panel["est_resid"])
    kp = t * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    out = window_tests(**panel)
    assert out["bmp_t"].stat == pytest.approx(t, rel=1e-12)
    assert out["bmp_t"].pvalue == pytest.approx(_two_sided_t(t, n - 1), rel=1e-12)
    assert out["kp_bmp_t"].stat == pytest.approx(kp, rel=1e-12)
    assert out["kp_bmp_t"].pvalue == pytest.approx(_two_sided_t(kp, n - 1), rel=1e-12)
    assert out["kp_bmp_t"].df == n - 1


def test_portfolio_t(panel: Inputs) -> None:
    t, df = _oracle_portfolio(panel["window_ar"], panel["est_resid"])
    r = window_tests(**panel)["portfolio_t"]
    assert r.stat == pytest.approx(t, rel=1e-12)
    assert r.df == df == panel["est_resid"].shape[0] - 1
    assert r.pvalue == pytest.approx(_two_sided_t(t, df), rel=1e-12)


def test_generalized_sign_z(panel: Inputs) -> None:
    z = _oracle_sign(panel["car"], panel["est_resid"])
    r = window_tests(**panel)["gen_sign_z"]
    assert r.stat == pytest.approx(z, rel=1e-12)
    assert r.pvalue == pytest.approx(_two_sided_z(z), rel=1e-12)


def test_corrado_rank_z(panel: Inputs) -> None:
    z = _oracle_corrado(panel["window_ar"], panel["est_resid"])
    r = window_tests(**panel)["corrado_z"]
    assert r.stat == pytest.approx(z, rel=1e-12)
    assert r.pvalue == pytest.approx(_two_sided_z(z), rel=1e-12)


def _ties_and_gaps(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Estimation residuals ``(40, 12)`` and days -5..5 ``(11, 12)`` with ties (a 1e-3 grid, a
    firm tied everywhere, window values tied with residuals), missing values, a firm with
    window values only and one with residuals only."""
    rng = np.random.default_rng(seed)
    n_firms, l_est = 12, 40
    est = np.round(0.01 * rng.standard_normal((l_est, n_firms)), 3)
    days = np.round(0.01 * rng.standard_normal((11, n_firms)), 3)
    est[rng.random(est.shape) < 0.15] = np.nan
    days[rng.random(days.shape) < 0.1] = np.nan
    days[:, 0] = est[:11, 0]
    est[:, 1] = 0.0
    days[:, 1] = 0.0
    est[:, 2] = np.nan
    days[:, 3] = np.nan
    days[:, 4] = 0.0  # each day keeps at least one value
    return est, days


@pytest.mark.parametrize("seed", [5, 6])
def test_corrado_overlapping_windows_with_ties_and_nans(seed: int) -> None:
    # Several windows cut from one stretch of days -5..5, as the engine does: each window ranks
    # its own days with the estimation residuals, never the other windows' days.
    est, days = _ties_and_gaps(seed)
    for a, b in [(0, 0), (-1, 1), (-5, 5), (-3, 0), (2, 5), (-5, -5)]:
        window = days[a + 5 : b + 6]
        z = _oracle_corrado(window, est)
        assert sig.corrado_rank_z(window, est).stat == pytest.approx(z, rel=1e-12, abs=1e-14)


def test_corrado_skips_days_without_any_value() -> None:
    data = _panel(4)
    data["est_resid"][7] = np.nan
    z = _oracle_corrado(data["window_ar"], data["est_resid"])
    assert sig.corrado_rank_z(data["window_ar"], data["est_resid"]).stat == pytest.approx(z, 1e-12)


def test_wilcoxon_is_scipy_default(panel: Inputs) -> None:
    car = panel["car"]
    ranks = stats.rankdata(np.abs(car[car != 0]))
    positive = sum(r for r, c in zip(ranks, car[car != 0], strict=True) if c > 0)
    r = window_tests(**panel)["wilcoxon"]
    assert r.stat == min(positive, ranks.sum() - positive)
    assert r.pvalue == stats.wilcoxon(car).pvalue


# --- mean pairwise correlation: both paths against brute force ---------------------------------


@pytest.mark.parametrize("missing", [0.0, 0.1])
def test_mean_pairwise_correlation_matches_brute_force(missing: float) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((40, 25)) + 0.5 * rng.standard_normal((40, 1))
    x[rng.random(x.shape) < missing] = np.nan
    assert sig.mean_pairwise_correlation(x) == pytest.approx(_brute_rbar(x), rel=1e-12)


def test_mean_pairwise_correlation_blocks_and_degenerate_pairs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = np.random.default_rng(8)
    x = rng.standard_normal((30, 11)) - 0.3 * rng.standard_normal((30, 1))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[:, 0] = 0.5  # constant firm: all its pairs are undefined
    x[:, 1] = np.nan
    x[:2, 1] = [0.1, 0.2]  # two values on days where firm 2 has none
    x[:2, 2] = np.nan
    x[:, 3] = np.where(np.isnan(x[:, 3]), np.nan, 1.0)  # constant with missing days
    x[:, 4] = rng.standard_normal(30)  # complete
    monkeypatch.setattr(correlation, "_BLOCK_SIZE", 3)
    assert sig.mean_pairwise_correlation(x) == pytest.approx(_brute_rbar(x), rel=1e-12)


@pytest.mark.parametrize("max_groups", [256, 2])
def test_kolari_pynnonen_with_shared_missing_patterns(
    monkeypatch: pytest.MonkeyPatch, max_groups: int
) -> None:
    # Real panels: many firms miss the same days (listed later, delisted earlier), a few have
    # gaps of their own, most are complete. Shared patterns take the grouped closed form;
    # with max_groups=2 the smaller shared patterns go through the pairwise path too.
    rng = np.random.default_rng(11)
    l_est = 50
    x = 0.01 * (rng.standard_normal((l_est, 30)) + 0.6 * rng.standard_normal((l_est, 1)))
    x[:20, 0:5] = np.nan  # listed on day 20: five firms
    x[35:, 5:9] = np.nan  # delisted after day 34: four firms
    x[::7, 9:12] = np.nan  # a shared gap every 7th day: three firms
    x[25:, 12:14] = np.nan  # days 0..24 only...
    x[:25, 14:16] = np.nan  # ...and days 25..49 only: no common day with the previous pair
    x[:30, 16] = np.nan  # two firms of a shared pattern, one of them constant
    x[:30, 17] = np.nan
    x[30:, 17] = 0.004
    for j in range(18, 24):  # patterns of their own
        x[rng.random(l_est) < 0.2, j] = np.nan
    # firms 24..29 are complete
    patterns = {np.isnan(x[:, j]).tobytes() for j in range(x.shape[1])}
    assert len(patterns) == 6 + 6 + 1  # six shared, six unique, one complete
    monkeypatch.setattr(correlation, "_MAX_GROUPS", max_groups)
    plan_of = correlation.correlation_plan
    groups: list[int] = []

    def spy(words: np.ndarray, n_days: int) -> correlation.CorrelationPlan:
        plan = plan_of(words, n_days)
        groups.append(plan.days.shape[1])
        return plan

    monkeypatch.setattr(correlation, "correlation_plan", spy)
    rbar = _brute_rbar(x)
    assert sig.mean_pairwise_correlation(x) == pytest.approx(rbar, rel=1e-12, abs=1e-14)
    assert groups == [min(7, max_groups)]  # the six shared patterns and the complete one
    scar = rng.standard_normal(30) + 0.3
    n = scar.size
    t = _mean(list(scar)) / (_sd(list(scar)) / math.sqrt(n))
    kp = t * math.sqrt((1 - rbar) / (1 + (n - 1) * rbar))
    assert sig.kolari_pynnonen(scar, x).stat == pytest.approx(kp, rel=1e-12)


def test_mean_pairwise_correlation_undefined() -> None:
    assert math.isnan(sig.mean_pairwise_correlation(np.ones((5, 3))))
    assert math.isnan(sig.mean_pairwise_correlation(np.zeros((5, 1))))


# --- a tiny example computed by hand -----------------------------------------------------------

# Three firms, five estimation days (firm B misses day 2), two window days.
HAND_EST = np.array(
    [
        [0.01, 0.02, -0.01],
        [-0.02, np.nan, -0.02],
        [0.03, -0.01, 0.01],
        [0.02, -0.03, -0.04],
        [-0.01, 0.01, -0.03],
    ]
)
HAND_WIN = np.array([[0.04, 0.005, 0.02], [-0.01, 0.005, 0.03]])
HAND: Inputs = {
    "car": np.array([0.03, 0.01, 0.05]),
    "scar": np.array([1.5, 0.5, 2.0]),
    "dof": np.array([10.0, 10.0, 6.0]),
    "est_resid": HAND_EST,
    "window_ar": HAND_WIN,
    "est_n": np.array([5, 4, 5]),
    "bhar": np.array([0.0296, 0.0101, 0.0506]),
    "sigma": np.array([0.02, 0.02, 0.025]),
}


def test_hand_example() -> None:
    out = window_tests(**HAND)
    # cs t: CARs 0.03, 0.01, 0.05: mean 0.03, sd = sqrt((0 + 0.0004 + 0.0004) / 2) = 0.02,
    # t = 0.03 / (0.02 / sqrt 3) = 1.5 sqrt 3 = 2.598076211353316. With 2 df the t CDF is
    # 1/2 + t / (2 sqrt(2 + t^2)), so p = 1 - t / sqrt(8.75) = 0.12168993434632014.
    assert out["cs_t"].stat == pytest.approx(2.598076211353316, rel=1e-14)
    assert out["cs_t"].pvalue == pytest.approx(0.12168993434632014, rel=1e-12)
    # Patell: sum SCAR = 4; variances 10/8 + 10/8 + 6/4 = 4, so Z = 4 / 2 = 2 and
    # p = erfc(2 / sqrt 2) = 0.04550026389635842.
    assert out["patell_z"].stat == pytest.approx(2.0, rel=1e-14)
    assert out["patell_z"].pvalue == pytest.approx(0.04550026389635842, rel=1e-12)
    # Sign: positive shares 3/5, 2/4, 1/5, p = 1.3 / 3; all three CARs positive, w = 3:
    # Z = (3 - 1.3) / sqrt(1.3 (1 - 1.3/3)) = 1.7 / sqrt(0.73666...) = 1.9806758753205742.
    assert out["gen_sign_z"].stat == pytest.approx(1.9806758753205742, rel=1e-14)
    # Rank: firm A's 7 values rank -0.02:1, -0.01 (twice):2.5, 0.01:4, 0.02:5, 0.03:6, 0.04:7;
    # U = K/8 - 1/2 gives est (0, -3/8, 1/4, 1/8, -3/16), window (3/8, -3/16).
    # Firm B (6 values, window tie 0.005 at 3.5): U = K/7 - 1/2: est (5/14, -, -3/14, -5/14,
    # 3/14), window (0, 0). Firm C (7 values): est (0, -1/8, 1/8, -3/8, -1/4), window (1/4, 3/8).
    # Ubar: 5/42, -1/4, 3/56, -17/84, -25/336 | 5/24, 1/16; S_U = sqrt(mean of squares)
    # = 0.15736462654729808; Z = (5/24 + 1/16) / (sqrt 2 * S_U) = 1.2169703622293808.
    assert out["corrado_z"].stat == pytest.approx(1.2169703622293808, rel=1e-13)
    assert out["corrado_z"].pvalue == pytest.approx(_two_sided_z(1.2169703622293808), rel=1e-12)


# --- degenerate inputs: NaN, never a warning ---------------------------------------------------


def _assert_nan(result: TestResult) -> None:
    assert math.isnan(result.stat) and math.isnan(result.pvalue)


def test_no_firm() -> None:
    empty: Inputs = {
        "car": np.array([]),
        "scar": np.array([]),
        "dof": np.array([]),
        "est_resid": np.empty((5, 0)),
        "window_ar": np.empty((2, 0)),
        "est_n": np.array([], dtype=int),
        "bhar": np.array([]),
        "sigma": np.array([]),
    }
    for result in window_tests(**empty).values():
        _assert_nan(result)


def test_one_firm() -> None:
    one = {k: (v[..., :1] if np.ndim(v) == 2 else v[:1]) for k, v in HAND.items()}
    out = window_tests(**one)
    for key in ("cs_t", "bmp_t", "kp_bmp_t", "adj_patell_z", "skew_t", "boot_p", "grank_t"):
        _assert_nan(out[key])
    assert out["patell_z"].stat == pytest.approx(1.5 / math.sqrt(10 / 8), rel=1e-14)


def test_zero_variance_and_bad_dof() -> None:
    _assert_nan(sig.cross_sectional_t(np.full(4, 0.01)))
    _assert_nan(sig.bmp_t(np.zeros(4)))
    _assert_nan(sig.patell_z(np.ones(3), np.array([10.0, 2.0, 10.0])))
    _assert_nan(sig.portfolio_t(np.ones((2, 3)), np.ones((5, 3))))
    _assert_nan(sig.generalized_sign_z(np.ones(3), -np.ones((5, 3))))
    _assert_nan(sig.wilcoxon_test(np.zeros(3)))
    # perfectly correlated residuals: 1 + (N - 1) r > 0 but the adjustment is 0
    assert sig.kolari_pynnonen(HAND["scar"], np.tile(np.arange(5.0)[:, None], 3)).stat == 0.0


def test_window_tests_rejects_misaligned_inputs() -> None:
    with pytest.raises(ValueError, match="inconsistent shapes"):
        window_tests(**{**HAND, "scar": np.ones(2)})
    with pytest.raises(ValueError, match=r"est_n\[1\] = 5"):
        window_tests(**{**HAND, "est_n": np.array([5, 5, 5])})


# --- null calibration --------------------------------------------------------------------------


def test_null_rejection_rates() -> None:
    # Constant-mean model with i.i.d. normal returns: SCAR is exactly t(L - 1), CARs independent.
    rng = np.random.default_rng(2024)
    sims, n_firms, l_est, l_w = 2000, 50, 100, 3
    sigma = rng.uniform(0.01, 0.03, n_firms)
    est = rng.standard_normal((sims, l_est, n_firms)) * sigma
    win = rng.standard_normal((sims, l_w, n_firms)) * sigma
    mean = est.mean(axis=1)
    s2 = est.var(axis=1, ddof=1)
    car = win.sum(axis=1) - l_w * mean
    scar = car / np.sqrt(s2 * (l_w + l_w**2 / l_est))
    dof = np.full(n_firms, l_est - 1.0)
    est_n = np.full(n_firms, l_est)
    rejections = dict.fromkeys(KEYS, 0)
    for k in range(sims):
        out = window_tests(
            car=car[k],
            scar=scar[k],
            dof=dof,
            est_resid=est[k] - mean[k],
            window_ar=win[k] - mean[k],
            est_n=est_n,
            bhar=car[k],
        )
        for key, result in out.items():
            rejections[key] += result.pvalue < 0.05
    rates = {key: count / sims for key, count in rejections.items()}
    assert all(0.03 <= rate <= 0.07 for rate in rates.values()), rates
