"""The event-study engine on synthetic panels, against independent computations.

Oracles: statsmodels OLS fitted per firm on returns computed here with pandas, the prediction-error
covariance written out with ``numpy.linalg.inv``, and plain-Python formulas on a hand-made panel.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analytics import calendar
from analytics.data.memory import MemoryPrices
from analytics.errors import InsufficientDataError, SpecError, UnknownTickerError
from analytics.study.engine import run_study
from analytics.study.result import TEST_NAMES
from analytics.study.significance import TestResult
from analytics.study.spec import SpecWarning, StudySpec

RTOL = 1e-10  # engine vs per-firm statsmodels / numpy oracle
DAY0 = pd.Timestamp("2025-01-27")


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    """Seeded prices: SPY, three market-model firms, a late listing, a flat stock, ^IRX."""
    rng = np.random.default_rng(2025)
    index = calendar.sessions("2023-01-03", "2025-06-30")
    n = len(index)
    market = rng.normal(0.0004, 0.01, n)
    returns = {"SPY": market}
    for name, beta in (("AAA", 0.8), ("BBB", 1.3), ("CCC", 2.1)):
        returns[name] = 0.0002 + beta * market + rng.normal(0, 0.015, n)
    returns["CCC"][index.get_loc(DAY0)] = -0.17  # a DeepSeek-sized shock on day 0
    frame = pd.DataFrame(returns, index=index)
    prices = 100 * (1 + frame).cumprod()
    prices["IPO"] = prices["BBB"].where(index >= calendar.offset(DAY0, -60))
    prices["FLAT"] = 50.0
    prices["^IRX"] = 4.0 + np.cumsum(rng.normal(0, 0.02, n))
    return prices


@pytest.fixture(scope="module")
def provider(wide: pd.DataFrame) -> MemoryPrices:
    return MemoryPrices(wide)


def _oracle(
    prices: pd.DataFrame,
    ticker: str,
    window: tuple[int, int],
    *,
    day0: pd.Timestamp = DAY0,
    estimation: tuple[int, int] = (-250, -11),
    rf: pd.Series | None = None,
) -> dict[str, float]:
    """Market model (or CAPM with ``rf``) by pandas returns and statsmodels OLS."""
    r = prices[[ticker, "SPY"]].pct_change(fill_method=None)
    excess = r.sub(rf, axis=0) if rf is not None else r
    pos = prices.index.get_loc(day0)
    est = excess.iloc[pos + estimation[0] : pos + estimation[1] + 1].dropna()
    design = sm.add_constant(est["SPY"].to_numpy())
    res = sm.OLS(est[ticker].to_numpy(), design).fit()
    win = excess.iloc[pos + window[0] : pos + window[1] + 1]
    star = sm.add_constant(win["SPY"].to_numpy(), has_constant="add")
    cov = res.scale * (np.eye(len(win)) + star @ np.linalg.inv(design.T @ design) @ star.T)
    ar = win[ticker].to_numpy() - star @ res.params
    car, var_car = ar.sum(), cov.sum()
    expected = r[ticker].iloc[pos + window[0] : pos + window[1] + 1].to_numpy() - ar
    t = car / math.sqrt(var_car)
    raw = r[ticker].iloc[pos + window[0] : pos + window[1] + 1].to_numpy()
    return {
        "alpha": res.params[0],
        "beta": res.params[1],
        "sigma": math.sqrt(res.scale),
        "n": res.nobs,
        "car": car,
        "var_car": var_car,
        "t": t,
        "p": 2 * stats.t.sf(abs(t), res.df_resid),
        "bhar": np.prod(1 + raw) - np.prod(1 + expected),
        "var_ar0": cov[-window[0], -window[0]] if window[0] <= 0 <= window[1] else np.nan,
    }


def _window(result, ticker: str, key: str) -> pd.Series:
    w = result.windows
    return w[(w["ticker"] == ticker) & (w["window"] == key)].iloc[0]


def test_market_model_matches_statsmodels_per_firm(provider, wide) -> None:
    spec = StudySpec.create(tickers="AAA BBB CCC", date="2025-01-27")
    result = run_study(spec, provider)
    firms = result.firms.set_index("ticker")
    for ticker in ("AAA", "BBB", "CCC"):
        for window in spec.windows:
            expected = _oracle(wide, ticker, window)
            got = _window(result, ticker, f"{window[0]}:{window[1]}")
            for name in ("car", "var_car", "t", "p", "bhar"):
                assert got[name] == pytest.approx(expected[name], rel=RTOL), (ticker, window, name)
            assert got["scar"] == got["t"]
        for name in ("alpha", "beta", "sigma"):
            assert firms.loc[ticker, name] == pytest.approx(expected[name], rel=RTOL)
        assert firms.loc[ticker, "n_estimation"] == 240
        assert firms.loc[ticker, "dof"] == 238
        days = result.days[result.days["ticker"] == ticker].set_index("day")
        var0 = _oracle(wide, ticker, (0, 0))["var_car"]
        assert days.loc[0, "var_ar"] == pytest.approx(var0, rel=RTOL)
        assert days.loc[0, "sar"] == pytest.approx(days.loc[0, "ar"] / math.sqrt(var0), rel=RTOL)
        assert days.loc[0, "date"] == DAY0
    assert (result.firms["status"] == "ok").all()


def test_capm_uses_previous_session_yield(provider, wide) -> None:
    # documented conversion: (1 + y/100) ** (1/252) - 1 of the previous session's ^IRX
    rf = (1 + wide["^IRX"].shift(1) / 100) ** (1 / 252) - 1
    spec = StudySpec.create(tickers="AAA CCC", date="2025-01-27", model="capm")
    result = run_study(spec, provider)
    firms = result.firms.set_index("ticker")
    for ticker in ("AAA", "CCC"):
        expected = _oracle(wide, ticker, (-1, 1), rf=rf)
        for name in ("alpha", "beta", "sigma"):
            assert firms.loc[ticker, name] == pytest.approx(expected[name], rel=RTOL)
        got = _window(result, ticker, "-1:1")
        for name in ("car", "var_car", "t", "p", "bhar"):
            assert got[name] == pytest.approx(expected[name], rel=RTOL), (ticker, name)


def test_factor_model_with_given_factors_matches_statsmodels(provider, wide) -> None:
    rng = np.random.default_rng(3)
    market = wide["SPY"].pct_change(fill_method=None)
    factors = pd.DataFrame(
        {
            "MKT_RF": market - 0.0001,
            "SMB": rng.normal(0, 0.005, len(wide)),
            "HML": rng.normal(0, 0.005, len(wide)),
            "RF": 0.0001,
        },
        index=wide.index,
    )
    spec = StudySpec.create(tickers="BBB", date="2025-01-27", model="ff3")
    result = run_study(spec, provider, factors=factors)
    r = wide["BBB"].pct_change(fill_method=None) - factors["RF"]
    pos = wide.index.get_loc(DAY0)
    est = slice(pos - 250, pos - 10)
    x = factors[["MKT_RF", "SMB", "HML"]].iloc[est]
    keep = r.iloc[est].notna().to_numpy()
    design = sm.add_constant(x.to_numpy()[keep])
    res = sm.OLS(r.iloc[est].to_numpy()[keep], design).fit()
    firm = result.firms.iloc[0]
    loadings = [firm["alpha"], firm["beta_MKT_RF"], firm["beta_SMB"], firm["beta_HML"]]
    np.testing.assert_allclose(loadings, res.params, rtol=RTOL)
    assert firm["beta"] == firm["beta_MKT_RF"]
    assert firm["sigma"] == pytest.approx(math.sqrt(res.scale), rel=RTOL)
    assert firm["dof"] == 240 - 4
    star = sm.add_constant(factors[["MKT_RF", "SMB", "HML"]].iloc[pos - 1 : pos + 2].to_numpy())
    cov = res.scale * (np.eye(3) + star @ np.linalg.inv(design.T @ design) @ star.T)
    ar = r.iloc[pos - 1 : pos + 2].to_numpy() - star @ res.params
    got = _window(result, "BBB", "-1:1")
    assert got["car"] == pytest.approx(ar.sum(), rel=RTOL)
    assert got["var_car"] == pytest.approx(cov.sum(), rel=RTOL)
    assert got["p"] == pytest.approx(
        2 * stats.t.sf(abs(ar.sum() / math.sqrt(cov.sum())), 236), rel=RTOL
    )


@pytest.mark.parametrize("model", ["ff3", "etf_factors"])
def test_factor_model_without_factors_names_the_parameter(provider, model: str) -> None:
    # The engine is pure: it never downloads or builds factors itself.
    spec = StudySpec.create(tickers="BBB", date="2025-01-27", model=model)
    with pytest.raises(SpecError, match=r"^factors: model .* needs factor returns") as info:
        run_study(spec, provider)
    assert info.value.parameter == "factors"


def test_constant_mean_and_market_adjusted_models(provider, wide) -> None:
    r = wide[["AAA", "SPY"]].pct_change(fill_method=None)
    pos = wide.index.get_loc(DAY0)
    est = r.iloc[pos - 250 : pos - 10]
    mean = est["AAA"].mean()
    result = run_study(
        StudySpec.create(tickers="AAA", date="2025-01-27", model="constant_mean"), provider
    )
    got = _window(result, "AAA", "-1:1")
    window = r["AAA"].iloc[pos - 1 : pos + 2]
    assert got["car"] == pytest.approx((window - mean).sum(), rel=RTOL)
    assert got["var_car"] == pytest.approx(est["AAA"].var() * (3 + 9 / 240), rel=RTOL)
    assert result.firms.iloc[0]["alpha"] == pytest.approx(mean, rel=RTOL)
    assert math.isnan(result.firms.iloc[0]["beta"])

    result = run_study(
        StudySpec.create(tickers="AAA", date="2025-01-27", model="market_adjusted"), provider
    )
    got = _window(result, "AAA", "-1:1")
    ar = r["AAA"] - r["SPY"]
    assert got["car"] == pytest.approx(ar.iloc[pos - 1 : pos + 2].sum(), rel=RTOL)
    assert got["var_car"] == pytest.approx(3 * ar.iloc[pos - 250 : pos - 10].var(), rel=RTOL)
    assert result.firms.iloc[0]["dof"] == 239


def test_log_returns_and_buy_and_hold(provider, wide) -> None:
    spec = StudySpec.create(
        tickers="CCC", date="2025-01-27", returns="log", model="market_adjusted"
    )
    result = run_study(spec, provider)
    logs = np.log(wide[["CCC", "SPY"]]).diff()
    pos = wide.index.get_loc(DAY0)
    win = logs.iloc[pos - 5 : pos + 6]
    got = _window(result, "CCC", "-5:5")
    assert got["car"] == pytest.approx((win["CCC"] - win["SPY"]).sum(), rel=RTOL)
    bhar = wide["CCC"].iloc[pos + 5] / wide["CCC"].iloc[pos - 6] - (
        wide["SPY"].iloc[pos + 5] / wide["SPY"].iloc[pos - 6]
    )
    assert got["bhar"] == pytest.approx(bhar, rel=1e-9)


def test_hand_made_panel_with_plain_formulas() -> None:
    """Six estimation returns, a three-day window: every number from the textbook formulas."""
    index = calendar.sessions("2025-01-13", "2025-01-29")  # day 0 = 2025-01-27 is row 9
    spy = [100, 101, 100.5, 102, 101, 103, 104, 103.5, 103, 101, 102, 101.5]
    firm = [50, 50.8, 50.1, 51.5, 50.6, 52.2, 53.0, 52.5, 52.0, 46.0, 48.0, 47.0]
    wide = pd.DataFrame({"SPY": spy, "XYZ": firm}, index=index)
    spec = StudySpec.create(
        tickers="XYZ",
        date="2025-01-27",
        estimation=(-8, -3),
        windows=[(0, 0), (-1, 1)],
        min_estimation=6,
        spike_screen="off",
    )
    result = run_study(spec, MemoryPrices(wide))

    def ret(p: list[float], i: int) -> float:
        return p[i] / p[i - 1] - 1

    est = range(1, 7)  # rows of relative days -8..-3
    m = [ret(spy, i) for i in est]
    y = [ret(firm, i) for i in est]
    mm, my = sum(m) / 6, sum(y) / 6
    sxx = sum((a - mm) ** 2 for a in m)
    beta = sum((a - mm) * (b - my) for a, b in zip(m, y, strict=True)) / sxx
    alpha = my - beta * mm
    s2 = sum((b - alpha - beta * a) ** 2 for a, b in zip(m, y, strict=True)) / 4
    days = [8, 9, 10]  # relative days -1, 0, 1
    ar = [ret(firm, i) - alpha - beta * ret(spy, i) for i in days]
    cov = [
        [s2 * ((i == j) + 1 / 6 + (ret(spy, i) - mm) * (ret(spy, j) - mm) / sxx) for j in days]
        for i in days
    ]
    var_car = sum(sum(row) for row in cov)
    car = sum(ar)
    growth = math.prod(1 + ret(firm, i) for i in days)
    normal = math.prod(1 + alpha + beta * ret(spy, i) for i in days)
    firm_row = result.firms.iloc[0]
    assert firm_row["alpha"] == pytest.approx(alpha, rel=RTOL)
    assert firm_row["beta"] == pytest.approx(beta, rel=RTOL)
    assert firm_row["sigma"] == pytest.approx(math.sqrt(s2), rel=RTOL)
    got = _window(result, "XYZ", "-1:1")
    assert got["car"] == pytest.approx(car, rel=RTOL)
    assert got["var_car"] == pytest.approx(var_car, rel=RTOL)
    assert got["bhar"] == pytest.approx(growth - normal, rel=RTOL)
    assert got["t"] == pytest.approx(car / math.sqrt(var_car), rel=RTOL)
    assert got["p"] == pytest.approx(2 * stats.t.sf(abs(car / math.sqrt(var_car)), 4), rel=RTOL)
    day0 = _window(result, "XYZ", "0:0")
    assert day0["car"] == pytest.approx(ar[1], rel=RTOL)
    assert day0["var_car"] == pytest.approx(cov[1][1], rel=RTOL)
    aggregate = result.aggregate.set_index("window")
    assert aggregate.loc["-1:1", "n"] == 1
    assert aggregate.loc["-1:1", "caar"] == pytest.approx(car, rel=RTOL)


@pytest.mark.parametrize(
    ("date", "timing"),
    [
        ("2025-01-25", "before_open"),
        ("2025-01-24", "after_close"),
        ("2025-01-26", "during_session"),
    ],
)
def test_day0_resolution_is_reported(provider, date: str, timing: str) -> None:
    spec = StudySpec.create(tickers="AAA", date=date, timing=timing)
    firm = run_study(spec, provider).firms.iloc[0]
    assert firm["day0"] == DAY0
    assert firm["event_date"] == pd.Timestamp(date)
    assert firm["timing"] == timing


def test_holiday_event_moves_to_next_session(provider) -> None:
    result = run_study(StudySpec.create(tickers="AAA", date="2024-12-25"), provider)
    assert result.firms.iloc[0]["day0"] == pd.Timestamp("2024-12-26")
    assert result.day0 == "2024-12-26"


def test_exclusions_have_reasons_and_leave_others_intact(provider, wide) -> None:
    spec = StudySpec.create(tickers="AAA IPO FLAT NOPE", date="2025-01-27")
    result = run_study(spec, provider)
    status = result.firms.set_index("ticker")["status"]
    assert status["AAA"] == "ok"
    assert status["IPO"] == (
        "excluded: too little history (49 valid estimation returns < min_estimation 120)"
    )
    assert status["FLAT"].startswith("excluded: zero return variance")
    assert status["NOPE"] == "excluded: unknown ticker"
    excluded = result.excluded.set_index("ticker")
    assert set(excluded.index) == {"IPO", "FLAT", "NOPE"}
    assert (excluded["window"] == "all").all()
    assert (result.aggregate["n"] == 1).all()
    assert result.firms.set_index("ticker").loc["IPO", "n_estimation"] == 49
    assert math.isnan(result.firms.set_index("ticker").loc["FLAT", "beta"])
    capm = run_study(
        StudySpec.create(tickers="AAA FLAT", date="2025-01-27", model="capm"), provider
    )
    assert capm.firms.set_index("ticker").loc["FLAT", "status"].startswith("excluded: zero return")
    alone = run_study(StudySpec.create(tickers="AAA", date="2025-01-27"), provider)
    pd.testing.assert_frame_equal(
        result.windows[result.windows["ticker"] == "AAA"].reset_index(drop=True),
        alone.windows.reset_index(drop=True),
    )


def test_missing_price_excludes_only_windows_that_need_it(wide) -> None:
    holes = wide.copy()
    holes.loc[calendar.offset(DAY0, 3), "AAA"] = np.nan  # returns of days +3 and +4 missing
    result = run_study(StudySpec.create(tickers="AAA BBB", date="2025-01-27"), MemoryPrices(holes))
    w = result.windows.set_index(["ticker", "window"])
    assert w.loc[("AAA", "-1:1"), "status"] == "ok"
    assert w.loc[("AAA", "-5:5"), "status"] == "excluded: missing price in window -5:5"
    assert math.isnan(w.loc[("AAA", "-5:5"), "car"])
    assert result.firms.set_index("ticker").loc["AAA", "status"] == "ok"
    assert result.aggregate.set_index("window")["n"].to_dict() == {"0:0": 2, "-1:1": 2, "-5:5": 1}
    assert result.excluded[["ticker", "window"]].values.tolist() == [["AAA", "-5:5"]]

    holes.loc[DAY0, "BBB"] = np.nan  # day-0 price: returns of days 0 and +1 missing
    spec = StudySpec.create(tickers="BBB", date="2025-01-27", windows=["0:0", "-3:-1"])
    result = run_study(spec, MemoryPrices(holes))
    w = result.windows.set_index("window")
    assert w.loc["0:0", "status"] == "excluded: missing price in window 0:0"
    assert w.loc["-3:-1", "status"] == "ok"
    assert result.firms.iloc[0]["status"] == "ok"


def test_duplicate_tickers_are_studied_once(provider) -> None:
    with pytest.warns(SpecWarning, match="dropped 1"):
        spec = StudySpec.create(tickers="AAA aaa", date="2025-01-27")
    assert len(run_study(spec, provider).firms) == 1


def test_no_usable_firm_raises(provider) -> None:
    with pytest.raises(InsufficientDataError, match=r"no usable firm.*unknown ticker"):
        run_study(StudySpec.create(tickers="NOPE FLAT", date="2025-01-27"), provider)
    with pytest.raises(UnknownTickerError, match="benchmark: 'QQQ'"):
        run_study(StudySpec.create(tickers="AAA", date="2025-01-27", benchmark="QQQ"), provider)


def test_spike_screen_excludes_flags_or_ignores(wide) -> None:
    spiky = wide.copy()
    spike_day = calendar.offset(DAY0, -100)
    spiky.loc[spike_day, "BBB"] *= 50  # a bad quote, corrected the next session
    jump_day = calendar.offset(DAY0, -30)
    spiky.loc[jump_day:, "CCC"] *= 62_500  # a tenfold-plus jump that never reverses
    provider = MemoryPrices(spiky)
    result = run_study(StudySpec.create(tickers="AAA BBB CCC", date="2025-01-27"), provider)
    status = result.firms.set_index("ticker")["status"]
    bad = spiky["BBB"].pct_change(fill_method=None)[spike_day] + 1
    assert status["BBB"] == f"excluded: implausible price spike on {spike_day.date()} (×{bad:.0f})"
    assert 40 < bad < 60
    ratio = spiky["CCC"].pct_change(fill_method=None)[jump_day] + 1
    assert status["CCC"] == f"excluded: implausible price spike on {jump_day.date()} (×{ratio:.0f})"
    assert ratio > 50_000
    assert status["AAA"] == "ok"
    assert (result.aggregate["n"] == 1).all()
    assert np.isfinite(result.windows.set_index("ticker").loc["BBB", "car"]).all()

    flagged = run_study(
        StudySpec.create(tickers="AAA BBB", date="2025-01-27", spike_screen="flag"), provider
    )
    firms = flagged.firms.set_index("ticker")
    assert firms.loc["BBB", "status"] == "ok"
    assert firms.loc["BBB", "flag"] == f"implausible price spike on {spike_day.date()} (×{bad:.0f})"
    assert pd.isna(firms.loc["AAA", "flag"])
    off = run_study(
        StudySpec.create(tickers="BBB", date="2025-01-27", spike_screen="off"), provider
    )
    assert pd.isna(off.firms.iloc[0]["flag"])


def test_two_events_of_one_ticker_equal_separate_runs(provider) -> None:
    table = pd.DataFrame({"ticker": ["CCC", "CCC"], "date": ["2025-01-27", "2024-08-05"]})
    both = run_study(StudySpec.create(events=table), provider)
    assert both.day0 == ["2024-08-05", "2025-01-27"]
    for event_id, date in enumerate(table["date"]):
        alone = run_study(StudySpec.create(tickers="CCC", date=date), provider)
        for name in ("firms", "windows", "days"):
            mine = getattr(both, name)
            mine = mine[mine["event_id"] == event_id].drop(columns="event_id")
            pd.testing.assert_frame_equal(
                mine.reset_index(drop=True),
                getattr(alone, name).drop(columns="event_id").reset_index(drop=True),
                check_exact=False,
                rtol=1e-12,
            )


def test_aggregates_and_daily_path(provider) -> None:
    result = run_study(StudySpec.create(tickers="AAA BBB CCC", date="2025-01-27"), provider)
    days = result.days.pivot(index="day", columns="ticker", values="ar")
    path = result.aar[result.aar["window"] == "-5:5"].set_index("day")
    np.testing.assert_allclose(path["aar"], days.mean(axis=1), rtol=RTOL)
    np.testing.assert_allclose(path["caar"], days.mean(axis=1).cumsum(), rtol=RTOL)
    spread = days.cumsum().std(axis=1, ddof=1) / math.sqrt(3)
    np.testing.assert_allclose(path["caar_se"], spread, rtol=RTOL)
    assert (path["n"] == 3).all()
    windows = result.windows
    aggregate = result.aggregate.set_index("window")
    for key in ("0:0", "-1:1", "-5:5"):
        cars = windows.loc[windows["window"] == key, "car"]
        assert aggregate.loc[key, "caar"] == pytest.approx(cars.mean(), rel=RTOL)
        cs = result.tests[(result.tests["window"] == key) & (result.tests["test"] == "cs_t")]
        t = cars.mean() / (cars.std(ddof=1) / math.sqrt(3))
        assert cs["stat"].iloc[0] == pytest.approx(t, rel=1e-9)
    # The default spec runs the placebo test too (StudyOptions.placebo = 200).
    assert list(result.tests["test"].unique()) == [*TEST_NAMES, "placebo"]


def test_placebo_matches_shifted_studies(provider) -> None:
    spec = StudySpec.create(tickers="AAA BBB CCC", date="2025-01-27", placebo=4, seed=11)
    result = run_study(spec, provider)
    shifts = np.random.default_rng(11).integers(-245, -11, size=4, endpoint=True)
    pseudo = []
    for shift in shifts:
        date = calendar.offset(DAY0, int(shift))
        shifted = run_study(StudySpec.create(tickers="AAA BBB CCC", date=date), provider)
        pseudo.append(shifted.aggregate.set_index("window")["caar"])
    caars = pd.DataFrame(pseudo)
    real = result.aggregate.set_index("window")["caar"]
    tests = result.tests[result.tests["test"] == "placebo"].set_index("window")
    for key in spec.window_keys:
        extreme = (caars[key].abs() >= abs(real[key])).sum()
        assert tests.loc[key, "p"] == pytest.approx((1 + extreme) / 5, abs=1e-15)
        spread = caars[key].std(ddof=1)
        assert tests.loc[key, "stat"] == pytest.approx(real[key] / spread, rel=1e-9)
        assert result.placebo[key].k == 4
    again = run_study(spec, provider)
    pd.testing.assert_frame_equal(again.tests, result.tests)


def test_dollar_impact_from_market_caps(provider, wide) -> None:
    anchor = pd.Timestamp("2024-12-20")
    caps = pd.DataFrame({"ticker": ["AAA", "CCC"], "date": [anchor] * 2, "market_cap": [1e9, 3e12]})
    spec = StudySpec.create(tickers="AAA BBB CCC", date="2025-01-27")
    result = run_study(spec, provider, market_caps=caps)
    w = result.windows.set_index(["ticker", "window"])
    days = result.days.set_index(["ticker", "day"])
    pos = wide.index.get_loc(DAY0)
    for ticker, cap in (("AAA", 1e9), ("CCC", 3e12)):
        value = sum(
            days.loc[(ticker, t), "ar"]
            * cap
            * wide[ticker].iloc[pos + t - 1]
            / wide.loc[anchor, ticker]
            for t in (-1, 0, 1)
        )
        assert w.loc[(ticker, "-1:1"), "dollar_impact"] == pytest.approx(value, rel=RTOL)
    assert math.isnan(w.loc[("BBB", "-1:1"), "dollar_impact"])
    aggregate = result.aggregate.set_index("window")
    total = w.loc[("AAA", "0:0"), "dollar_impact"] + w.loc[("CCC", "0:0"), "dollar_impact"]
    assert aggregate.loc["0:0", "dollar_impact_total"] == pytest.approx(total, rel=RTOL)
    assert aggregate.loc["0:0", "dollar_impact_n"] == 2


def test_result_outputs(provider, tmp_path) -> None:
    spec = StudySpec.create(tickers="AAA CCC NOPE", date="2025-01-27", placebo=20, seed=1)
    result = run_study(spec, provider)
    document = json.loads(result.to_json())
    assert document["day0"] == "2025-01-27"
    firm = next(f for f in document["firms"] if f["ticker"] == "CCC")
    assert {"ticker", "status", "n_estimation", "alpha", "beta", "sigma", "windows"} <= set(firm)
    assert set(firm["windows"]) == {"0:0", "-1:1", "-5:5"}
    assert {"car", "scar", "bhar", "t", "p"} <= set(firm["windows"]["-1:1"])
    nope = next(f for f in document["firms"] if f["ticker"] == "NOPE")
    assert nope["alpha"] is None and nope["status"] == "excluded: unknown ticker"
    day = document["days"][0]
    assert {"ticker", "day", "date", "ret", "expected", "ar", "sar"} <= set(day)
    assert day["date"] == "2025-01-17" and day["day"] == -5
    window = document["aggregate"]["-1:1"]
    assert {"n", "caar", "tests"} <= set(window)
    assert set(window["tests"]) == {*TEST_NAMES, "placebo"}
    assert set(window["tests"]["placebo"]) >= {"p", "k"} and window["tests"]["placebo"]["k"] == 20
    assert set(window["tests"]["cs_t"]) == {"stat", "p"}

    summary = str(result.summary())
    assert str(result) == summary
    assert "Day 0: 2025-01-27" in summary and "NOPE" in summary and "patell_z" in summary
    # The legend: every test name, then at least one space, then its note.
    legend = summary.split("Tests (two-sided p):")[1].splitlines()
    for name in (*TEST_NAMES, "placebo"):
        line = next(row for row in legend if row.strip().startswith(name + " "))
        assert line.startswith(f"  {name}  "), line
    html = result._repr_html_()
    assert html.startswith("<pre>Event study:") and "<table" in html and "patell_z" in html
    assert repr(result).startswith("<StudyResult market model, day 0 2025-01-27, 2/3 ")
    assert len(repr(result).splitlines()) == 1

    # Named pandas objects over the raw arrays.
    assert list(result.car.columns) == list(spec.window_keys)
    assert result.car.index.names == ["event_id", "ticker"]
    windows = result.windows.set_index(["event_id", "ticker", "window"])
    for name, column in (("car", "car"), ("scar", "scar"), ("pvalues", "p")):
        stacked = getattr(result, name).stack(future_stack=True)
        np.testing.assert_array_equal(
            stacked.reorder_levels([0, 1, 2]).reindex(windows.index).to_numpy(),
            windows[column].to_numpy(),
        )
    pd.testing.assert_series_equal(
        result.caar,
        result.aggregate.set_index("window")["caar"].rename_axis("window"),
        check_names=False,
        check_index_type=False,
    )
    assert result.caar.name == "caar"
    placebo = result.placebo["-1:1"]
    assert isinstance(placebo, TestResult) and placebo.name == "placebo" and placebo.k == 20
    assert result.test_results["-1:1"]["patell_z"].name == "patell_z"

    frames = result.to_frames()
    assert set(frames) == {"firms", "days", "windows", "aar", "aggregate", "tests", "excluded"}
    paths = result.to_csv(tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(f"{name}.csv" for name in frames)
    firms = pd.read_csv(tmp_path / "out" / "firms.csv")
    assert firms["day0"].tolist() == ["2025-01-27"] * 3

    changed = result.firms
    changed["beta"] = 0.0
    assert (result.firms["beta"] != 0.0).any()
    with pytest.raises(ValueError, match="read-only"):
        result.car_array[0, 0] = 1.0


def test_progress_is_reported(provider) -> None:
    steps: list[tuple[str, float]] = []
    spec = StudySpec.create(tickers="AAA", date="2025-01-27", placebo=3, seed=0)
    run_study(spec, provider, progress=lambda step, done: steps.append((step, done)))
    assert steps[0] == ("loading prices", 0.0) and steps[-1] == ("done", 1.0)
    assert [done for _, done in steps] == sorted(done for _, done in steps)


def test_value_change_is_the_raw_market_value_change_of_the_firms_with_a_cap() -> None:
    """Σ_t R_t · MV_{t-1} telescopes to MV(last) − MV(first − 1): computed here by hand."""
    import numpy as np
    import pandas as pd

    from analytics import MemoryPrices, StudySpec, run_study

    days = pd.bdate_range("2024-01-02", periods=300)
    rng = np.random.default_rng(7)
    closes = pd.DataFrame(
        {t: 100 * np.exp(np.cumsum(rng.normal(0, 0.01, len(days)))) for t in ("AAA", "BBB", "SPY")},
        index=days,
    )
    day0 = days[280]
    spec = StudySpec.create(
        tickers="AAA,BBB", date=day0, windows=["0:0", "-1:1"], placebo=0, min_estimation=100
    )
    caps = pd.DataFrame({"ticker": ["AAA"], "date": [days[200]], "market_cap": [5e9]})
    result = run_study(spec, MemoryPrices(closes), market_caps=caps)
    aggregate = result.aggregate.set_index("window")
    shares = 5e9 / closes.at[days[200], "AAA"]
    for window, (a, b) in {"0:0": (0, 0), "-1:1": (-1, 1)}.items():
        expected = shares * (closes["AAA"].iloc[280 + b] - closes["AAA"].iloc[280 + a - 1])
        assert aggregate.at[window, "value_change_total"] == pytest.approx(expected, rel=1e-12)
        assert aggregate.at[window, "dollar_impact_n"] == 1  # BBB has no cap
