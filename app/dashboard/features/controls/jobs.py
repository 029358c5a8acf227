"""The background study runs: the study without its placebo first, then the placebo."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any
from uuid import uuid4

from dash import no_update

from analytics.errors import AftershockError
from app.dashboard.cache import DashboardData
from app.dashboard.components import alert
from app.dashboard.state import for_controls, from_query

__all__ = ["placebo_job", "run_job"]

logger = logging.getLogger(__name__)


def run_job(
    data: DashboardData, request: Mapping[str, Any] | None, progress: Callable[[str], None]
) -> tuple[Any, Any, Any]:
    """Background worker: run the requested study without its placebo test, so the first
    charts do not wait on it; returns ``(study key, results alert, placebo request)``.

    The placebo request (``no_update`` when the placebo is off) asks :func:`placebo_job` for
    the same study with its placebo test.
    """
    if not request:
        return no_update, no_update, no_update
    query = str(request.get("query", ""))
    state, _ = from_query(query)
    try:
        key = data.run(state, progress=progress, placebo=False)
    except AftershockError as exc:
        logger.info("study failed: %s", exc)
        return None, alert(for_controls(str(exc)), title="The study could not run"), no_update
    except Exception:
        logger.exception("study crashed for %s", query)
        return (
            None,
            alert(
                "An unexpected error stopped the study; the server log has the details.",
                title="The study could not run",
            ),
            no_update,
        )
    if not state.placebo:
        return key, None, no_update
    return key, None, {"query": query, "study": key, "token": uuid4().hex}


def placebo_job(data: DashboardData, request: Mapping[str, Any] | None) -> Any:
    """Background worker: the study of ``request`` with its placebo test (prices are in the
    store already); returns ``{"study": key without placebo, "full": key with it}`` (``full``
    None, with an ``error``, when it failed)."""
    if not request:
        return no_update
    state, _ = from_query(str(request.get("query", "")))
    study = request.get("study")
    try:
        return {"study": study, "full": data.run(state, fetch=False)}
    except AftershockError as exc:
        logger.info("placebo test failed: %s", exc)
        return {"study": study, "full": None, "error": for_controls(str(exc))}
    except Exception:
        logger.exception("placebo test crashed for %s", request.get("query"))
        return {"study": study, "full": None, "error": "an unexpected error (see the server log)"}
