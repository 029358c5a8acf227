""" "Save this view as a study" and the drawer without a config, as plain functions.

The saved entry is checked by reading the file back with the config loader (not by the code
under test) and comparing the spec it builds with the spec that was saved."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dash_mantine_components as dmc
import pytest
from dash.development.base_component import Component

from analytics.study.spec import StudySpec
from app.config import ProjectConfig, load_config
from app.config.writing import study_entry
from app.dashboard import ids
from app.dashboard.features.saved_studies import NO_CONFIG_TIP, drawer, save_view
from app.dashboard.features.saved_studies.save_view import default_name
from tests.support import component_text

CONFIG = """# my project
[[studies]]
name = "chips"
tickers = ["NVDA", "AMD"]
event_date = 2025-01-27
placebo = 0
"""


def _find(component: Any, component_id: str) -> Any:
    if isinstance(component, list | tuple):
        for child in component:
            if (found := _find(child, component_id)) is not None:
                return found
    elif isinstance(component, Component):
        if getattr(component, "id", None) == component_id:
            return component
        return _find(getattr(component, "children", None), component_id)
    return None


@pytest.fixture
def config(tmp_path: Path) -> ProjectConfig:
    path = tmp_path / "aftershock.toml"
    path.write_text(CONFIG, encoding="utf-8")
    path.chmod(0o640)
    return load_config(path)


SPEC = StudySpec.create(
    tickers="NVDA,AVGO,BRK-B",
    date="2025-01-27",
    timing="after_close",
    windows=["0:0", "-1:1"],
    estimation="-200:-11",
    model="market_adjusted",
    benchmark="QQQ",
    placebo=50,
    min_estimation=100,
    bootstrap=0,
    standardization="sum_sar",
)


def test_saving_appends_an_entry_that_rebuilds_the_same_spec(config: ProjectConfig) -> None:
    saved, message = save_view(config, SPEC, "my-view")
    assert saved is not None and "Study saved" in component_text(message)
    text = config.path.read_text(encoding="utf-8")
    assert text.startswith(CONFIG.rstrip())  # the user's file and comments are kept
    reread = load_config(config.path)
    assert [s.name for s in reread.studies] == ["chips", "my-view"]
    assert reread.study("my-view").spec == SPEC
    assert [s.name for s in saved.studies] == ["chips", "my-view"]
    assert stat.S_IMODE(os.stat(config.path).st_mode) == 0o640
    assert not [p for p in config.path.parent.iterdir() if p.name.endswith(".tmp")]


def test_default_name_comes_from_the_view(config: ProjectConfig) -> None:
    assert default_name(SPEC) == "nvda-and-2-more-2025-01-27"
    saved, _ = save_view(config, SPEC, "  ")
    assert saved is not None and saved.studies[-1].name == "nvda-and-2-more-2025-01-27"


@pytest.mark.parametrize(
    ("name", "problem"),
    [("Bad Name!", "not a valid study name"), ("chips", "already has a study named chips")],
)
def test_bad_names_leave_the_file_untouched(config: ProjectConfig, name: str, problem: str) -> None:
    before = config.path.read_bytes()
    saved, message = save_view(config, SPEC, name)
    assert saved is None and problem in component_text(message)
    assert config.path.read_bytes() == before


def test_nothing_to_save_without_a_config_or_a_study(config: ProjectConfig) -> None:
    saved, message = save_view(None, SPEC, "x")
    assert saved is None and "No project config" in component_text(message)
    saved, message = save_view(config, None, "x")
    assert saved is None and "Run a study first" in component_text(message)


def test_a_multi_date_study_is_refused(config: ProjectConfig) -> None:
    spec = StudySpec.create(events=[("NVDA", "2025-01-27"), ("AMD", "2024-08-05")])
    with pytest.raises(Exception, match="different event dates"):
        study_entry(spec, "two")
    before = config.path.read_bytes()
    saved, message = save_view(config, spec, "two")
    assert saved is None and "different event dates" in component_text(message)
    assert config.path.read_bytes() == before


def test_without_a_config_refresh_and_save_are_disabled_and_say_why() -> None:
    layout = drawer(None)
    for button in (ids.REFRESH_BUTTON, ids.SAVE_VIEW):
        assert _find(layout, button).disabled is True
    tips = [c for c in _walk(layout) if isinstance(c, dmc.Tooltip)]
    assert len(tips) == 2 and all(t.label == NO_CONFIG_TIP for t in tips)


def test_with_a_config_the_buttons_are_enabled(config: ProjectConfig) -> None:
    layout = drawer(config)
    for button in (ids.REFRESH_BUTTON, ids.SAVE_VIEW):
        assert not _find(layout, button).disabled
    assert not [c for c in _walk(layout) if isinstance(c, dmc.Tooltip)]


def _walk(component: Any) -> Iterator[Component]:
    if isinstance(component, list | tuple):
        for child in component:
            yield from _walk(child)
    elif isinstance(component, Component):
        yield component
        yield from _walk(getattr(component, "children", None))
