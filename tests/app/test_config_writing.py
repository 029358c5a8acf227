"""Writing the config file: entries appended and tickers replaced leave every other byte alone,
and nothing that does not validate reaches the file. Expected bytes are written out by hand."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from analytics.errors import ConfigError
from analytics.study.spec import StudySpec
from app.config import load_config
from app.config.writing import append_entry, set_study_tickers, study_entry

USER = (
    "# my project\r\n"
    "[watchlists]\r\n"
    'chips = ["NVDA", "AMD"]   # the ones I watch\r\n'
    "\r\n"
    "[[studies]]\r\n"
    'name = "chips"\r\n'
    'watchlist = "chips"\r\n'
    "event_date = 2025-01-27\r\n"
    "placebo = 0"  # no final line end
)
ENTRY = '[[studies]]\nname = "news"\ntickers = ["NVDA"]\nevent_date = 2025-01-27\n'


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "aftershock.toml"
    path.write_bytes(data)
    return path


def test_an_appended_entry_keeps_every_byte_before_it(tmp_path: Path) -> None:
    original = codecs.BOM_UTF8 + USER.encode()
    path = write(tmp_path, original)
    config = append_entry(path, ENTRY)
    # The file's own line end (CRLF) is used for the entry; the BOM and the missing end are kept.
    assert path.read_bytes() == original + b"\r\n\r\n" + ENTRY.replace("\n", "\r\n").encode()
    assert [s.name for s in config.studies] == ["chips", "news"]
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_an_entry_that_does_not_validate_changes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, USER.encode())
    with pytest.raises(ConfigError) as info:
        append_entry(path, ENTRY.replace('"news"', '"chips"'))
    assert str(info.value).startswith(f'{path}: studies.name: "chips" used twice')
    assert path.read_bytes() == USER.encode()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_tickers_are_replaced_on_their_line_only(tmp_path: Path) -> None:
    path = write(tmp_path, USER.encode())
    spec = StudySpec.create(tickers="NVDA,AVGO", date="2025-01-27", placebo=0)
    append_entry(path, study_entry(spec, "news", comment="news watch: NVDA in a story"))
    before = path.read_bytes()
    config = set_study_tickers(path, "news", ["NVDA", "AVGO", "MU"])
    assert config.study("news").spec.tickers == ("NVDA", "AVGO", "MU")
    old = b'tickers = ["NVDA", "AVGO"]\r\n'
    assert before.count(old) == 1
    assert path.read_bytes() == before.replace(old, b'tickers = ["NVDA", "AVGO", "MU"]\r\n')
    assert b"\r\n# news watch: NVDA in a story\r\n[[studies]]\r\n" in before


def test_a_study_without_a_one_line_tickers_array_is_left_alone(tmp_path: Path) -> None:
    path = write(tmp_path, USER.encode())
    with pytest.raises(ConfigError, match=r"study 'chips' has no one-line tickers = \[\.\.\.\]"):
        set_study_tickers(path, "chips", ["NVDA"])
    with pytest.raises(ConfigError, match=r"study 'other' is not a \[\[studies\]\] table"):
        set_study_tickers(path, "other", ["NVDA"])
    assert path.read_bytes() == USER.encode()
    assert load_config(path).study("chips").watchlist == "chips"
