"""Cross-sectional regression of CARs on firm characteristics.

For one event window, ``CAR_i = b0 + Σ_k b_k x_ik + e_i`` by OLS (statsmodels) over the firms
with a CAR and every regressor. Standard errors are heteroskedasticity-robust HC3,
``(X'X)^-1 X' diag(e_i² / (1 - h_ii)²) X (X'X)^-1`` with p-values from t with ``n - k``
degrees of freedom, when every firm shares one event date; when the dates differ they are
clustered by event date (statsmodels' ``cluster``: the CR1 small-sample factor
``G/(G-1) · (n-1)/(n-k)``, p-values from t with ``G - 1`` degrees of freedom), since firms hit
on the same day share the day's market-wide shock.

>>> import numpy as np, pandas as pd
>>> x = pd.DataFrame({"beta": [0.5, 1.0, 1.5, 2.0, 2.5]})
>>> fit = regress_cars(np.array([0.0, -0.01, -0.03, -0.02, -0.05]), x)
>>> fit.n, [t.name for t in fit.terms], round(fit.terms[1].coef, 3)
(5, ['const', 'beta'], -0.022)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["CONST", "Regression", "Term", "regress_cars"]

CONST = "const"
"""Name of the intercept term."""


@dataclass(frozen=True, kw_only=True)
class Term:
    """One coefficient: its estimate, standard error, t statistic and two-sided p-value."""

    name: str
    coef: float
    se: float
    t: float
    p: float


@dataclass(frozen=True, kw_only=True)
class Regression:
    """The cross-sectional regression of one window's CARs.

    Attributes
    ----------
    n
        Firms used (a CAR and every regressor present).
    r2
        R² of the fit (NaN when it could not be fitted).
    terms
        ``const`` first, then the regressors in the order asked.
    cov_type
        ``"HC3"``, or ``"cluster"`` (by event date).
    clusters
        Distinct event dates among the firms used.
    """

    n: int
    r2: float
    terms: tuple[Term, ...]
    cov_type: str
    clusters: int

    def to_frame(self) -> pd.DataFrame:
        """The terms as a table: ``term, coef, se, t, p``."""
        return pd.DataFrame(
            [(t.name, t.coef, t.se, t.t, t.p) for t in self.terms],
            columns=["term", "coef", "se", "t", "p"],
        )


def regress_cars(
    car: np.ndarray, regressors: pd.DataFrame, *, dates: np.ndarray | None = None
) -> Regression:
    """OLS of ``car`` on ``regressors`` (plus ``const``) with HC3 or date-clustered errors.

    Parameters
    ----------
    car
        ``(N,)`` CARs, NaN for firms not included in the window.
    regressors
        ``N`` rows, one float column per regressor; a firm with a NaN is dropped.
    dates
        ``(N,)`` event dates (day 0); clustered errors when the used firms' dates differ.

    Returns
    -------
    Regression
        NaN terms (with ``n``) when fewer firms than coefficients plus two are usable, or when a
        regressor is constant (collinear with ``const``).
    """
    names = [CONST, *map(str, regressors.columns)]
    x = regressors.to_numpy(dtype="float64")
    y = np.asarray(car, dtype="float64")
    used = np.isfinite(y) & np.isfinite(x).all(axis=1)
    n = int(used.sum())
    design = np.column_stack([np.ones(n), x[used]])
    groups = None if dates is None else pd.factorize(np.asarray(dates)[used])[0]
    clusters = 1 if groups is None or n == 0 else int(groups.max() + 1)
    cov_type = "cluster" if clusters > 1 else "HC3"
    rank = np.linalg.matrix_rank(design) if n else 0
    if n < len(names) + 2 or rank < len(names):
        nan = float("nan")
        terms = tuple(Term(name=k, coef=nan, se=nan, t=nan, p=nan) for k in names)
        return Regression(n=n, r2=nan, terms=terms, cov_type=cov_type, clusters=clusters)
    import statsmodels.api as sm  # on first use: only studies with regressors need its 40 MB

    model = sm.OLS(y[used], design)
    with np.errstate(divide="ignore", invalid="ignore"):
        if cov_type == "cluster":
            fit = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, use_t=True)
        else:
            fit = model.fit(cov_type="HC3", use_t=True)
        terms = tuple(
            Term(name=k, coef=float(c), se=float(s), t=float(t), p=float(p))
            for k, c, s, t, p in zip(
                names, fit.params, fit.bse, fit.tvalues, fit.pvalues, strict=True
            )
        )
    return Regression(
        n=n, r2=float(fit.rsquared), terms=terms, cov_type=cov_type, clusters=clusters
    )
