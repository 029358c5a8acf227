"""The Tests tab states the abnormal volatility and a multi-day-0 study's calendar-time alpha,
as the summary does."""

from __future__ import annotations

from types import SimpleNamespace

from analytics.data.memory import MemoryPrices
from analytics.study.engine import run_study
from analytics.study.spec import StudySpec
from app.charts.formatting import format_p
from app.dashboard.features.results.panels import significance_panel
from tests.analytics.study.test_calendar_time import EVENTS
from tests.support import component_text, deepseek_prices


def test_the_verdict_names_the_calendar_time_alpha_of_the_window() -> None:
    spec = StudySpec.create(events=EVENTS, windows=["-1:1", "0:5"], placebo=0)
    result = run_study(spec, MemoryPrices(deepseek_prices()))
    data = SimpleNamespace(result=lambda key: result)
    for window in ("-1:1", "0:5"):
        c = result.calendar_time[window]
        text = component_text(significance_panel(data, "key", window, "tests"))  # type: ignore[arg-type]
        alpha = f"{abs(c.alpha) * 100:.3f}%"
        assert f"Calendar-time portfolio [{window.split(':')[0].replace('-', '−')}" in text
        assert f"alpha −{alpha} a day (t = −{abs(c.t):.2f}, {format_p(c.p)}) over {c.days}" in text
    one_day = run_study(StudySpec.create(tickers="NVDA,AMD", date="2025-01-27", placebo=0),
                        MemoryPrices(deepseek_prices()))  # fmt: skip
    data = SimpleNamespace(result=lambda key: one_day)
    assert "Calendar-time" not in component_text(significance_panel(data, "k", "0:0", "tests"))  # type: ignore[arg-type]


def test_the_verdict_names_the_abnormal_volatility() -> None:
    spec = StudySpec.create(tickers="NVDA,AVGO,AMD", date="2025-01-27", placebo=0)
    result = run_study(spec, MemoryPrices(deepseek_prices()))
    data = SimpleNamespace(result=lambda key: result)
    v = result.volatility["0:0"]
    text = component_text(significance_panel(data, "k", "0:0", "tests"))  # type: ignore[arg-type]
    assert f"the abnormal returns had {v.ratio:.1f}× their estimation-period variance" in text
    assert f"(λ = {v.lam:.1f} on 3 firm-days, p < 0.001)" in text
    # The pack holds no volume: the summary says so, the verdict stays on what was measured.
    assert result.abnormal_volume is None and "volume" not in text.lower()
