"""News watch: the config's ``[[feeds]]``, read by ``refresh`` from a feed server on 127.0.0.1
into the news folder; an item naming a watchlist ticker becomes a saved study of the config
(the file's other text kept byte for byte); failing feeds are one line each and stop nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from analytics.errors import ConfigError
from app.cli.main import cli
from app.config import Feed, load_config
from app.dashboard.features.saved_studies.status import refresh_now
from app.jobs.archive import load_run
from app.jobs.newswatch import watch_news, watch_study_name
from app.jobs.refresh import refresh
from app.settings import Settings
from tests.support import (
    CHIPS_CONFIG,
    DEEPSEEK_PACK,
    REFERENCE,
    cli_env,
    component_text,
    serving,
)

NVDA_ITEM = """<item><title>Nvidia sinks as DeepSeek rattles AI trade</title>
<link>https://wire.example/nvidia</link><guid>wire-nvda-1</guid>
<pubDate>Mon, 27 Jan 2025 21:00:00 GMT</pubDate>
<description>Nvidia shares plunged 17% on Monday, January 27, 2025, after the Chinese start-up
DeepSeek released a cheap AI model.</description></item>"""
RSS = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{NVDA_ITEM}</channel>'
RSS += "</rss>"
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Desk</title><id>urn:desk</id>
<updated>2024-08-02T20:00:00Z</updated>
<entry><title>Intel shares crash after weak forecast</title><id>urn:desk:intc</id>
<link href="https://desk.example/intel"/><updated>2024-08-02T20:00:00Z</updated>
<summary>Intel's shares plunged 26% on Friday, August 2, 2024, after the chipmaker
suspended its dividend.</summary></entry></feed>"""

MORE = """<?xml version="1.0"?><rss version="2.0"><channel><title>Power</title>
<item><title>Power stocks follow Nvidia down</title><guid>power-1</guid>
<pubDate>Mon, 27 Jan 2025 22:00:00 GMT</pubDate>
<description>Constellation Energy shares fell 21% on Monday, January 27, 2025, with Nvidia, as
DeepSeek's cheap AI model raised doubts about data-centre power demand.</description></item>
</channel></rss>"""

CONFIG = "# my project: comments and layout are kept\n" + CHIPS_CONFIG.replace("{", "{{")
CONFIG += """
[[feeds]]
name = "wire"
url = "{base}/rss"

[[feeds]]
name = "desk"
url = "{base}/atom"
"""


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    pages = {"/rss": RSS, "/atom": ATOM, "/more": MORE, "/html": "<html><body>not a feed</body>"}
    with serving({path: page.encode() for path, page in pages.items()}) as url:
        yield url


def _config(tmp_path: Path, base: str, text: str = CONFIG) -> Path:
    path = tmp_path / "aftershock.toml"
    path.write_text(text.format(base=base), encoding="utf-8")
    return path


def _index(news: Path) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = json.loads((news / "index.json").read_text())["articles"]
    return entries


# -- config ------------------------------------------------------------------------------------


def test_feeds_are_read_from_the_config(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "https://news.example"))
    assert config.feeds == (
        Feed(name="wire", url="https://news.example/rss"),
        Feed(name="desk", url="https://news.example/atom"),
    )


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ('name = "w"\nurl = "file:///etc/passwd"', 'feeds[0] (w).url: "file:///etc/passwd" is not'),
        ('name = "w"\nurl = "ftp://x/rss"', "is not an http(s):// address"),
        ('name = "w"', "feeds[0]: has no url; add url ="),
        ('url = "https://x/rss"', "feeds[0]: has no name; add name ="),
        ('name = "w"\nurl = "https://x/rss"\nlink = "y"', "link"),
        ('name = "w"\nurl = 7', "feeds[0] (w).url"),
    ],
)
def test_a_bad_feed_table_is_a_one_line_config_error(
    tmp_path: Path, table: str, problem: str
) -> None:
    path = tmp_path / "aftershock.toml"
    path.write_text(f"[[feeds]]\n{table}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert problem in str(raised.value) and "\n" not in str(raised.value)


def test_two_feeds_of_one_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "aftershock.toml"
    feed = '[[feeds]]\nname = "wire"\nurl = "https://x/rss"\n'
    path.write_text(feed + feed, encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r'feeds\.name: "wire" used twice; give each feed a unique name'
    ):
        load_config(path)


# -- the watch ---------------------------------------------------------------------------------


def test_new_items_are_stored_once_and_a_watched_ticker_gets_a_study(
    tmp_path: Path, base: str
) -> None:
    path = _config(tmp_path, base)
    before = path.read_bytes()
    news = tmp_path / "news"
    config = load_config(path)
    watch = watch_news(config, news_dir=news, reference=REFERENCE, offline=False)
    assert watch.lines[:2] == ("feed wire: 1 new item", "feed desk: 1 new item")
    assert watch.problems == ()
    entries = _index(news)
    assert [(e["feed"], e["id"], e["published"]) for e in entries] == [
        ("wire", "wire-nvda-1", "2025-01-27"),
        ("desk", "urn:desk:intc", "2024-08-02"),
    ]
    for entry in entries:
        assert (news / str(entry["file"])).read_text().startswith(str(entry["title"]))
    # NVDA is on the watchlist; Intel is not: one study, named for the ticker and day 0.
    name = watch_study_name("NVDA", "2025-01-27")
    assert name == "news-nvda-2025-01-27" and watch.added == (name,)
    assert f"news watch: added study {name} (Nvidia sinks" in watch.lines[2]
    after = path.read_bytes()
    assert after.startswith(before.rstrip())  # the file's own text is kept byte for byte
    study = load_config(path).study(name)
    assert watch.config.study(name) == study
    assert study.spec.events["day0"].tolist() == [pd.Timestamp("2025-01-27")] * len(
        study.spec.tickers
    )
    assert study.spec.tickers[0] == "NVDA"
    # A second read of the same feeds adds nothing and changes nothing.
    again = watch_news(watch.config, news_dir=news, reference=REFERENCE, offline=False)
    assert again.lines == ("feed wire: 0 new items", "feed desk: 0 new items")
    assert again.added == () and path.read_bytes() == after and _index(news) == entries


def test_a_later_item_on_the_same_firm_and_day_adds_its_firms_to_that_study(
    tmp_path: Path, base: str
) -> None:
    path = _config(tmp_path, base)
    news = tmp_path / "news"
    first = watch_news(load_config(path), news_dir=news, reference=REFERENCE, offline=False)
    name = watch_study_name("NVDA", "2025-01-27")
    tickers = load_config(path).study(name).spec.tickers
    assert "CEG" not in tickers
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f'\n[[feeds]]\nname = "power"\nurl = "{base}/more"\n')
    before = path.read_text().splitlines()
    watch = watch_news(load_config(path), news_dir=news, reference=REFERENCE, offline=False)
    assert watch.problems == () and watch.added == () and watch.updated == (name,)
    assert watch.lines[2] == "feed power: 1 new item"
    assert watch.lines[3].startswith(f"news watch: updated study {name} (+CEG")
    study = load_config(path).study(name)
    assert study.spec.tickers[: len(tickers)] == tickers and "CEG" in study.spec.tickers
    # The item also makes its own study of CEG only if CEG is watched: it is not.
    assert [s.name for s in load_config(path).studies] == ["chips", name]
    # Only the study's tickers line changed.
    after = path.read_text().splitlines()
    changed = [(b, a) for b, a in zip(before, after, strict=True) if a != b]
    assert len(changed) == 1 and changed[0][1].startswith("tickers = [")
    assert first.config.study(name).spec.tickers == tickers
    again = watch_news(watch.config, news_dir=news, reference=REFERENCE, offline=False)
    assert again.updated == () and path.read_text().splitlines() == after


def test_a_failing_feed_is_one_line_and_the_others_are_read(tmp_path: Path, base: str) -> None:
    text = CONFIG.replace('url = "{base}/atom"', 'url = "{base}/missing"').replace(
        '[[feeds]]\nname = "wire"',
        '[[feeds]]\nname = "page"\nurl = "{base}/html"\n\n[[feeds]]\nname = "wire"',
    )
    config = load_config(_config(tmp_path, base, text))
    news = tmp_path / "news"
    watch = watch_news(config, news_dir=news, reference=REFERENCE, offline=False)
    assert [f.name for f in config.feeds] == ["page", "wire", "desk"]
    page, wire, desk = watch.lines[:3]
    assert page.startswith("feed page: not an RSS or Atom feed")
    assert wire == "feed wire: 1 new item"
    assert desk.startswith(f"feed desk: cannot download {base}/missing (")
    assert watch.problems == (page, desk)
    assert [e["feed"] for e in _index(news)] == ["wire"]


def test_without_reference_tables_items_are_stored_and_the_watch_says_why(
    tmp_path: Path, base: str
) -> None:
    config = load_config(_config(tmp_path, base))
    watch = watch_news(config, news_dir=tmp_path / "news", reference=None, offline=False)
    assert (
        watch.lines[2:]
        == watch.problems
        == (
            "news watch: no reference tables (set AFTERSHOCK_REFERENCE): new items stored, "
            "no study proposed",
        )
    )
    assert len(_index(tmp_path / "news")) == 2 and watch.added == ()


def test_offline_no_feed_is_read(tmp_path: Path, base: str) -> None:
    config = load_config(_config(tmp_path, base))
    news = tmp_path / "news"
    watch = watch_news(config, news_dir=news, reference=REFERENCE, offline=True)
    assert watch.lines == ("feeds: 2 not read (offline)",) and watch.config is config
    assert not news.exists()


def test_an_unreachable_feed_server_is_one_clear_line(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, "http://127.0.0.1:9"))  # the discard port: refused
    watch = watch_news(config, news_dir=tmp_path / "news", reference=REFERENCE, offline=False)
    assert len(watch.problems) == 2 and watch.added == ()
    assert watch.problems[0].startswith("feed wire: cannot download http://127.0.0.1:9/rss (")


@pytest.mark.slow
def test_refresh_reads_the_feeds_then_runs_the_new_study(
    store: Path, tmp_path: Path, base: str
) -> None:
    path = _config(tmp_path, base)
    news = tmp_path / "news"
    # Online (for the feeds); Yahoo is unreachable here or not, the pack serves the prices.
    settings = Settings(
        store=store, data_pack=DEEPSEEK_PACK, news=news, reference=REFERENCE, offline=False
    )
    seen = []
    report = refresh(load_config(path), settings, export=False, on_news=seen.append)
    name = "news-nvda-2025-01-27"
    assert report.news[:2] == ("feed wire: 1 new item", "feed desk: 1 new item")
    assert [w.added for w in seen] == [(name,)]
    statuses = {run.study: run.status for run in report.runs}
    # Peers outside the DeepSeek pack have no prices while Yahoo is unreachable: "partial".
    assert statuses["chips"] == "ok" and statuses[name] in ("ok", "partial")
    nvda = next(run for run in report.runs if run.study == name)
    firms = load_run(store, name, nvda.run_id).frames["firms"].set_index("ticker")["status"]
    assert firms["NVDA"] == "ok" and nvda.n_ok >= 1


def test_refresh_now_in_the_dashboard_lists_the_feeds_and_the_new_study(
    store: Path, tmp_path: Path, base: str
) -> None:
    path = _config(tmp_path, base)
    settings = Settings(
        store=store,
        data_pack=DEEPSEEK_PACK,
        news=tmp_path / "news",
        reference=REFERENCE,
        offline=False,
    )
    text = component_text(refresh_now(load_config(path), settings, lambda line: None, export=False))
    assert "feed wire: 1 new item" in text and "feed desk: 1 new item" in text
    assert "news watch: added study news-nvda-2025-01-27 (Nvidia sinks" in text
    assert "news-nvda-2025-01-27: " in text  # and its run


def test_the_cli_prints_a_line_per_feed_and_study(
    store: Path, tmp_path: Path, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config(tmp_path, base.replace("127.0.0.1", "localhost") + "/offline-check")
    for key, value in cli_env(store).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AFTERSHOCK_NEWS", str(tmp_path / "news"))
    outcome = CliRunner().invoke(
        cli, ["refresh", "--config", str(path), "--no-export"], catch_exceptions=False
    )
    assert outcome.exit_code == 0, outcome.output
    assert outcome.output.splitlines()[0] == "feeds: 2 not read (offline)"
    monkeypatch.setenv("AFTERSHOCK_OFFLINE", "0")
    monkeypatch.setenv("AFTERSHOCK_REFERENCE", str(REFERENCE))
    path = _config(tmp_path, base)
    outcome = CliRunner().invoke(
        cli, ["refresh", "--config", str(path), "--no-export", "--study", "chips"]
    )
    lines = outcome.output.splitlines()
    assert lines[:3] == [
        "feed wire: 1 new item",
        "feed desk: 1 new item",
        "news watch: added study news-nvda-2025-01-27 (Nvidia sinks as DeepSeek rattles AI trade)",
    ]
