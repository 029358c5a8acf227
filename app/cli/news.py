"""``aftershock news analyze``: the study an article proposes, and its claims checked."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from analytics.article_study import ArticleAnalysis, analyze_article
from analytics.errors import DataError
from analytics.news import Article, parse_article
from analytics.news.articles import MAX_ARTICLE_BYTES
from analytics.news.checks import CheckedClaim
from analytics.news.fetching import fetch_article, is_url
from analytics.news.peers import DEFAULT_PEERS
from analytics.study.options import StudyOptions
from app.cli import output
from app.cli.files import check_file_destination, read_text_file, write_output
from app.cli.options import StoreOpt
from app.settings import load_settings, open_workspace

__all__ = ["analyze", "cli", "read_article_source", "report"]

cli = typer.Typer(
    help="News: the study an article proposes, and its claims checked.", no_args_is_help=True
)

_SHOWN = 25
"""Most universe tickers listed one per line; the rest are summed up by reason."""

PeersOpt = Annotated[
    int, typer.Option("--peers", min=0, help="Most industry peers proposed (0: none).")
]
ComparisonOpt = Annotated[
    bool,
    typer.Option("--comparison/--no-comparison", help="Add the S&P 500 as a comparison group."),
]
RemoveOpt = Annotated[
    str, typer.Option("--remove", help="Proposed tickers to leave out, e.g. ONEQ,SMCI.")
]


def read_article_source(source: str, *, offline: bool) -> Article:
    """The article in a text file, or at a web address (downloaded unless offline)."""
    if is_url(source):
        return fetch_article(source, offline=offline)
    path = Path(source)
    data = read_text_file(path, option="ARTICLE", limit=MAX_ARTICLE_BYTES, what="an article")
    return parse_article(data, source=path.name)


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.2f}%".replace("-", "−")


def _claim_line(number: int, checked: CheckedClaim) -> list[str]:
    c = checked.claim
    size = f"{c.magnitude:g}%" if c.unit == "percent" else f"${c.magnitude / 1e9:,.0f} billion"
    if c.qualifier == "range":
        size = f"{c.low:g}%+" if c.unit == "percent" else f"from ${c.low / 1e9:,.0f} billion"
    qualifier = "" if c.qualifier in ("exact", "range") else c.qualifier.replace("_", " ") + " "
    day = "day n/a" if c.day is None else f"{c.day:%a %d %b %Y}"
    head = f"{number}. {c.subject}: {c.direction} {qualifier}{size} on {day}"
    measured = f"return {_pct(checked.measured_return)}, abnormal {_pct(checked.measured_ar)}"
    if checked.measured_value is not None:
        measured = f"value change ${checked.measured_value / 1e9:+,.1f} billion"
    if checked.verdict == "not checkable":
        measured = "not measured"
    return [f"  {head} → {checked.verdict.upper()} ({measured})", f"     {checked.reason}"]


def report(analysis: ArticleAnalysis) -> str:
    """The analysis as the terminal shows it."""
    p, t = analysis.proposal, analysis.proposal.timing
    timing = t.timing.replace("_", " ")
    lines = [
        p.article.headline,
        f"  source: {p.article.source}",
        f"Day 0: {t.day0:%a %d %b %Y} (event {t.event_date:%a %d %b %Y}, {timing}) — {t.reason}",
    ]
    if t.sentence:
        lines.append(f'  "{t.sentence}"')
    lines += [f"  note: {note}" for note in p.notes]
    lines.append("Mentions:")
    lines += [f"  {m.ticker or '—':<6} {m.name:<32} {m.kind:<8} {m.count}" for m in p.mentions] or [
        "  none"
    ]
    lines.append(f"Universe ({len(p.universe)} tickers, benchmark {p.benchmark}):")
    lines += [f"  {u.ticker:<6} {u.reason}" for u in p.universe[:_SHOWN]]
    rest = p.universe[_SHOWN:]
    for reason in dict.fromkeys(u.reason for u in rest):
        count = sum(u.reason == reason for u in rest)
        lines.append(f"  + {count} more: {reason}")
    excluded = analysis.result.excluded
    if not excluded.empty:
        lines.append(f"Excluded from the study ({len(excluded)}):")
        reasons = excluded["reason"].astype(str)
        for reason in dict.fromkeys(reasons):
            tickers = excluded.loc[reasons == reason, "ticker"].astype(str).tolist()
            names = ", ".join(tickers[:10])
            more = f" … +{len(tickers) - 10}" if len(tickers) > 10 else ""
            lines.append(f"  {reason}: {names}{more}")
    lines.append("Claims in the article:")
    for number, checked in enumerate(analysis.claims, 1):
        lines += _claim_line(number, checked)
    if not analysis.claims:
        lines.append("  none with a number (a percentage or a dollar amount)")
    return "\n".join(lines)


@cli.command("analyze")
def analyze(
    article: Annotated[
        str, typer.Argument(help="A text file (first line the headline) or an http(s) address.")
    ],
    store: StoreOpt = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the analysis as JSON to this file.")
    ] = None,
    peers: PeersOpt = DEFAULT_PEERS,
    comparison: ComparisonOpt = True,
    remove: RemoveOpt = "",
) -> None:
    """Propose the article's study (day 0, timing, universe), run it and check its claims."""
    if json_out is not None:
        check_file_destination(json_out, "--json")
    settings = load_settings(store)
    if settings.reference is None:
        raise DataError(
            "AFTERSHOCK_REFERENCE: not set; analysing an article needs the reference tables "
            "(e.g. AFTERSHOCK_REFERENCE=../shared/reference)"
        )
    source = read_article_source(article, offline=settings.offline)
    analysis = analyze_article(
        open_workspace(settings),
        source,
        options=StudyOptions(),
        remove=[t for t in remove.replace(",", " ").split() if t],
        peers=peers,
        comparison=comparison,
    )
    if json_out is not None:
        write_output(json_out, analysis.to_json(), "--json")
        output.result(f"wrote {json_out}")
    else:
        output.result(report(analysis))
