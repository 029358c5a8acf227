"""The page loads the partial plotly.js, which holds every trace type the app draws."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType

from app.dashboard.app import create_app
from app.dashboard.lazy import BUNDLE_TRACES, PLOTLY_BUNDLE
from app.settings import Settings

APP = Path(__file__).resolve().parents[3] / "app"
TRACES = {
    name.lower()
    for name in go.__all__
    if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
}
# plotly.express functions → the trace type they draw
EXPRESS = {"line": "scatter", "scatter": "scatter", "bar": "bar", "histogram": "histogram"}


def traces_drawn_by(source: str) -> set[str]:
    """Trace types a module's source builds: ``go.X(``, ``fig.add_x(``, ``type="x"``, ``px.f(``."""
    found = {m.lower() for m in re.findall(r"\bgo\.([A-Z]\w*)\(", source)}
    found |= set(re.findall(r"\.add_([a-z0-9]+)\(", source))
    found |= set(re.findall(r"""\btype["']?\s*[:=]\s*["']([a-z0-9]+)["']""", source))
    for name in re.findall(r"\bpx\.([a-z_]+)\(", source):
        found.add(EXPRESS.get(name, f"px.{name} (unknown to this test)"))
    return {t for t in found if t in TRACES or t.startswith("px.")}


def test_the_scanner_finds_each_way_of_drawing_a_trace() -> None:
    source = 'go.Scatter(x=1)\nfig.add_treemap(a)\nfig.add_hline(0)\n{"type": "pie"}\npx.line(df)'
    assert traces_drawn_by(source) == {"scatter", "treemap", "pie"}


def test_the_bundle_holds_every_trace_the_app_draws() -> None:
    drawn = set().union(*(traces_drawn_by(p.read_text()) for p in APP.rglob("*.py")))
    assert {"scatter", "bar", "treemap"} <= drawn  # the scan sees the charts at all
    missing = drawn - set(BUNDLE_TRACES)
    assert not missing, (
        f"the dashboard's plotly.js lacks {sorted(missing)}: add them to BUNDLE_TRACES and "
        "tools/plotly-bundle/entry.js, then rebuild the bundle (tools/plotly-bundle/README.md)"
    )
    bundle = PLOTLY_BUNDLE.read_text()
    registered = set(re.findall(r'moduleType:"trace",name:"([a-z0-9]+)"', bundle))
    assert registered == set(BUNDLE_TRACES)


@pytest.fixture
def client(settings: Settings):  # type: ignore[no-untyped-def]
    app = create_app(settings, prepare=False)
    return app.server.test_client()


def test_the_page_loads_the_partial_bundle_compressed_and_not_dash_s_full_one(
    client,  # type: ignore[no-untyped-def]
) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "plotly.min.js" not in page
    (src,) = re.findall(r'src="([^"]*/_aftershock/plotly-[0-9a-f]{16}\.min\.js)"', page)
    answer = client.get(src, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "immutable" in answer.headers["Cache-Control"]
    assert gzip.decompress(answer.get_data()) == PLOTLY_BUNDLE.read_bytes()
