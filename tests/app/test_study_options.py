"""A study option is declared once: StudySpec, the CLI, the TOML config and the URL state agree."""

from __future__ import annotations

import datetime as dt
import inspect
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics.errors import SpecError
from analytics.study.options import DEFAULTS, StudyOptions
from analytics.study.spec import StudySpec
from app.cli.export import export
from app.cli.main import cli, main
from app.cli.options import FLAGS, cli_defaults, options_from_cli
from app.cli.study import study
from app.config import load_config
from app.dashboard.state import DEFAULT_STATE, from_controls, from_query

SPEC_FIELDS = (
    "benchmark",
    "model",
    "dimson_lags",
    "estimation",
    "windows",
    "returns",
    "min_estimation",
    "placebo",
    "seed",
    "bootstrap",
    "standardization",
    "spike_screen",
    "spike_threshold",
    "spike_jump",
)
EVENT = {"tickers": ("NVDA", "BRK-B"), "event_date": dt.date(2025, 1, 27)}
STUDY = '[[studies]]\nname = "chips"\ntickers = ["nvda", "brk.b"]\nevent_date = 2025-01-27\n'
CONTROLS = {
    "article": None,
    "date": "2025-01-27",
    "timing": "before_open",
    "preset": "custom",
    "sector": None,
    "tickers": ["nvda", "brk.b"],
    "benchmark": "SPY",
    "model": "market",
    "estimation_start": -250,
    "estimation_end": -11,
    "windows": ["0:0", "-1:1", "-5:5"],
}


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aftershock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_defaults_are_the_documented_ones() -> None:
    # Written out once here, independently of the model, so a changed default is a visible diff.
    assert StudyOptions.defaults() == {
        "event_date": None,
        "timing": "before_open",
        "tickers": (),
        "universe_file": None,
        "benchmark": "SPY",
        "model": "market",
        "factors": None,
        "dimson_lags": 1,
        "estimation": (-250, -11),
        "windows": ((0, 0), (-1, 1), (-5, 5)),
        "returns": "simple",
        "min_estimation": 120,
        "placebo": 200,
        "seed": 0,
        "bootstrap": 999,
        "standardization": "exact",
        "spike_screen": "exclude",
        "spike_threshold": 3.0,
        "spike_jump": 10.0,
        "regress": (),
        "group_by": None,
    }


def test_every_entry_point_yields_the_same_default_options(tmp_path: Path) -> None:
    expected = StudyOptions(**EVENT)
    spec = StudySpec.create(tickers="nvda brk.b", date="2025-01-27")
    assert {name: getattr(spec, name) for name in SPEC_FIELDS} == expected.model_dump(
        include=set(SPEC_FIELDS)
    )
    assert spec.tickers == expected.tickers
    assert {e.timing for e in spec.firm_events} == {expected.timing}
    assert StudySpec.from_options(expected) == spec
    # The CLI: the defaults its --help shows, for both commands, read back as options.
    for command in (study, export):
        defaults = {
            name: p.default
            for name, p in inspect.signature(command).parameters.items()
            if name in FLAGS
        }
        assert defaults == cli_defaults()
    from_cli = options_from_cli(
        {**cli_defaults(), "tickers": "nvda,brk.b", "event_date": "2025-01-27"}
    )
    assert from_cli == expected
    # The TOML config: a minimal [[studies]] table.
    saved = load_config(_config(tmp_path, STUDY)).study("chips")
    assert saved.options == expected
    assert saved.spec == spec
    # The dashboard: a bare URL, and the controls showing the defaults.
    state, problems = from_query("")
    assert problems == []
    assert state.options(["nvda", "brk.b"]) == expected
    assert from_controls(**CONTROLS).options(["NVDA", "BRK-B"]) == expected


def test_cli_help_shows_the_model_defaults_for_study_and_export() -> None:
    runner = CliRunner()
    for command in ("study", "export"):
        text = re.sub(r"[\s│]+", " ", runner.invoke(cli, [command, "--help"]).output)
        assert "--placebo INTEGER Placebo pseudo-events" in text
        assert f"[default: {DEFAULTS.placebo}]" in text
        assert "--factors" in text
        assert "[default: 0:0, -1:1, -5:5]" in text


def _cli_error(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys) -> str:
    argv = ["aftershock", "study", "--event-date", "2025-01-27", "--tickers", "NVDA", *args]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        main()
    assert stop.value.code == 2
    return capsys.readouterr().err.strip()


@pytest.mark.parametrize(
    ("option", "cli", "toml", "url", "control", "message"),
    [
        ("model", ["--model", "fama"], 'model = "fama"', "model=fama", {"model": "fama"},
         "model: 'fama' is not one of market, market_adjusted, constant_mean, capm, ff3, ff5, "
         "carhart, etf_factors"),
        ("windows", ["--window", "5:1"], 'windows = ["5:1"]', "windows=5:1",
         {"windows": ["5:1"]},
         "windows: 5:1 is reversed; the start must not be after the end (1:5)"),
        ("timing", ["--timing", "noon"], 'timing = "noon"', "timing=noon", {"timing": "noon"},
         "timing: 'noon' is not one of before_open, during_session, after_close"),
        ("benchmark", ["--benchmark", "ıntc"], 'benchmark = "ıntc"', "benchmark=%C4%B1ntc",
         {"benchmark": "ıntc"},
         "benchmark: 'ıntc' is not a valid ticker symbol; use letters, digits, '-', '='"),
    ],
)  # fmt: skip
def test_a_bad_value_reads_the_same_from_every_entry_point(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,
    option: str,
    cli: list[str],
    toml: str,
    url: str,
    control: dict[str, object],
    message: str,
) -> None:
    lines: list[str] = [_cli_error(cli, monkeypatch, capsys)]
    with pytest.raises(SpecError) as from_config:
        load_config(_config(tmp_path, STUDY + toml + "\n"))
    lines.append(str(from_config.value))
    state, problems = from_query("?" + url)
    assert state == DEFAULT_STATE
    lines += problems
    with pytest.raises(SpecError) as from_view:
        from_controls(**{**CONTROLS, **control})
    lines.append(str(from_view.value))
    assert from_view.value.parameter == option
    prefixes = [
        "error: ",
        f"{tmp_path / 'aftershock.toml'}: studies[0] (chips).",
        f"link parameter {url.split('=')[0]}=",
        "",
    ]
    assert len(lines) == len(prefixes)
    for line, prefix in zip(lines, prefixes, strict=True):
        assert "\n" not in line
        assert line.startswith(prefix), line
        assert message in line, line
