"""The project config file: the example, defaults, and one clear error per kind of mistake."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from pathlib import Path

import pytest

from analytics.errors import SpecError
from app.config import ProjectConfig, find_config, load_config
from tests.support import REPO

EXAMPLE = REPO / "examples" / "aftershock.toml"
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")

STUDY = """
[[studies]]
name = "chips"
tickers = ["NVDA", "AMD"]
event_date = 2025-01-27
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aftershock.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert "\n" not in message
    return message


def test_example_is_the_deepseek_demo() -> None:
    config = load_config(EXAMPLE)
    assert [s.name for s in config.studies] == ["deepseek-chips", "deepseek-power"]
    chips = config.study("deepseek-chips")
    assert chips.watchlist == "ai_chips"
    assert chips.spec.tickers == config.watchlists["ai_chips"]
    assert chips.spec.window_keys == ("0:0", "-1:1", "-5:5")
    assert chips.spec.estimation == (-250, -11)
    assert chips.spec.events["day0"].iloc[0] == dt.datetime(2025, 1, 27)
    (schedule,) = config.schedules
    assert (schedule.cron, schedule.timezone, schedule.sessions_only) == (
        "30 16 * * 1-5",
        NEW_YORK,
        True,
    )
    assert schedule.studies == ()
    assert config.export.directory(Path("/store")) == Path("/store/exports")


def test_defaults_follow_the_study_command(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, STUDY))
    spec = config.study("chips").spec
    assert spec.tickers == ("NVDA", "AMD")
    assert (spec.benchmark, spec.model, spec.returns) == ("SPY", "market", "simple")
    assert (spec.min_estimation, spec.placebo, spec.seed) == (120, 200, 0)
    assert spec.window_keys == ("0:0", "-1:1", "-5:5")
    assert config.schedules == () and config.watchlists == {}
    assert config.export.format == "png" and config.export.scale == 2.0


def test_every_study_key_is_applied(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
[[studies]]
name = "custom_1"
tickers = ["nvda", "AVGO"]
event_date = "2025-01-24"
timing = "after_close"
benchmark = "QQQ"
model = "market_adjusted"
estimation = [-200, -20]
windows = ["0:0", [-2, 2]]
returns = "log"
min_estimation = 100
placebo = 0
""",
        ),
    )
    spec = config.study("custom_1").spec
    assert spec.tickers == ("NVDA", "AVGO")
    assert spec.events["day0"].iloc[0] == dt.datetime(2025, 1, 27)
    assert (spec.benchmark, spec.model, spec.returns) == ("QQQ", "market_adjusted", "log")
    assert spec.estimation == (-200, -20) and spec.windows == ((0, 0), (-2, 2))
    assert (spec.min_estimation, spec.placebo) == (100, 0)


def test_export_dir_is_relative_to_the_file(tmp_path: Path) -> None:
    text = STUDY + '[export]\ndir = "charts"\nformat = "svg"\nwidth = 800\nheight = 600\n'
    config = load_config(write(tmp_path, text))
    assert config.export.dir == tmp_path / "charts"
    assert config.export.directory(Path("/elsewhere")) == tmp_path / "charts"
    assert (config.export.format, config.export.width, config.export.height) == ("svg", 800, 600)


def test_select_keeps_order_and_suggests(tmp_path: Path) -> None:
    text = STUDY + STUDY.replace('"chips"', '"power"')
    config = load_config(write(tmp_path, text))
    assert [s.name for s in config.select(["power", "chips", "power"])] == ["power", "chips"]
    assert config.select(None) == config.select([]) == config.studies
    with pytest.raises(SpecError, match=r"'chip' is not a study .*did you mean 'chips'"):
        config.select(["chip"])


def test_find_config_defaults_to_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert find_config(None) == tmp_path / "aftershock.toml"
    assert find_config(Path("x.toml")) == Path("x.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (STUDY.replace("event_date", "windos = []\nevent_date"),
         r"studies\[0\] \(chips\)\.windos: unknown key \(did you mean 'windows'\?\); allowed keys"),
        ("[[studys]]\nname = 'x'\n",
         r"studys: unknown key \(did you mean 'studies'\?\)"),
        ('[export]\nfromat = "png"\n',
         r"export\.fromat: unknown key \(did you mean 'format'\?\)"),
        (STUDY + "placebo = \"10\"\n",
         r"studies\[0\] \(chips\)\.placebo: \"10\" is a string; write it like 200"),
        (STUDY + "min_estimation = true\n",
         r"\.min_estimation: true is a boolean; write it like 120"),
        (STUDY.replace('["NVDA", "AMD"]', '3'),
         r"\.tickers: 3 is not a list of tickers; write e\.g\. NVDA,AMD"),
        (STUDY.replace('["NVDA", "AMD"]', '["NVDA", 3]'),
         r"\.tickers: 3 is not a ticker symbol"),
        (STUDY + "seed = 1.5\n", r"\(chips\)\.seed: 1\.5 is a float; write it like 0"),
        (STUDY + 'spike_screen = "drop"\n',
         r"\(chips\)\.spike_screen: 'drop' is not one of exclude, flag, off"),
        (STUDY.replace("2025-01-27", "2025-01-27T10:00:00"),
         r"\.event_date: 2025-01-27 10:00:00 has a time; give the date only"),
        (STUDY + 'windows = ["0-0"]\n',
         r"studies\[0\] \(chips\)\.windows: '0-0' is not a window; write it as a:b"),
        (STUDY + 'model = "fama"\n', r"model: 'fama' is not one of market, "),
        (STUDY.replace('"chips"', '"Deep Seek"'),
         r"studies\[0\]\.name: \"Deep Seek\" is not a valid name; use lower-case letters"),
        (STUDY.replace('name = "chips"\n', ""), r"studies\[0\]: has no name; add name ="),
        (STUDY.replace("event_date = 2025-01-27\n", ""),
         r"\(chips\): has no event_date; add event_date = 2025-01-27"),
        (STUDY + STUDY, r"studies\.name: \"chips\" used twice; give each study a unique name"),
        (STUDY + 'watchlist = "ai"\n[watchlists]\nai = ["NVDA"]\n',
         r"\(chips\): give either tickers = .* or watchlist = .*exactly one"),
        ('[watchlists]\nai_chips = ["NVDA"]\n'
         + STUDY.replace('tickers = ["NVDA", "AMD"]', 'watchlist = "ai_chip"'),
         r"\.watchlist: \"ai_chip\" is not defined \(did you mean 'ai_chips'\?\); add it under"),
        ('[watchlists]\nai = ["NVDA", "nvda"]\n', r"watchlists\.ai: NVDA listed more than once"),
        ('[watchlists]\nai = ["NV DA"]\n', r"watchlists\.ai: 'NV DA' is not a valid ticker symbol"),
        ('[watchlists]\nai = []\n', r"watchlists\.ai: \[\] lists no ticker"),
        ('[export]\nformat = "gif"\n', r"export\.format: \"gif\" is not supported; use \"png\""),
        ("[export]\nscale = 0\n", r"export\.scale: 0 is out of range; use 0.25 to 8"),
        ("[export]\nwidth = 50\n", r"export\.width: 50 is out of range; use 200 to 8000"),
        ("studies = 3\n", r"studies: 3 is a integer; write it like \[\[studies\]\] tables"),
        ("[[studies]\n", r"not valid TOML \(.*line 1.*\); fix the syntax there"),
    ],
)  # fmt: skip
def test_errors_name_file_key_value_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    assert re.search(expected, error_of(tmp_path, text))


SCHEDULE = STUDY + '[[schedules]]\nname = "daily"\n'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('cron = "30 16 * *"\n',
         r"schedules\[0\] \(daily\)\.cron: '30 16 \* \*' has 4 fields; give minute hour day "
         r"month weekday"),
        ('cron = "61 16 * * *"\n',
         r"\.cron: \"61 16 \* \* \*\" is not a valid crontab expression \(.*61.*\); give"),
        ('cron = "30 16 * * 1-8"\n', r"\.cron: '30 16 \* \* 1-8': day of week '8' is not 0-7"),
        ('cron = "30 16 * * 5-1"\n', r"\.cron: .*range '5-1' is reversed; write it low-high"),
        ('cron = "30 16 1 * 1"\n', r"restricts both the day of month and the day of week"),
        ('cron = "30 16 * * */0"\n', r"step '0' must be a positive whole number"),
        ('cron = "30 16 * * *"\ntimezone = "Mars/Olympus"\n',
         r"\.timezone: \"Mars/Olympus\" is not an IANA time zone; use e\.g\."),
        ('cron = "30 16 * * *"\nstudies = ["chip"]\n',
         r"\.studies: \"chip\" is not a study \(did you mean 'chips'\?\); use one of chips"),
        ('cron = "30 16 * * *"\nstudies = []\n', r"\[\] selects nothing; remove the key"),
        ('cron = "30 16 * * *"\nsessions_only = "yes"\n',
         r"\.sessions_only: \"yes\" is a string; write it like true"),
        ('cron = "30 16 * * *"\nevery = 1\n', r"\(daily\)\.every: unknown key"),
        ("", r"schedules\[0\]: has no cron; add cron = \"30 16 \* \* 1-5\""),
        ('cron = "30 16 * * *"\n[[schedules]]\nname = "daily"\ncron = "0 9 * * *"\n',
         r"schedules\.name: \"daily\" used twice"),
    ],
)  # fmt: skip
def test_schedule_errors(tmp_path: Path, text: str, expected: str) -> None:
    assert re.search(expected, error_of(tmp_path, SCHEDULE + text))


def test_missing_file_says_how_to_point_at_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"config file not found; pass --config FILE or set "):
        load_config(tmp_path / "nope.toml")


def _fires(config: ProjectConfig, start: dt.datetime, n: int) -> list[dt.datetime]:
    trigger = config.schedules[0].trigger()
    times, now = [], start
    for _ in range(n):
        fire = trigger.get_next_fire_time(None, now)
        assert fire is not None
        times.append(fire)
        now = fire + dt.timedelta(seconds=1)
    return times


@pytest.mark.parametrize(
    ("weekday", "days"),
    [
        ("1-5", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("mon-fri", ["Mon", "Tue", "Wed", "Thu", "Fri"]),
        ("0", ["Sun"]),
        ("7", ["Sun"]),
        ("5-7", ["Sun", "Fri", "Sat"]),
        ("*/2", ["Sun", "Tue", "Thu", "Sat"]),
        ("1-5/2", ["Mon", "Wed", "Fri"]),
        ("sat,1", ["Mon", "Sat"]),
        ("*", ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]),
    ],
)
def test_day_of_week_follows_crontab_not_apscheduler(
    tmp_path: Path, weekday: str, days: list[str]
) -> None:
    # APScheduler alone reads "1-5" as Tuesday..Saturday; crontab(5) means Monday..Friday.
    config = load_config(write(tmp_path, SCHEDULE + f'cron = "30 16 * * {weekday}"\n'))
    sunday = dt.datetime(2025, 1, 5, tzinfo=NEW_YORK)
    week = _fires(config, sunday, len(days))
    assert [f.strftime("%a") for f in week] == days
    assert all(f < sunday + dt.timedelta(days=7) for f in week)
    assert {(f.hour, f.minute, f.tzinfo) for f in week} == {(16, 30, NEW_YORK)}
