"""The article drives the study: day 0, universe and benchmark proposed from the text, and the
article's claims checked against the data.

:func:`propose_study` reads an article (no prices needed); :func:`analyze_article` runs the
proposed study through a :class:`~analytics.workspace.Workspace` and checks each claim.

>>> from analytics import Workspace
>>> from analytics.news import parse_article
>>> workspace = Workspace.open("store", data_pack="pack", reference="ref")  # doctest: +SKIP
>>> article = parse_article(open("tariff-shock-2025-04.txt").read())  # doctest: +SKIP
>>> analysis = analyze_article(workspace, article)  # doctest: +SKIP
>>> analysis.proposal.timing.day0, [c.verdict for c in analysis.claims]  # doctest: +SKIP
(datetime.date(2025, 4, 3), ['consistent', 'consistent', 'not checkable', ...])
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, TypeAlias

import pandas as pd

from analytics import calendar
from analytics.data.reference import company_aliases, sec_companies, sic_codes, sp500
from analytics.data.store import PriceStore
from analytics.data.sync import fetch
from analytics.errors import SpecError
from analytics.news.articles import Article
from analytics.news.checks import CheckedClaim, check_claims
from analytics.news.claims import Claim, find_claims
from analytics.news.mentions import Mention, find_mentions, find_subjects
from analytics.news.peers import DEFAULT_PEERS, find_peers
from analytics.news.timing import EventTiming, article_timing
from analytics.study.options import StudyOptions
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace

__all__ = [
    "ArticleAnalysis",
    "ArticleProposal",
    "ProposedTicker",
    "analyze_article",
    "check_article_claims",
    "propose_study",
]

Role: TypeAlias = Literal["named", "peer", "market", "comparison"]
DEFAULT_BENCHMARK = "SPY"
COMPARISON_GROUP = "S&P 500"


@dataclass(frozen=True)
class ProposedTicker:
    """A firm of the proposed study, its role and why it is there."""

    ticker: str
    role: Role
    reason: str


@dataclass(frozen=True)
class ArticleProposal:
    """The study an article proposes: its day 0, the companies and indexes it names, the
    universe (each ticker with its reason) and the benchmark."""

    article: Article
    timing: EventTiming
    mentions: tuple[Mention, ...]
    universe: tuple[ProposedTicker, ...]
    benchmark: str
    claims: tuple[Claim, ...]
    notes: tuple[str, ...] = ()

    @property
    def tickers(self) -> list[str]:
        return [p.ticker for p in self.universe]

    def options(
        self, base: StudyOptions | None = None, *, remove: Collection[str] = ()
    ) -> StudyOptions:
        """The study's options: ``base`` (defaults if None) with the article's day 0, timing,
        universe (less ``remove``) and benchmark."""
        removed = {t.upper() for t in remove}
        tickers = [t for t in self.tickers if t not in removed]
        if not tickers:
            raise SpecError("tickers: every proposed ticker was removed; keep at least one")
        values: dict[str, Any] = (
            {} if base is None else base.model_dump(exclude_defaults=True, exclude={"tickers"})
        )
        if base is None or "benchmark" not in base.model_fields_set:
            values["benchmark"] = self.benchmark
        values |= {
            "event_date": self.timing.event_date.isoformat(),
            "timing": self.timing.timing,
            "tickers": tickers,
            "universe_file": None,
        }
        return StudyOptions(**values)

    def spec(self, base: StudyOptions | None = None, *, remove: Collection[str] = ()) -> StudySpec:
        """The proposed :class:`StudySpec` (see :meth:`options`)."""
        return StudySpec.from_options(self.options(base, remove=remove))


@dataclass(frozen=True)
class _Reference:
    """The reference tables the proposal reads, loaded once per folder."""

    aliases: dict[str, str]
    names: dict[str, str]
    sic: pd.DataFrame
    sizes: pd.Series
    industries: pd.Series
    sp500: tuple[str, ...]


def _reference(folder: Path) -> _Reference:
    sec, members = sec_companies(folder), sp500(folder)
    names = dict(zip(sec["ticker"], sec["name"], strict=True))
    names |= dict(zip(members["ticker"], members["name"], strict=True))
    # Size: the S&P 500 cap, else a tiny value falling with the SEC list's order (largest first).
    sizes = pd.Series(range(len(sec), 0, -1), index=sec["ticker"], dtype="float64")
    sizes = sizes[~sizes.index.duplicated()]
    sizes = members.set_index("ticker")["market_cap"].combine_first(sizes)
    return _Reference(
        aliases=company_aliases(folder),
        names=names,
        sic=sic_codes(folder),
        sizes=sizes,
        industries=members.set_index("ticker")["industry"],
        sp500=tuple(members.sort_values("market_cap", ascending=False)["ticker"]),
    )


def _benchmark(mentions: Sequence[Mention]) -> str:
    """SPY, unless the article names only another US index a fund stands in for."""
    proxies = [m.ticker for m in mentions if m.kind == "index" and m.ticker is not None]
    if not proxies or DEFAULT_BENCHMARK in proxies or set(proxies) == {"VTI"}:
        return DEFAULT_BENCHMARK
    return next(p for p in proxies if p != "VTI")


def propose_study(
    article: Article,
    reference: Path | str,
    *,
    peers: int = DEFAULT_PEERS,
    comparison: bool = True,
    available: Collection[str] | None = None,
) -> ArticleProposal:
    """The study an article proposes.

    Day 0 and timing come from the text (:func:`~analytics.news.timing.event_timing`) unless
    the article's index entry gives them. The universe: the companies it names (most mentioned
    first), up to ``peers`` industry peers (:func:`~analytics.news.peers.find_peers`), the
    funds standing in for the indexes it names other than the benchmark, and (``comparison``)
    the S&P 500 members as a comparison group. With ``available`` (the tickers the data can
    price), peers and the comparison group are drawn from it; named companies are kept
    whatever it says, so the study reports those it cannot price.

    Raises
    ------
    SpecError
        The article names no date.
    """
    if isinstance(peers, bool) or not isinstance(peers, int) or peers < 0:
        raise SpecError(f"peers: {peers!r} is not a number of peers; pass e.g. 20 (0 for none)")
    ref = _reference(Path(reference))
    paragraphs, sentences, timing = article_timing(article)
    mentions = tuple(find_mentions([article.headline, *paragraphs], ref.aliases, ref.names))
    benchmark = _benchmark(mentions)
    companies = sorted(
        (m for m in mentions if m.kind == "company" and m.ticker and m.ticker != benchmark),
        key=lambda m: (-m.count, m.first),
    )
    universe = [ProposedTicker(str(m.ticker), "named", "named") for m in companies]
    named = [p.ticker for p in universe]
    sic, industries, members = ref.sic, ref.industries, ref.sp500
    if available is not None:
        held = set(available)
        sic = sic[sic["ticker"].isin(held) | sic["ticker"].isin(named)]
        industries = industries[industries.index.isin(held) | industries.index.isin(named)]
        members = tuple(t for t in members if t in held)
    universe += [
        ProposedTicker(p.ticker, "peer", p.reason)
        for p in find_peers(
            named, sic, ref.sizes, industries=industries, limit=peers, exclude=[benchmark]
        )
    ]
    for m in mentions:
        if m.kind == "index" and m.ticker not in (None, benchmark, *(p.ticker for p in universe)):
            universe.append(ProposedTicker(str(m.ticker), "market", f"market: {m.name}"))
    taken = {p.ticker for p in universe} | {benchmark}
    if comparison:
        universe += [
            ProposedTicker(t, "comparison", f"comparison group: {COMPARISON_GROUP}")
            for t in members
            if t not in taken
        ]
    notes = list(timing.notes)
    if not companies:
        notes.append("the article names no company: the study holds its indexes and the S&P 500")
    claims = find_claims(
        sentences,
        subjects=lambda text: find_subjects(text, ref.aliases, ref.names),
        day0=timing.day0,
    )
    if not universe:
        raise SpecError(
            "article: names no company or index the data holds, and comparison is off; "
            "add tickers to the study"
        )
    return ArticleProposal(
        article, timing, mentions, tuple(universe), benchmark, tuple(claims), tuple(notes)
    )


@dataclass(frozen=True)
class ArticleAnalysis:
    """A proposal, the study run on it, and the article's claims checked against the data."""

    proposal: ArticleProposal
    result: StudyResult
    claims: tuple[CheckedClaim, ...] = field(default=())
    removed: tuple[str, ...] = ()

    @cached_property
    def as_dict(self) -> dict[str, Any]:
        """The JSON form (see the README's "Analysing an article")."""
        p = self.proposal
        return {
            "headline": p.article.headline,
            "source": p.article.source,
            "event_date": p.timing.event_date.isoformat(),
            "timing": p.timing.timing,
            "day0": p.timing.day0.isoformat(),
            "day0_source": p.timing.source,
            "day0_sentence": p.timing.sentence,
            "day0_reason": p.timing.reason,
            "benchmark": p.benchmark,
            "mentions": [
                {"ticker": m.ticker, "name": m.name, "kind": m.kind, "count": m.count}
                for m in p.mentions
            ],
            "universe": [
                {"ticker": t.ticker, "reason": t.reason}
                for t in p.universe
                if t.ticker not in self.removed
            ],
            "removed": list(self.removed),
            "excluded": [
                {"ticker": str(r.ticker), "reason": str(r.reason)}
                for r in self.result.excluded.itertuples()
            ],
            "claims": [_claim_dict(c) for c in self.claims],
            "notes": list(p.notes),
        }

    def to_json(self) -> str:
        return json.dumps(self.as_dict, indent=2, allow_nan=False)


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else value


def _claim_dict(checked: CheckedClaim) -> dict[str, Any]:
    c = checked.claim
    return {
        "text": c.text,
        "subject": c.subject,
        "ticker": c.ticker,
        "kind": c.kind,
        "day": None if c.day is None else c.day.isoformat(),
        "direction": c.direction,
        "magnitude": c.magnitude,
        "unit": c.unit,
        "qualifier": c.qualifier,
        "low": c.low,
        "high": _finite(c.high),
        "measured_return": _finite(checked.measured_return),
        "measured_ar": _finite(checked.measured_ar),
        "measured_value": _finite(checked.measured_value),
        "abnormal_value": _finite(checked.abnormal_value),
        "verdict": checked.verdict,
        "reason": checked.reason,
    }


def _claim_prices(
    workspace: Workspace, claims: Sequence[Claim], group: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Closes of the claims' subjects (and of ``group`` for dollar claims) around the claimed
    days, and market values where the snapshot knows a cap."""
    days = [pd.Timestamp(c.day) for c in claims if c.day is not None and c.ticker is not None]
    if not days:
        return pd.DataFrame(), None
    dollars = any(c.unit == "usd" for c in claims)
    tickers = sorted({c.ticker for c in claims if c.ticker} | (set(group) if dollars else set()))
    caps = workspace.market_caps if dollars else None
    start = calendar.offset(calendar.previous_session(min(days)), -1)
    end = max(days)
    if caps is not None:
        start, end = min(start, caps["date"].min()), max(end, caps["date"].max())
    if workspace.sources and isinstance(workspace.store, PriceStore):
        fetch(workspace.store, tickers, start, end, sources=workspace.sources)
    closes = workspace.store.panel(tickers, start, end)
    if caps is None:
        return closes, None
    table = caps.drop_duplicates("ticker", keep="last").set_index("ticker")
    held = [t for t in closes.columns if t in table.index]
    filled = closes[held].ffill()
    anchor = pd.Timestamp(table["date"].iloc[0])
    at = filled.index.searchsorted(anchor, side="right") - 1
    if at < 0:
        return closes, None
    shares = table.loc[held, "market_cap"] / filled.iloc[at]
    return closes, closes[held] * shares


def check_article_claims(
    workspace: Workspace, claims: Sequence[Claim], result: StudyResult
) -> list[CheckedClaim]:
    """The claims checked against the workspace's prices, with the abnormal returns of
    ``result`` (dollar claims about "US stocks" or an index are summed over its firms)."""
    group = list(dict.fromkeys(result.firms["ticker"].astype(str)))
    closes, values = _claim_prices(workspace, claims, group)
    days = result.days
    abnormal = None
    if not days.empty:
        first = days.drop_duplicates(["ticker", "date"])
        abnormal = first.pivot(index="date", columns="ticker", values="ar")
    return check_claims(
        claims,
        closes,
        abnormal=abnormal,
        values=values,
        market_group=group,
        group_name=f"the study's {len(group)} firms",
    )


def analyze_article(
    workspace: Workspace,
    article: Article,
    *,
    options: StudyOptions | None = None,
    remove: Collection[str] = (),
    peers: int = DEFAULT_PEERS,
    comparison: bool = True,
) -> ArticleAnalysis:
    """Propose the article's study, run it, and check the article's claims.

    Parameters
    ----------
    workspace
        The study service (its ``reference`` folder is required).
    options
        Study options other than day 0, timing and universe (model, windows, ...).
    remove
        Proposed tickers to leave out.
    peers, comparison
        See :func:`propose_study`.
    """
    if workspace.reference is None:
        raise SpecError(
            "reference: analysing an article needs the reference tables (SEC list, S&P 500 "
            "snapshot) to find its companies; pass the reference folder"
        )
    proposal = propose_study(
        article,
        workspace.reference,
        peers=peers,
        comparison=comparison,
        available=workspace.available_tickers(),
    )
    today = dt.date.today()
    if proposal.timing.day0 > today:
        raise SpecError(
            f"article: its day 0 ({proposal.timing.day0:%d %b %Y}) is in the future; "
            "there are no prices to study yet"
        )
    result = workspace.run(proposal.spec(options, remove=remove))
    checked = check_article_claims(workspace, proposal.claims, result)
    removed = tuple(t for t in proposal.tickers if t in {r.upper() for r in remove})
    return ArticleAnalysis(proposal, result, tuple(checked), removed)
