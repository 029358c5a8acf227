"""Crontab(5) expressions as APScheduler reads them: the day-of-week field renumbered (crontab
counts from Sunday, APScheduler from Monday) and combinations the two disagree on refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from analytics.errors import SpecError

if TYPE_CHECKING:
    pass

__all__ = ["aps_crontab"]

# In crontab order (0 = Sunday); APScheduler reads these names right but numbers from Monday.
_DAY_NAMES: Final = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def _dow_numbers(part: str, expr: str, error: Callable[[str], SpecError]) -> set[int]:
    """Crontab days of week (0 = Sunday) of one comma-separated item of the fifth field."""

    def day(token: str) -> int:
        token = token.lower()
        if token in _DAY_NAMES:
            return _DAY_NAMES.index(token)
        if token.isdigit() and 0 <= int(token) <= 7:
            return int(token)
        raise error(f'{expr!r}: day of week {token!r} is not 0-7 or sun..sat; e.g. "30 16 * * 1-5"')

    body, _, step_text = part.partition("/")
    if step_text and not (step_text.isdigit() and int(step_text) > 0):
        raise error(f"{expr!r}: step {step_text!r} must be a positive whole number")
    if body == "*":
        first, last = 0, 6
    elif "-" in body:
        lo, _, hi = body.partition("-")
        first, last = day(lo), day(hi)
        if first > last:
            raise error(f"{expr!r}: range {body!r} is reversed; write it low-high, e.g. 1-5")
    else:
        first = last = day(body)
    step = int(step_text) if step_text else 1
    return {d % 7 for d in range(first, last + 1, step)}


def aps_crontab(expr: str, error: Callable[[str], SpecError] | None = None) -> str:
    """Rewrite the day-of-week field of a crontab(5) expression as APScheduler day names."""
    fail = error or (lambda problem: SpecError(f"cron: {problem}"))
    fields = expr.split()
    if len(fields) != 5:
        raise fail(
            f"{expr!r} has {len(fields)} fields; give minute hour day month weekday, "
            'e.g. "30 16 * * 1-5"'
        )
    day_of_month, dow = fields[2], fields[4]
    if dow == "*":
        return expr
    if day_of_month != "*":
        raise fail(
            f"{expr!r} restricts both the day of month and the day of week; restrict only one "
            "(crontab and APScheduler disagree on combining them)"
        )
    days: set[int] = set()
    for part in dow.split(","):
        days |= _dow_numbers(part, expr, fail)
    fields[4] = ",".join(_DAY_NAMES[d] for d in sorted(days))
    return " ".join(fields)
