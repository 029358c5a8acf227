"""The event study: specification, returns, models, tests, the pure engine and its result.

Modules: :mod:`~analytics.study.options` (:class:`~analytics.study.options.StudyOptions`, every
option declared once), :mod:`~analytics.study.spec` (:class:`StudySpec`, the one window grammar),
:mod:`~analytics.study.events` (firm-events parsed from ticker lists and event tables),
:mod:`~analytics.study.returns` (returns, risk-free rate, spike screen),
:mod:`~analytics.study.models` (normal-return models fitted for all firm-events at once),
:mod:`~analytics.study.result` (:class:`StudyResult`) and :mod:`~analytics.study.summary` (its
printed summary). Packages: :mod:`~analytics.study.significance` (the test statistics: parametric,
nonparametric, the residual correlation, all tests of one window) and
:mod:`~analytics.study.engine` (:func:`run_study`: inputs in, numbers out; no I/O beyond the
price provider it is given; its inputs, core fits, exclusions, placebo and dollar impact),
:mod:`~analytics.study.result` (:class:`StudyResult`) and
:mod:`~analytics.study.reasons` (exclusion reasons worded from what the study service knows:
"not in the data", "prices end on ...").

May import: the standard library, numpy/pandas/scipy/numba, :mod:`analytics.calendar`,
:mod:`analytics.errors`, :mod:`analytics.tickers` and, for table layouts only,
:mod:`analytics.data.factors`; never :mod:`analytics.data.sync`, a source, or ``app``.
"""

from analytics.study.engine import PriceProvider, data_requirements, run_study
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec

__all__ = ["PriceProvider", "StudyResult", "StudySpec", "data_requirements", "run_study"]
