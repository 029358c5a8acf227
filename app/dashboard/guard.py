"""Malformed requests to Dash's endpoints are the client's fault: answer 4xx, never 500.

Dash trusts the body of ``POST /_dash-update-component`` to be what its renderer sends and fails
with a ``KeyError`` or ``TypeError`` (HTTP 500) on anything else; an unknown file under
``/_dash-component-suites/`` raises ``DependencyException`` (500 as well). :func:`install_guard`
checks a callback body's shape against the app's registered callbacks before Dash reads it
(400 for a malformed body, 404 for an unknown callback) and turns the unknown-file error into 404.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from dash import Dash
from dash.exceptions import DependencyException
from flask import Response, request

__all__ = ["BadBody", "check_callback_body", "install_guard"]

_UPDATE = "/_dash-update-component"


class BadBody(ValueError):
    """A callback body that the renderer would never send; ``status`` is the HTTP answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _is_dependency(item: Any) -> bool:
    return (
        isinstance(item, Mapping)
        and isinstance(item.get("property"), str)
        and isinstance(item.get("id"), (str, Mapping))
    )


def _id_text(component_id: str | Mapping[str, Any]) -> str:
    """An id as the callback map writes it: a dict id as compact JSON with sorted keys."""
    if isinstance(component_id, str):
        return component_id
    return json.dumps(dict(component_id), sort_keys=True, separators=(",", ":"))


def _check_items(body: Mapping[str, Any], key: str, declared: Sequence[Any]) -> None:
    items = body.get(key, [])
    if not isinstance(items, list) or len(items) != len(declared):
        raise BadBody(f"{key}: expected a list of {len(declared)} items")
    for item, spec in zip(items, declared, strict=True):
        # A wildcard (ALL) dependency arrives as a list of matches, possibly empty.
        group = item if isinstance(item, list) else [item]
        if not all(_is_dependency(one) for one in group):
            raise BadBody(f"{key}: every item needs an id and a property")
        fixed = isinstance(spec, Mapping) and isinstance(spec.get("id"), str)
        if (
            fixed
            and not isinstance(item, list)
            and (_id_text(item["id"]) != spec["id"] or item["property"] != spec.get("property"))
        ):
            raise BadBody(f"{key}: {item['id']}.{item['property']} is not this callback's")


def check_callback_body(app: Dash, body: Any) -> None:
    """Raise :class:`BadBody` unless ``body`` has the shape of a renderer's callback request."""
    if not isinstance(body, Mapping):
        raise BadBody("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str):
        raise BadBody("output: expected the callback's output id")
    callback = app.callback_map.get(output)
    if callback is None:
        raise BadBody(f"no callback has the output {output[:100]!r}", status=404)
    outputs = body.get("outputs")
    group = outputs if isinstance(outputs, list) else [outputs]
    flat = [o for g in group for o in (g if isinstance(g, list) else [g])]
    if not all(_is_dependency(o) for o in flat):
        raise BadBody("outputs: every output needs an id and a property")
    _check_items(body, "inputs", callback.get("inputs", []))
    _check_items(body, "state", callback.get("state", []))
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadBody("changedPropIds: expected a list of 'id.property' texts")


def install_guard(app: Dash) -> None:
    """Check callback bodies before Dash reads them; unknown component files are 404."""
    server = app.server

    @server.before_request
    def _check() -> Response | None:
        if request.method != "POST" or not request.path.endswith(_UPDATE):
            return None
        body = request.get_json(silent=True)
        try:
            check_callback_body(app, body)
        except BadBody as exc:
            return Response(f"{exc}\n", status=exc.status, mimetype="text/plain")
        return None

    @server.errorhandler(DependencyException)
    def _unknown_file(exc: DependencyException) -> Response:
        return Response("no such component file\n", status=404, mimetype="text/plain")
