"""The pure event-study engine: ``run_study(spec, prices) -> StudyResult``.

The engine is pure: inputs in (a spec, a price provider, optional market caps and factor
returns), numbers out. It does no network or file I/O of its own; the study service
(:class:`analytics.workspace.Workspace`) fetches prices and loads factors for it.

The engine follows ``DESIGN.md`` ("Conventions of the event study") and is vectorized across
firm-events: one price panel is loaded, returns are computed over consecutive sessions, and
matrices with relative days in rows and firm-events in columns are gathered by fancy indexing;
every model is then fitted for all firm-events at once (see :mod:`analytics.study.models`).

Choices made here:

- **CAPM** regresses ``R_i - rf`` on ``R_m - rf`` with ``rf`` from the 13-week T-bill yield
  ``^IRX`` (see :func:`analytics.study.returns.daily_risk_free`):
  ``E[R_i] = rf + alpha + beta (R_m - rf)``.
- **Factor models** regress ``R_i - RF`` on the factor table's columns (all but ``RF``) with an
  intercept. A table without ``RF`` (ETF-proxy factors) is used on raw returns: with an intercept,
  a nearly constant risk-free rate only shifts ``alpha``. With log returns the dependent variable
  is the log return; factor returns are used as given.
- **Thin-trading and GARCH models** (``scholes_williams``, ``dimson``, ``garch``, ``egarch``) are
  market models on raw returns: see :mod:`analytics.study.models` and :mod:`analytics.study.garch`.
  The panel reaches ``dimson_lags`` (1 for Scholes-Williams) sessions beyond the estimation
  window on both sides for the lagged and led market returns.
- **BHAR** with log returns is ``exp(Σ r) - exp(Σ E[r])``, the same buy-and-hold quantity.
- **Exclusions**: a firm-event is dropped from every window for an unknown ticker, no prices, an
  implausible price spike (``spike_screen="exclude"``), fewer than ``min_estimation`` valid
  estimation returns, a GARCH fit that does not converge, degenerate regressors or zero residual
  variance (constant prices); from a
  single window for a missing return (or benchmark/factor value) on one of its days. Statistics of
  firm-events excluded before fitting are NaN; spike-flagged ones keep theirs for inspection.
- **Tests** of a window run on its included firm-events via
  :func:`analytics.study.significance.window_tests` (NaN when none is included).
- **Placebo**: each draw k shifts every day 0 by the same ``δ_k`` sessions, drawn uniformly with
  replacement from :attr:`~analytics.study.spec.StudySpec.placebo_shifts`, so clustered events stay
  clustered; the pseudo study (estimation included) runs vectorized over chunks of draws on the
  firm-events included in the real window. ``p = (1 + #{|CAAR_k| >= |CAAR|}) / (K + 1)``.
- **Dollar impact**: ``ΔV_i = Σ_t AR_it · MV_{i,t-1}`` with
  ``MV_{i,t-1} = market_cap · P_{t-1} / P_anchor``; the cap nearest in date to day 0 is used, and
  ``P_anchor`` is the adjusted close of the last session on or before the cap's date.

Modules: :mod:`~analytics.study.engine.run` (the front door :func:`run_study` and
:func:`data_requirements`), :mod:`~analytics.study.engine.inputs` (the :class:`PriceProvider`
protocol and the session panel loaded from it), :mod:`~analytics.study.engine.core` (model fits,
abnormal returns, CARs and BHARs per firm-event), :mod:`~analytics.study.engine.exclusions` (why
a firm-event is left out), :mod:`~analytics.study.engine.placebo` (the placebo test) and
:mod:`~analytics.study.engine.dollars` (dollar impact).

May import what :mod:`analytics.study` may import and the study's own modules (spec, returns,
models, significance, result); never a source, :mod:`analytics.data.sync` or ``app``.
"""

from analytics.study.engine.inputs import RISK_FREE, PriceProvider, Progress
from analytics.study.engine.run import data_requirements, run_study

__all__ = ["RISK_FREE", "PriceProvider", "Progress", "data_requirements", "run_study"]
