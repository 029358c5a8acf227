"""Window tests from chunks of firms: the additive sums of disjoint chunks give the statistics of
the whole set (how the out-of-core engine tests a window)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from analytics.study.significance import correlation as corr
from analytics.study.significance.nonparametric import rank_spread, rank_t_window_sums
from analytics.study.significance.window import (
    WINDOW_TESTS,
    combine_sums,
    window_sums,
    window_tests,
    window_tests_from_sums,
)


def _panel(seed: int, n: int, l_est: int = 60, l_w: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    common = rng.standard_normal((l_est + l_w, 1))
    x = 0.01 * (rng.standard_normal((l_est + l_w, n)) + 0.5 * common)
    x[:15, : n // 5] = np.nan  # listed later: a shared pattern
    for j in range(n // 5, n // 5 + 7):  # patterns of their own
        x[:l_est][rng.random(l_est) < 0.1, j] = np.nan
    x[3, -1] = x[4, -1]  # a tie
    e, w = x[:l_est], x[l_est:] + 0.004
    car = w.sum(axis=0)
    sigma = np.sqrt(np.nansum(e * e, axis=0) / (np.isfinite(e).sum(axis=0) - 2))
    scar = car / (sigma * np.sqrt(l_w))
    return {
        "car": car,
        "scar": scar,
        "dof": np.isfinite(e).sum(axis=0) - 2.0,
        "est_resid": e,
        "window_ar": w,
        "est_n": np.isfinite(e).sum(axis=0),
        "bhar": car + 0.001 * rng.standard_normal(n),
        "sigma": sigma,
    }


def _chunked(inputs: dict[str, np.ndarray], bounds: list[int]) -> dict[str, object]:
    """The window's tests from chunks ``bounds[k]:bounds[k+1]`` of its firms, two passes."""
    chunks = [slice(a, b) for a, b in itertools.pairwise(bounds)]
    pick = {k: v for k, v in inputs.items() if k != "est_n"}
    parts = [
        window_sums(**{k: (v[:, c] if v.ndim == 2 else v[c]) for k, v in pick.items()})
        for c in chunks
    ]
    sums = combine_sums(parts)
    e = inputs["est_resid"]
    # r: patterns of every firm first, then the chunks' sums.
    centred, valid = corr.centred_residuals(e)
    plan = corr.correlation_plan(corr.pattern_words(valid), e.shape[0])
    single = plan.group_of < 0
    singles = (centred[:, single], valid[:, single])
    total = None
    for c in chunks:
        part = corr.correlation_sums(centred[:, c], plan.group_of[c], plan.days, singles)
        total = part if total is None else total + part
    assert total is not None
    rbar = corr.correlation_from_sums(total, plan.days, corr.single_pairs(*singles))
    spread = rank_spread(sums.scar, sums.sigma)
    level = sums.scar / spread * sums.sigma
    shifts = [rank_t_window_sums(e[:, c], level[c]) for c in chunks]
    shift = (sum(s[0] for s in shifts), sum(s[1] for s in shifts))
    return window_tests_from_sums(sums, rbar=rbar, rank_shift=shift, bootstrap=999, seed=3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "bounds", [[0, 40], [0, 1, 40], [0, 13, 14, 27, 40], [0, 5, 9, 20, 33, 40]]
)
def test_chunked_sums_give_the_in_memory_tests(bounds: list[int]) -> None:
    inputs = _panel(5, 40)
    whole = window_tests(**inputs, bootstrap=999, seed=3)
    parts = _chunked(inputs, bounds)
    assert list(parts) == list(WINDOW_TESTS)
    for name in WINDOW_TESTS:
        got, want = parts[name], whole[name]
        assert got.stat == pytest.approx(want.stat, rel=1e-12, abs=1e-14, nan_ok=True), name  # type: ignore[attr-defined]
        assert got.pvalue == pytest.approx(want.pvalue, rel=1e-12, abs=1e-14, nan_ok=True), name  # type: ignore[attr-defined]


def test_chunked_correlation_equals_the_pairwise_definition() -> None:
    inputs = _panel(9, 25)
    e = inputs["est_resid"]
    _centred, valid = corr.centred_residuals(e)
    plan = corr.correlation_plan(corr.pattern_words(valid), e.shape[0])
    assert plan.days.shape[1] >= 2 and (plan.group_of < 0).sum() >= 5
    brute = []
    for i in range(e.shape[1]):
        for j in range(i + 1, e.shape[1]):
            both = np.isfinite(e[:, i]) & np.isfinite(e[:, j])
            brute.append(np.corrcoef(e[both, i], e[both, j])[0, 1])
    assert corr.mean_pairwise_correlation(e) == pytest.approx(np.mean(brute), rel=1e-12)


def _brute_r(e: np.ndarray) -> float:
    pairs = []
    for i, j in itertools.combinations(range(e.shape[1]), 2):
        both = np.isfinite(e[:, i]) & np.isfinite(e[:, j])
        if both.sum() >= 2 and np.std(e[both, i]) > 0 and np.std(e[both, j]) > 0:
            pairs.append(np.corrcoef(e[both, i], e[both, j])[0, 1])
    return float(np.mean(pairs))


def test_subsets_of_firms_share_one_plan_and_one_pass() -> None:
    # The out-of-core second pass: one plan for every firm, each window's firms a subset whose
    # group sums are those of all firms less the left-out ones, one-by-one pairs masked.
    e = _panel(9, 40)["est_resid"]
    centred, valid = corr.centred_residuals(e)
    plan = corr.correlation_plan(corr.pattern_words(valid), e.shape[0])
    single = plan.group_of < 0
    assert single.sum() >= 5 and (plan.group_of >= 0).sum() >= 20
    rng = np.random.default_rng(2)
    subsets = np.ones((3, e.shape[1]), dtype=bool)
    subsets[1, rng.choice(e.shape[1], 4, replace=False)] = False  # a few left out
    subsets[2] = rng.random(e.shape[1]) < 0.3  # most left out
    grouped = plan.group_of >= 0
    totals, pairs = corr.single_grouped_pairs(
        centred[:, single], valid[:, single], centred[:, grouped],
        plan.days[:, plan.group_of[grouped]] > 0, subsets[:, single], subsets[:, grouped],
    )  # fmt: skip
    everyone = corr.grouped_sums(centred, plan.group_of, plan.days)
    for k, mine in enumerate(subsets):
        left = ~mine
        less = everyone - corr.grouped_sums(centred[:, left], plan.group_of[left], plan.days)
        own = corr.grouped_sums(centred[:, mine], plan.group_of[mine], plan.days)
        for name in ("a", "b", "kept", "self_a", "self_b"):
            np.testing.assert_allclose(getattr(less, name), getattr(own, name), atol=1e-15)
        sums = corr.CorrelationSums(less.a, less.b, less.kept, less.self_a, less.self_b,
                                    float(totals[k]), int(pairs[k]))  # fmt: skip
        r = corr.correlation_from_sums(
            sums, plan.days, corr.single_pairs(centred[:, single & mine], valid[:, single & mine])
        )
        assert r == pytest.approx(_brute_r(e[:, mine]), rel=1e-12)


@pytest.mark.parametrize("days", [1, 8, 63, 64, 65, 240])
def test_pattern_words_are_packbits_in_64_bit_words(days: int) -> None:
    valid = np.random.default_rng(days).random((days, 9)) < 0.7
    packed = np.packbits(valid, axis=0)
    padded = np.zeros((-(-days // 64) * 8, 9), dtype=np.uint8)
    padded[: packed.shape[0]] = packed
    np.testing.assert_array_equal(
        corr.pattern_words(valid), np.ascontiguousarray(padded.T).view(np.uint64)
    )
