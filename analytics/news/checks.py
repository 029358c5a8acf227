"""An article's claims checked against the data: measured move, abnormal move and a verdict.

A percent claim is measured as the subject's close-to-close return on the claimed day (an
index through the fund standing in for it: SPY for the S&P 500); a dollar claim as the change
of market value that day (summed over the study's market group for "US stocks" or an index).
The verdict compares the move in the claim's direction with the claim's band
(:func:`analytics.news.claims.claim_band`): inside it *consistent*, below it *overstated*
(a move the other way too), above it *understated*; *not checkable* says why not.

>>> import pandas as pd
>>> from analytics.news.claims import Claim
>>> days = pd.to_datetime(["2025-04-02", "2025-04-03"])
>>> closes = pd.DataFrame({"AAPL": [100.0, 91.0]}, index=days)
>>> claim = Claim("", "Apple", "AAPL", "company", pd.Timestamp("2025-04-03").date(), "down",
...               9.0, "percent", "about", 7.65, 10.35)
>>> [c.verdict for c in check_claims([claim], closes)]
['consistent']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from analytics.calendar import is_session, previous_session
from analytics.calendar import sessions as calendar_sessions
from analytics.news.claims import Claim

__all__ = ["CheckedClaim", "Verdict", "check_claims"]

Verdict: TypeAlias = Literal["consistent", "overstated", "understated", "not checkable"]


@dataclass(frozen=True)
class CheckedClaim:
    """A claim with what the data says: returns as decimals, dollar changes in USD."""

    claim: Claim
    verdict: Verdict
    reason: str
    measured_return: float | None = None
    measured_ar: float | None = None
    measured_value: float | None = None
    abnormal_value: float | None = None


def _usd(value: float) -> str:
    size = abs(value)
    for scale, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if size >= scale:
            return f"{'−' if value < 0 else '+'}${size / scale:,.1f} {word}"
    return f"{'−' if value < 0 else '+'}${size:,.0f}"


def _pct(value: float) -> str:
    return f"{value * 100:+.2f}%".replace("-", "−")


def _band(claim: Claim) -> str:
    fmt = (lambda v: f"{v:.2f}%") if claim.unit == "percent" else (lambda v: _usd(v)[1:])
    if math.isinf(claim.high):
        return f"at least {fmt(claim.low)}"
    return f"{fmt(claim.low)} to {fmt(claim.high)}"


def _value(frame: pd.DataFrame | None, day: pd.Timestamp, ticker: str) -> float | None:
    if frame is None or ticker not in frame.columns or day not in frame.index:
        return None
    value = float(np.asarray(frame[ticker], dtype="float64")[frame.index.get_loc(day)])
    return value if math.isfinite(value) else None


def _when(claim: Claim, day: pd.Timestamp) -> str:
    if claim.since is not None:
        return f"from {claim.since:%a %d %b} to {day:%a %d %b %Y}"
    return f"on {day:%a %d %b %Y}"


def _abnormal(abnormal: pd.DataFrame | None, claim: Claim, day: pd.Timestamp) -> float | None:
    """The subject's abnormal return that day, or summed over the days of a multi-day claim."""
    if abnormal is None or claim.ticker not in abnormal.columns:
        return None
    start = pd.Timestamp(claim.since) if claim.since else day
    span = abnormal.loc[(abnormal.index >= start) & (abnormal.index <= day), claim.ticker]
    days = len(calendar_sessions(start, day))
    if span.notna().sum() < days:
        return None
    return float(span.sum())


def _judge(claim: Claim, measured: float, shown: str, where: str) -> CheckedClaim:
    along = measured if claim.direction == "up" else -measured
    if claim.unit == "percent":
        along *= 100
    verb = "rose" if measured > 0 else "fell"
    said = f"{where} {verb} {shown.lstrip('+−')}; the claim allows {_band(claim)} {claim.direction}"
    if along <= 0 and measured != 0:
        return CheckedClaim(claim, "overstated", f"{where} moved the other way ({shown})")
    if along < claim.low:
        return CheckedClaim(claim, "overstated", said)
    if along > claim.high:
        return CheckedClaim(claim, "understated", said)
    return CheckedClaim(claim, "consistent", said)


def check_claims(
    claims: Sequence[Claim],
    closes: pd.DataFrame,
    *,
    abnormal: pd.DataFrame | None = None,
    values: pd.DataFrame | None = None,
    market_group: Sequence[str] = (),
    group_name: str = "the study's firms",
) -> list[CheckedClaim]:
    """Each claim with its measured values and verdict (see the module docstring).

    Parameters
    ----------
    claims
        From :func:`~analytics.news.claims.find_claims`.
    closes
        Adjusted closes, one column per ticker, indexed by trading day; each claimed day and
        the session before it are needed.
    abnormal
        Abnormal returns (decimals) of the study's firms, same layout (event-window days).
    values
        Market values in USD, same layout as ``closes``; needed for dollar claims.
    market_group
        The firms summed for dollar claims about "US stocks" or an index.
    group_name
        How the market group is named in reasons ("the S&P 500 members").
    """
    return [_check(c, closes, abnormal, values, market_group, group_name) for c in claims]


def _check(
    claim: Claim,
    closes: pd.DataFrame,
    abnormal: pd.DataFrame | None,
    values: pd.DataFrame | None,
    group: Sequence[str],
    group_name: str,
) -> CheckedClaim:
    def unchecked(reason: str) -> CheckedClaim:
        return CheckedClaim(claim, "not checkable", reason)

    if claim.kind == "group":
        return unchecked(f"'{claim.subject}' is a group the text does not name company by company")
    if claim.ticker is None and claim.kind == "index":
        return unchecked(f"the data holds no US-listed fund tracking the {claim.subject}")
    if claim.ticker is None:
        return unchecked("the text does not say which company or index moved")
    if claim.day is None:
        return unchecked("the text does not say on which day")
    day = pd.Timestamp(claim.day)
    if not is_session(day):
        return unchecked(f"{claim.day:%a %d %b %Y} is not a trading day")
    before = previous_session(pd.Timestamp(claim.since) if claim.since else day)
    if claim.unit == "usd":
        return _check_value(claim, day, before, abnormal, values, group, group_name)
    now, then = _value(closes, day, claim.ticker), _value(closes, before, claim.ticker)
    if now is None or then is None:
        return unchecked(f"no prices for {claim.ticker} on {before:%d %b} and {day:%d %b %Y}")
    measured = now / then - 1.0
    ar = _abnormal(abnormal, claim, day)
    proxy = claim.kind == "index" and claim.ticker != claim.subject
    where = f"{claim.ticker} (standing in for the {claim.subject})" if proxy else claim.ticker
    judged = _judge(claim, measured, _pct(measured), f"{where} {_when(claim, day)}")
    return CheckedClaim(claim, judged.verdict, judged.reason, measured, ar)


def _check_value(
    claim: Claim,
    day: pd.Timestamp,
    before: pd.Timestamp,
    abnormal: pd.DataFrame | None,
    values: pd.DataFrame | None,
    group: Sequence[str],
    group_name: str,
) -> CheckedClaim:
    assert claim.ticker is not None
    tickers = list(group) if claim.kind == "index" else [claim.ticker]
    if values is None or day not in values.index or before not in values.index:
        return CheckedClaim(claim, "not checkable", "no market values for that day in the data")
    known = [t for t in tickers if t in values.columns]
    start = np.asarray(values.loc[before, known], dtype="float64")
    end = np.asarray(values.loc[day, known], dtype="float64")
    both = np.isfinite(start) & np.isfinite(end)
    if not both.any():
        what = group_name if claim.kind == "index" else claim.ticker
        return CheckedClaim(claim, "not checkable", f"no market value for {what} on {day:%d %b %Y}")
    change = float((end[both] - start[both]).sum())
    abnormal_value = None
    if abnormal is not None and claim.since is None and day in abnormal.index:
        held = [t for t, ok in zip(known, both, strict=True) if ok]
        ars = np.asarray(abnormal.loc[day].reindex(held), dtype="float64")
        if np.isfinite(ars).any():
            abnormal_value = float(np.nansum(ars * start[both]))
    where = (
        f"the market value of {int(both.sum())} of {group_name}"
        if claim.kind == "index"
        else f"{claim.ticker}'s market value"
    )
    judged = _judge(claim, change, _usd(change), f"{where} {_when(claim, day)}")
    ret = change / float(start[both].sum())
    return CheckedClaim(
        claim,
        judged.verdict,
        judged.reason,
        ret,
        None,
        change,
        abnormal_value,
    )
