"""The ticker picker: options for what is typed, and a typed ticker added with Enter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import no_update

from app.dashboard.cache import DashboardData

__all__ = ["add_typed_ticker", "ticker_choices"]


def ticker_choices(
    data: DashboardData, trigger: str | None, search: str | None, selected: Sequence[str] | None
) -> Any:
    """The ticker picker's options for what is typed; ``trigger`` is the picker's property that
    changed (``searchValue`` or ``value``).

    A search cleared by a pick changes nothing: new options would race the picked value, and
    the picker drops a value that is not among its new options.
    """
    if trigger == "searchValue" and not (search or "").strip():
        return no_update
    return data.search_tickers(search, list(selected or []))


def add_typed_ticker(
    data: DashboardData, search: str | None, selected: Sequence[str] | None
) -> tuple[Any, Any]:
    """Enter in the ticker picker: the typed text, when it is a known ticker, joins the
    universe and the search box is cleared."""
    symbol = data.known_ticker(search)
    current = list(selected or [])
    if symbol is None:
        return no_update, no_update
    if symbol in current:
        return no_update, ""
    return [*current, symbol], ""
