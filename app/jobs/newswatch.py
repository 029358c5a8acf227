"""News watch: ``refresh`` reads the config's feeds into the news folder, and each new item that
names a watchlist ticker becomes a saved study of the config.

A feed's new items are stored by :func:`analytics.news.feeds.store_items` (once each, index entry
last). Each new item is read as an article and proposes its study
(:func:`analytics.article_study.propose_study`: day 0 and timing from the text, the named firms,
their peers and index funds). When a company it names is on a watchlist, the proposal is appended
to the config as study ``news-<ticker>-<day 0>`` (:func:`app.config.writing.append_entry`: the
file's other text is kept byte for byte). The same news about the same firm and day is one study:
when a study of that name is already in the file, a later item adds the firms it proposes that
the study lacks (:func:`app.config.writing.set_study_tickers`, that one line rewritten), and an
item that adds none leaves it as it is. A feed that fails (network, not a feed) is one line of
the report; the other feeds and the studies go on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from analytics.article_study import propose_study
from analytics.errors import AftershockError
from analytics.news import load_articles
from analytics.news.feeds import fetch_feed, store_items
from analytics.study.spec import StudySpec
from app.config import ProjectConfig
from app.config.writing import append_entry, set_study_tickers, study_entry

__all__ = ["NewsWatch", "watch_news", "watch_study_name"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class NewsWatch:
    """What :func:`watch_news` did.

    Attributes
    ----------
    config
        The config, re-read when studies were added.
    lines
        One line per feed and per study added, for the report.
    problems
        The feeds (and items) that failed, one line each.
    added
        Names of the studies added to the config.
    updated
        Names of the studies whose tickers a new item extended.
    """

    config: ProjectConfig
    lines: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()


def watch_study_name(ticker: str, day0: object) -> str:
    """The saved study of news about ``ticker`` on ``day0``, e.g. ``news-brk-b-2025-01-27``."""
    slug = re.sub(r"[^a-z0-9]+", "-", ticker.lower()).strip("-") or "ticker"
    return f"news-{slug}-{str(day0)[:10]}"


def watch_news(
    config: ProjectConfig,
    *,
    news_dir: Path | None,
    reference: Path | None,
    offline: bool,
    available: Collection[str] | None = None,
    download: Callable[[str, str], bytes] | None = None,
) -> NewsWatch:
    """Read every feed of ``config`` into ``news_dir``; add a study for each new item naming a
    watchlist ticker (``available``: the tickers the data can price, for the peers)."""
    if not config.feeds:
        return NewsWatch(config=config)
    if news_dir is None:
        line = "feeds: not read, no news folder (set AFTERSHOCK_NEWS)"
        return NewsWatch(config=config, lines=(line,), problems=(line,))
    if offline:
        line = f"feeds: {len(config.feeds)} not read (offline)"
        return NewsWatch(config=config, lines=(line,))
    lines: list[str] = []
    problems: list[str] = []
    stored: list[str] = []
    for feed in config.feeds:
        try:
            added = store_items(news_dir, fetch_feed(feed.url, name=feed.name, download=download))
        except AftershockError as exc:
            problems.append(str(exc))  # "feed <name>: ..."
            lines.append(problems[-1])
            continue
        stored += added
        lines.append(f"feed {feed.name}: {len(added)} new item{'' if len(added) == 1 else 's'}")
    if stored and reference is None:
        problems.append(
            "news watch: no reference tables (set AFTERSHOCK_REFERENCE): new items stored, "
            "no study proposed"
        )
        lines.append(problems[-1])
    if not stored or reference is None:
        return NewsWatch(config=config, lines=tuple(lines), problems=tuple(problems))
    watched = {t for tickers in config.watchlists.values() for t in tickers}
    added_studies: list[str] = []
    updated: list[str] = []
    new = set(stored)
    try:
        articles = [a for a in load_articles(news_dir) if a.source in new]
    except AftershockError as exc:
        problems.append(f"news watch: cannot read {news_dir}: {exc}")
        return NewsWatch(config=config, lines=(*lines, problems[-1]), problems=tuple(problems))
    for article in articles:
        try:
            proposal = propose_study(article, reference, comparison=False, available=available)
        except AftershockError as exc:  # no date, no company: stored, but no study
            logger.info("news watch: %s proposes no study: %s", article.source, exc)
            continue
        named = [p.ticker for p in proposal.universe if p.role == "named"]
        for ticker in (t for t in named if t in watched):
            name = watch_study_name(ticker, pd.Timestamp(proposal.timing.day0).date())
            existing = next((s for s in config.studies if s.name == name), None)
            try:
                spec = StudySpec.from_options(proposal.options())
                if existing is None:
                    config = append_entry(config.path, study_entry(spec, name))
                    added_studies.append(name)
                    lines.append(f"news watch: added study {name} ({article.headline[:80]})")
                    continue
                old = existing.spec.tickers
                more = [t for t in spec.tickers if t not in old and t != existing.spec.benchmark]
                if not more:
                    continue
                config = set_study_tickers(config.path, name, [*old, *more])
            except (AftershockError, OSError) as exc:
                problems.append(f"news watch {name}: {exc}")
                lines.append(problems[-1])
                continue
            if name not in added_studies and name not in updated:
                updated.append(name)
            lines.append(f"news watch: updated study {name} (+{', '.join(more)})")
    return NewsWatch(
        config=config,
        lines=tuple(lines),
        problems=tuple(problems),
        added=tuple(added_studies),
        updated=tuple(updated),
    )
