"""Cleaning article text: markup, invisible characters, page noise and glued sentences.

>>> clean_text("Advertisements\\nNvidia fell on January 27, 2025.")
['Nvidia fell on January 27, 2025.']
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Collection, Iterable
from itertools import pairwise

__all__ = ["PROTECTED_WORDS", "clean_text"]

_NOISE = re.compile(
    r"""
    (?: advertisements? | advertising | sponsored(?:\ content)? | promoted | ad
    | read\ more | continue\ reading | see\ more | show\ more | load\ more
    | share(?:\ this(?:\ article|\ story)?)? | share\ on\ \w+ | tweet | email | print
    | like\ this | like | related(?:\ articles|\ stories|\ posts)? | recommended(?:\ for\ you)?
    | loading(?:\.\.\.|…)? | skip\ to\ (?:main\ )?content | (?:sign\ up|subscribe)
    | (?:accept|reject)(?:\ all)?(?:\ cookies)? | cookie\ (?:settings|policy|preferences)
    | manage\ (?:cookies|preferences|consent)
    ) [\s:.!…]*
    | (?:we|this\ (?:site|website)|our\ (?:site|website))\ uses?\ cookies\b.{0,300}
    | by\ (?:continuing|using)\ (?:to\ (?:use|browse)\ )?(?:this|our)\ (?:site|website).{0,300}
    """,
    re.IGNORECASE | re.VERBOSE,
)
_HIDDEN = re.compile(
    r"<(script|style|noscript|template|iframe|svg|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|td|table|section|article|header|footer|blockquote|"
    r"figure|figcaption|aside|nav|main|pre|hr)\b[^<>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>|<![^<>]*>")
# Invisible format characters (zero-width, soft hyphen, bidi controls, BOM, tag characters).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U000e0000-\U000e0fff]"
)
_WORD = re.compile(r"[A-Za-z]+")
_JOIN = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
_WORD_END = re.compile(r"[a-z]{3}$|^[A-Z]{2,}s$")  # "approach", or a plural acronym ("GPUs")

PROTECTED_WORDS: frozenset[str] = frozenset(
    {
        "AlphaFold",
        "AstraZeneca",
        "AutoNation",
        "AutoZone",
        "BlackBerry",
        "BlackRock",
        "BlackSky",
        "BorgWarner",
        "ByteDance",
        "ChargePoint",
        "CoreWeave",
        "CrowdStrike",
        "DeepMind",
        "DeepSeek",
        "DigitalOcean",
        "DocuSign",
        "DoorDash",
        "DraftKings",
        "EchoStar",
        "ExxonMobil",
        "FactSet",
        "FirstEnergy",
        "GameStop",
        "GlobalFoundries",
        "HealthEquity",
        "InfiniBand",
        "InterDigital",
        "JavaScript",
        "LegalZoom",
        "LendingClub",
        "LinkedIn",
        "LiveRamp",
        "MarketAxess",
        "MarketWatch",
        "MediaTek",
        "MercadoLibre",
        "MicroStrategy",
        "MillerKnoll",
        "NerdWallet",
        "NextEra",
        "NortonLifeLock",
        "OpenText",
        "PepsiCo",
        "PlayStation",
        "PowerPoint",
        "QuantumScape",
        "RingCentral",
        "SalesForce",
        "SanDisk",
        "SentinelOne",
        "ServiceNow",
        "SharePoint",
        "SmartRent",
        "SoftBank",
        "SolarEdge",
        "SolarWinds",
        "SoundHound",
        "SunPower",
        "TransDigm",
        "TransUnion",
        "TripAdvisor",
        "UnitedHealth",
        "WhatsApp",
        "WisdomTree",
        "ZoomInfo",
    }
)
"""CamelCase names that :func:`clean_text` never splits as if two sentences had been joined.

Names whose inner capital follows fewer than three lower-case letters (``PayPal``, ``YouTube``,
``iPhone``, ``McDonald``) or precedes an upper-case letter (``OpenAI``, ``ChatGPT``) are never
candidates and need not be listed.
"""

# Words that begin sentences but rarely end a CamelCase name.
_STARTERS = frozenset(
    """
    According After Also Although Among An Analysts And Another Are As At Because Before
    Both But By Consequently Despite During Each Even Every Finally For From Furthermore He
    Her His How However If In Indeed Instead Investors Is It Its Last Many Meanwhile More
    Moreover Most Nevertheless No Nonetheless Not Now On Once Only Other Our Over Shares She
    Since So Some Still Such That The Their Then There Therefore These They This Those Though
    Thus To Under Unlike Until We What When Where Whether Which While Who Why With Within Yet
    """.split()  # noqa: SIM905 - a word list reads better as text
)


def _strip_html(text: str) -> str:
    """Text without markup or invisible characters: hidden blocks (scripts, styles) dropped,
    block tags made newlines.

    Invisible characters go first (after entities are decoded), so that one hidden inside a
    tag (``<`` + zero-width space + ``a href=...>``) cannot shield it from stripping.
    """
    text = _INVISIBLE.sub("", html.unescape(text))
    text = _HIDDEN.sub(" ", text)
    text = _BLOCK_TAG.sub("\n", text)
    return _TAG.sub("", text)


def _clean_lines(lines: Iterable[str]) -> list[str]:
    """Non-empty lines without markup, invisible characters, repeated spaces or page noise."""
    out = []
    for raw in lines:
        for line in _strip_html(raw).split("\n"):
            line = " ".join(line.split())
            if line and not _NOISE.fullmatch(line):
                out.append(line)
    return out


def _split_joins(paragraph: str, counts: Counter[str], protected: frozenset[str]) -> str:
    """Restore the ". " lost between sentences glued together ("approachWhat")."""

    def fix(match: re.Match[str]) -> str:
        word = match.group()
        if word.lower() in protected:
            return word
        parts = _JOIN.split(word)
        out = parts[0]
        for left, right in pairwise(parts):
            plausible_end = _WORD_END.search(left) is not None
            glued = plausible_end and (
                right in _STARTERS or word[0].islower() or (counts[word] == 1 and counts[left] > 0)
            )
            out += (". " if glued else "") + right
        return out

    return _WORD.sub(fix, paragraph)


def clean_text(text: str, *, protected: Collection[str] = ()) -> list[str]:
    """The paragraphs of an article body, without page noise.

    Each non-empty line is a paragraph. Cleaning removes HTML (the contents of ``<script>``,
    ``<style>`` and similar are dropped, entities decoded), invisible characters, runs of
    whitespace, lines of page noise ("Advertisements", "Read more", "Share this:", cookie
    banners, ...) and a paragraph repeating the one before it.

    Sentences glued together by scraping ("approachWhat initially") get their ". " back. A
    lower-case letter followed by a capitalised word inside a word is such a join when the left
    part ends with three lower-case letters (or is a plural acronym: "GPUsWhile") and either the
    right part is a common sentence opener ("The", "This", "It", ...), or the word starts in
    lower case ("industryQuestions"), or the word occurs only once in the text while its left
    part also occurs on its own ("ChinaEducational" next to "China"). Names that recur
    ("DeepSeek") are thus kept, as are :data:`PROTECTED_WORDS` and ``protected``.

    Parameters
    ----------
    text
        The article body (or any text).
    protected
        More CamelCase names never to split, e.g. company names of the study.
    """
    lines = _clean_lines([text.replace("\r\n", "\n")])
    counts = Counter(_WORD.findall("\n".join(lines)))
    keep = frozenset(w.lower() for w in (*PROTECTED_WORDS, *protected))
    paragraphs: list[str] = []
    for line in lines:
        paragraph = _split_joins(line, counts, keep)
        if not paragraphs or paragraphs[-1] != paragraph:
            paragraphs.append(paragraph)
    return paragraphs
