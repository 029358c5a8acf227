"""The article drives the study: the study it proposes (with the reasons) and its claims checked.

Picking an article sets the study controls to its proposal (see
:func:`app.dashboard.features.controls.sync_state`); for pasted or uploaded text, "Study what it
proposes" does. Below the picker, the proposal: day 0 and why, each proposed ticker with its
reason (remove any from the universe's ticker box). Beside the text, "Claims in the article":
each quantitative claim with the measured move and a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_mantine_components as dmc
from dash import Dash, Input, Output, State, html
from dash.development.base_component import Component

from analytics.article_study import ArticleProposal
from analytics.news.checks import CheckedClaim
from app.charts.formatting import format_usd
from app.dashboard import ids
from app.dashboard.cache import DashboardData
from app.dashboard.views import article_of

__all__ = ["claims_panel", "layout", "proposal_panel", "register"]

_VERDICT_COLORS = {
    "consistent": "teal",
    "overstated": "orange",
    "understated": "yellow",
    "not checkable": "gray",
}
_ROLES = (("named", "Named"), ("peer", "Industry peers"), ("market", "Index funds"))


def layout() -> list[Component]:
    """The proposal's button and panels (placed in the news pane, under the picker)."""
    return [
        dmc.Group(
            [
                dmc.Button(
                    "Study what this article proposes",
                    id=ids.PROPOSAL_APPLY,
                    variant="light",
                    size="xs",
                ),
                dmc.Button(
                    "… with the S&P 500 as comparison group",
                    id=ids.PROPOSAL_COMPARE,
                    variant="subtle",
                    size="xs",
                ),
            ],
            gap="xs",
            mt="xs",
        ),
        html.Div(id=ids.PROPOSAL_VIEW, className="proposal"),
        html.Div(id=ids.CLAIMS_PANEL, className="claims"),
    ]


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:+.2f}%".replace("-", "−")


def proposal_panel(proposal: ArticleProposal | None, comparison: int = 0) -> Component | None:
    """Day 0 and why, every proposed ticker with its reason, and the comparison group (the
    ``comparison`` S&P 500 members, added on request: they would crowd the article's firms)."""
    if proposal is None:
        return None
    t = proposal.timing
    timing = t.timing.replace("_", " ")
    rows: list[Component] = [
        dmc.Text(
            f"Proposed study: day 0 {t.day0:%a %d %b %Y} (event {t.event_date:%d %b}, {timing})"
            f" — {t.reason}; benchmark {proposal.benchmark}",
            size="sm",
            fw=500,
        )
    ]
    if t.sentence:
        rows.append(dmc.Text(f"“{t.sentence}”", size="xs", c="dimmed", fs="italic"))
    for role, label in _ROLES:
        members = [p for p in proposal.universe if p.role == role]
        if not members:
            continue
        badges = [
            dmc.Tooltip(
                dmc.Badge(p.ticker, variant="light", size="sm", className="proposed-ticker"),
                label=p.reason,
                withArrow=True,
            )
            for p in members
        ]
        reasons = sorted({p.reason for p in members})
        note = reasons[0] if len(reasons) == 1 else f"{len(reasons)} reasons: hover a ticker"
        rows.append(
            dmc.Group([dmc.Text(f"{label} ({note}):", size="xs"), *badges], gap=4, wrap="wrap")
        )
    if comparison:
        rows.append(
            dmc.Text(
                f"Comparison group: the S&P 500 ({comparison} firms), added by "
                "“… with the S&P 500 as comparison group” (universe S&P 500, all sectors).",
                size="xs",
            )
        )
    rows += [dmc.Text(note, size="xs", c="orange") for note in proposal.notes]
    rows.append(
        dmc.Text(
            "Remove any ticker from the universe's ticker box; the study re-runs.",
            size="xs",
            c="dimmed",
        )
    )
    return dmc.Stack(rows, gap=4, className="proposal-panel")


def _measured(checked: CheckedClaim) -> str:
    if checked.verdict == "not checkable":
        return "not measured"
    if checked.measured_value is not None:
        text = f"market value {format_usd(checked.measured_value)}"
        if checked.abnormal_value is not None:
            text += f", {format_usd(checked.abnormal_value)} abnormal"
        return text
    text = f"return {_pct(checked.measured_return)}"
    if checked.measured_ar is not None:
        text += f", abnormal {_pct(checked.measured_ar)}"
    return text


def claims_panel(claims: Sequence[CheckedClaim]) -> Component | None:
    """Each claim: what the article says, what the data measured, the verdict and why."""
    if not claims:
        return None
    items = []
    for checked in claims:
        c = checked.claim
        said = (
            f"{c.subject}: {c.direction} {c.magnitude:g}%"
            if c.unit == "percent" and c.qualifier != "range"
            else f"{c.subject}: {c.direction} {format_usd(c.magnitude)}"
            if c.unit == "usd" and c.qualifier != "range"
            else f"{c.subject}: {c.direction}, {c.low:g}% or more"
            if c.unit == "percent"
            else f"{c.subject}: {c.direction}, {format_usd(c.low)} or more"
        )
        day = "" if c.day is None else f" on {c.day:%a %d %b %Y}"
        items.append(
            dmc.Stack(
                [
                    dmc.Group(
                        [
                            dmc.Badge(
                                checked.verdict,
                                color=_VERDICT_COLORS[checked.verdict],
                                variant="light",
                                size="sm",
                                className="claim-verdict",
                            ),
                            dmc.Text(f"{said}{day}", size="sm"),
                        ],
                        gap="xs",
                    ),
                    dmc.Text(f"Measured: {_measured(checked)}", size="xs"),
                    dmc.Text(checked.reason, size="xs", c="dimmed"),
                ],
                gap=0,
                className="claim",
            )
        )
    return dmc.Stack(
        [dmc.Text("Claims in the article", fw=600, size="sm"), *items],
        gap="xs",
        className="claims-panel",
    )


def register(app: Dash, data: DashboardData) -> None:
    """The proposal and claims panels follow the article and the study shown."""

    @app.callback(
        Output(ids.PROPOSAL_VIEW, "children"),
        Input(ids.ARTICLE_SELECT, "value"),
        Input(ids.ARTICLE_TEXT, "value"),
    )
    def _proposal(selected: str | None, text: str | None) -> Any:
        article = article_of(data, selected, text)
        comparison = sum(map(len, data.sector_members.values()))
        return proposal_panel(None if article is None else data.proposal(article), comparison)

    @app.callback(
        Output(ids.CLAIMS_PANEL, "children"),
        Input(ids.STUDY_KEY, "data"),
        Input(ids.ARTICLE_SELECT, "value"),
        State(ids.ARTICLE_TEXT, "value"),
        prevent_initial_call=True,
    )
    def _claims(key: str | None, selected: str | None, text: str | None) -> Any:
        article = article_of(data, selected, text)
        proposal = None if article is None else data.proposal(article)
        if proposal is None:
            return None
        return claims_panel(data.claims(proposal, key))
