"""Market models with GARCH(1,1) or EGARCH(1,1) errors, fitted per firm-event with ``arch``.

The mean model is the market model ``R_it = c + beta R_mt + e_it``; the errors follow
GARCH(1,1) ``s²_t = omega + alpha e²_{t-1} + b s²_{t-1}`` (Bollerslev 1986) or EGARCH(1,1)
``ln s²_t = omega + alpha (|z_{t-1}| - sqrt(2/pi)) + gamma z_{t-1} + b ln s²_{t-1}`` (Nelson 1991,
with its asymmetry term), normal innovations, all estimated jointly by maximum likelihood
(``arch.arch_model(..., mean="LS")``) on the firm-event's valid estimation days, taken as one
consecutive series (a missing day is skipped, not bridged by a forecast).

- The abnormal return is ``R_it - c - beta R_mt``.
- Its standard deviation on event day ``t`` is the conditional volatility forecast ``h`` sessions
  ahead of the last valid estimation day (analytic for GARCH; for EGARCH, whose multi-step
  forecast has no closed form in ``arch``, a simulation of :data:`SIMULATIONS` paths from a fixed
  seed, so a study reproduces). ``Var(AR)`` is the diagonal of these forecasts: the estimation
  error of ``c`` and ``beta`` is left out, as in ARC and eventstudy2.
- ``sigma²`` reports the residual variance ``SSR / (L_i - 2)`` and the degrees of freedom are
  ``L_i - 2`` (those of the mean model, used by the Patell Z).
- Returns are scaled to percent for the optimizer (``arch`` is tuned for that scale); ``c`` and
  ``beta`` are reported in return units, the volatility parameters as fitted on percent returns.

``arch`` has no batch fit, so firm-events are fitted one by one: in this process for a few, in a
:class:`~concurrent.futures.ProcessPoolExecutor` over chunks of firm-events when there are at
least :data:`PARALLEL_FROM` (one worker per available core). A fit that does not converge (or
whose forecast is not a positive finite variance) marks its firm-event ``failed``; the engine
excludes it with a stated reason.

References
----------
Bollerslev, T. (1986). Generalized autoregressive conditional heteroskedasticity. *Journal of
    Econometrics* 31(3), 307-327.
Nelson, D. B. (1991). Conditional heteroskedasticity in asset returns: a new approach.
    *Econometrica* 59(2), 347-370.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Final, Literal, TypeAlias

import numpy as np

from analytics.study.models import ModelFit

__all__ = [
    "MAX_ITER",
    "PARALLEL_FROM",
    "SCALE",
    "SIMULATIONS",
    "Volatility",
    "fit_one",
    "garch",
    "param_names",
    "workers",
]

logger = logging.getLogger(__name__)

Volatility: TypeAlias = Literal["garch", "egarch"]

SCALE: Final = 100.0
"""Returns are fitted in percent."""
SIMULATIONS: Final = 1000
"""Simulated paths of an EGARCH multi-step variance forecast."""
SEED: Final = 0
"""Seed of the EGARCH forecast simulation (the same for every firm-event)."""
MAX_ITER: Final = 1000
"""SLSQP iterations of one attempt (``arch``'s default of 100 stops many EGARCH fits early)."""
PARALLEL_FROM: Final = 64
"""Fewest firm-events fitted in worker processes rather than in this one."""
_CHUNKS_PER_WORKER = 4
_VOL_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "garch": ("vol_omega", "vol_alpha", "vol_beta"),
    "egarch": ("vol_omega", "vol_alpha", "vol_gamma", "vol_beta"),
}


def param_names(vol: Volatility) -> tuple[str, ...]:
    """Names of a fit's parameters: ``alpha``, ``beta`` of the mean model, then the volatility's.

    >>> param_names("egarch")
    ('alpha', 'beta', 'vol_omega', 'vol_alpha', 'vol_gamma', 'vol_beta')
    """
    return ("alpha", "beta", *_VOL_NAMES[vol])


def workers() -> int:
    """Worker processes for a parallel fit: the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _starting_values(y: np.ndarray, m: np.ndarray, vol: Volatility) -> np.ndarray:
    """Second-attempt starting values: the OLS market model and a persistent volatility."""
    slope, const = np.polyfit(m, y, 1)
    var = float(np.var(y - const - slope * m))
    if vol == "garch":
        return np.array([const, slope, 0.1 * var, 0.1, 0.8])
    return np.array([const, slope, 0.1 * np.log(var), 0.1, 0.0, 0.9])


def fit_one(
    y: np.ndarray, m: np.ndarray, horizon: int, vol: Volatility
) -> tuple[np.ndarray, np.ndarray] | None:
    """Fit one firm-event's consecutive valid estimation returns ``y`` on the market ``m``.

    The first attempt starts from ``arch``'s own starting values; when it does not converge, a
    second one starts from the OLS market model with ``vol_alpha`` 0.1 and ``vol_beta`` 0.8
    (GARCH; EGARCH: ``vol_omega`` 0.1 ln s², ``vol_alpha`` 0.1, ``vol_gamma`` 0, ``vol_beta``
    0.9), each with up to :data:`MAX_ITER` SLSQP iterations.

    Returns the parameters (see :func:`param_names`) and the ``(horizon,)`` variance forecasts
    of the abnormal return 1 to ``horizon`` sessions ahead (in return units squared), or None
    when neither attempt converges or the forecast is not a positive finite variance.
    """
    from arch import arch_model

    y, m = SCALE * y, SCALE * m
    model = arch_model(
        y,
        x=m[:, None],
        mean="LS",
        vol="GARCH" if vol == "garch" else "EGARCH",
        p=1,
        o=0 if vol == "garch" else 1,
        q=1,
        dist="normal",
        rescale=False,
    )
    with warnings.catch_warnings():
        # Non-convergence is reported through convergence_flag and handled below.
        warnings.simplefilter("ignore")
        try:
            res = model.fit(disp="off", show_warning=False, options={"maxiter": MAX_ITER})
            if res.convergence_flag != 0:
                res = model.fit(
                    disp="off",
                    show_warning=False,
                    starting_values=_starting_values(y, m, vol),
                    options={"maxiter": MAX_ITER},
                )
            if res.convergence_flag != 0:
                return None
            forecast = res.forecast(
                horizon=horizon,
                reindex=False,
                method="analytic" if vol == "garch" else "simulation",
                simulations=SIMULATIONS,
                rng=np.random.default_rng(SEED).standard_normal,
                x=np.zeros((1, horizon)),
            )
        except Exception:  # arch raises many kinds; one firm's failure only excludes that firm
            return None
    params = res.params.to_numpy(dtype="float64", copy=True)
    variance = forecast.variance.to_numpy(dtype="float64")[-1] / SCALE**2
    if not np.isfinite(params).all():
        return None
    if not (np.isfinite(variance).all() and (variance > 0).all()):
        return None
    params[0] /= SCALE
    return params, variance


def _fit_chunk(
    tasks: list[tuple[np.ndarray, np.ndarray, int]], vol: Volatility
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    return [fit_one(y, m, horizon, vol) for y, m, horizon in tasks]


def _fit_all(
    tasks: list[tuple[np.ndarray, np.ndarray, int]], vol: Volatility, n_workers: int
) -> list[tuple[np.ndarray, np.ndarray] | None]:
    # A daemonic process (e.g. a dashboard's background worker) may not start children.
    if n_workers <= 1 or len(tasks) < PARALLEL_FROM or multiprocessing.current_process().daemon:
        return _fit_chunk(tasks, vol)
    size = -(-len(tasks) // (n_workers * _CHUNKS_PER_WORKER))
    chunks = [tasks[i : i + size] for i in range(0, len(tasks), size)]
    # fork is cheap (the workers inherit the loaded modules) but unsafe once other threads
    # run (a server); spawn is safe there.
    single = threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if single else "spawn")
    try:
        # The workers keep the BLAS threading of this process: fewer threads there would move
        # the optimizer's path, and the fits would depend on the number of workers.
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=context) as pool:
            done = list(pool.map(_fit_chunk, chunks, [vol] * len(chunks)))
    except (BrokenProcessPool, RuntimeError, OSError) as exc:
        # e.g. spawn from a script without a __main__ guard: the fits still run, serially.
        logger.warning("%s: worker processes failed (%s); fitting in this process", vol, exc)
        return _fit_chunk(tasks, vol)
    return [fit for chunk in done for fit in chunk]


def garch(
    y_est: np.ndarray,
    m_est: np.ndarray,
    m_evt: np.ndarray,
    event_days: np.ndarray,
    *,
    vol: Volatility,
    min_n: int,
    n_workers: int | None = None,
) -> ModelFit:
    """The GARCH or EGARCH market model of every firm-event (columns).

    Parameters
    ----------
    y_est, m_est
        ``(L, N)`` estimation-window returns of the firm-events and of the market.
    m_evt
        ``(W, N)`` market returns on the event days.
    event_days
        ``(W,)`` each event day's distance in sessions from the last estimation day (1 when the
        event window starts right after it).
    vol
        ``"garch"`` or ``"egarch"``.
    min_n
        Firm-events with fewer valid estimation days are not fitted (the engine excludes them).
    n_workers
        Worker processes (default :func:`workers`); 1 fits in this process.
    """
    length, n_fe = y_est.shape
    valid = np.isfinite(y_est) & np.isfinite(m_est)
    n = valid.sum(axis=0)
    last = np.where(valid.any(axis=0), length - 1 - valid[::-1].argmax(axis=0), 0)
    ahead = event_days[:, None] + (length - 1 - last)[None, :]  # (W, N) steps from last valid day
    todo = np.flatnonzero(n >= max(min_n, 3))
    tasks = [(y_est[valid[:, i], i], m_est[valid[:, i], i], int(ahead[:, i].max())) for i in todo]
    fits = _fit_all(tasks, vol, workers() if n_workers is None else n_workers)
    k = len(param_names(vol))
    params = np.full((n_fe, k), np.nan)
    variance = np.full(ahead.shape, np.nan)
    failed = np.zeros(n_fe, dtype=bool)
    for i, fit in zip(todo, fits, strict=True):
        if fit is None:
            failed[i] = True
            continue
        params[i] = fit[0]
        variance[:, i] = fit[1][ahead[:, i] - 1]
    logger.info("%s: fitted %d firm-events, %d did not converge", vol, len(todo), int(failed.sum()))
    alpha, beta = params[:, 0], params[:, 1]
    resid = np.where(valid, y_est - alpha - beta * m_est, np.nan)
    dof = n - 2
    ssr = (np.where(valid, resid, 0.0) ** 2).sum(axis=0)
    sigma2 = np.where(np.isfinite(alpha), ssr / np.maximum(dof, 1), np.nan)
    cov = np.zeros((n_fe, len(event_days), len(event_days)))
    cov[:, np.arange(len(event_days)), np.arange(len(event_days))] = variance.T
    return ModelFit(
        params=params,
        sigma2=sigma2,
        n=n,
        dof=dof,
        singular=np.zeros(n_fe, dtype=bool),
        resid=resid,
        fitted=alpha + beta * m_evt,
        cov=cov,
        failed=failed,
    )
