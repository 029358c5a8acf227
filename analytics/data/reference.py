"""Reference data: the SEC ticker list, the S&P 500 snapshot, sectors and company-name aliases.

Every loader takes the directory that holds the reference files (the shared ``reference/``
folder), parses it once per path (results are memoized) and hands back a fresh object, so callers
may modify what they get. Tickers use Yahoo's form: upper case, share classes joined by ``-``
(``BRK-B``, never ``BRK.B`` or ``BRK/B``). A missing or malformed file raises
:class:`~analytics.errors.DataError` naming the file.

>>> aliases = company_aliases(reference_dir)  # doctest: +SKIP
>>> aliases["nvidia"], aliases["google"]  # doctest: +SKIP
('NVDA', 'GOOGL')
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analytics.errors import DataError

__all__ = [
    "COMMON_WORDS",
    "HAND_ALIASES",
    "SEC_FILE",
    "SIC_FILE",
    "SP500_PATTERN",
    "company_aliases",
    "name_variants",
    "sec_companies",
    "sectors",
    "sic_codes",
    "sp500",
    "sp500_market_caps",
    "yahoo_symbol",
]

SEC_FILE = "sec-company-tickers.json"
SIC_FILE = "sec-sic-tech.csv"
SP500_PATTERN = "sp500-companies-*.csv"

_SP500_COLUMNS: tuple[str, ...] = (
    *("ticker", "long_name", "exchange", "sector", "industry", "country"),
    *("price", "market_cap", "index_weight"),
)
_SIC_COLUMNS = ("ticker", "company_name", "sic", "sic_description")
_FIX = "pass the folder that holds the shared reference files (../shared/reference)"


def _words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a block of text (keeps long word lists readable)."""
    return frozenset(text.split())


HAND_ALIASES: dict[str, str] = {
    "nvidia": "NVDA",
    "broadcom": "AVGO",
    "microsoft": "MSFT",
    "alphabet": "GOOGL",
    "google": "GOOGL",
    "meta": "META",
    "facebook": "META",
    "amazon": "AMZN",
    "apple": "AAPL",
    "oracle": "ORCL",
    "tsmc": "TSM",
    "taiwan semiconductor": "TSM",
    "asml": "ASML",
    "amd": "AMD",
    "advanced micro devices": "AMD",
    "marvell": "MRVL",
    "micron": "MU",
    "arm": "ARM",
    "constellation energy": "CEG",
    "vistra": "VST",
    "tesla": "TSLA",
    "netflix": "NFLX",
    "alibaba": "BABA",
    "baidu": "BIDU",
    "palantir": "PLTR",
    "super micro": "SMCI",
    "supermicro": "SMCI",
    "dell": "DELL",
    "cisco": "CSCO",
    "intel": "INTC",
    "qualcomm": "QCOM",
    "ge vernova": "GEV",
    "oklo": "OKLO",
    "nuscale": "SMR",
    "cameco": "CCJ",
    "eaton": "ETN",
    "vertiv": "VRT",
    "quanta": "PWR",
    "talen": "TLN",
    "nrg": "NRG",
    "s&p 500": "SPY",
    "s&p 500 index": "SPY",
    "nasdaq": "QQQ",
    "nasdaq composite": "QQQ",
    "nasdaq 100": "QQQ",
    "dow jones": "DIA",
    "dow jones industrial average": "DIA",
    "russell 2000": "IWM",
}
"""Common names that differ from the legal names in the SEC list (lower case -> ticker).

They override the names derived from SEC titles. Indices map to the ETF that tracks them.
"""

# English words and phrases, first names, places and crypto/tech terms that are also the whole
# (stripped) name of some SEC registrant: "Monday" (monday.com), "News" (News Corp), "Block",
# "Clean Energy". Capitalised at the start of a sentence or in a title-case headline they mean
# the word far more often than the company, so they are dropped from the derived aliases.
COMMON_WORDS: frozenset[str] = _words(
    """
    aes ais alarm amaze amplitude andersen angle api arena aspen ats authentic avalon aware
    awareness ball bancorp bandwidth banner bark beeline bill billion block bonk box brady
    buckle bullish cactus cadre cam capri capstone cars cato cgi cheer chrome citizens city
    click cluster coffee commerce compass conduit cool cooper crane crown crypto csp ctrl damon
    dana dave decent deluxe diodes diploma dixie dover dow dreamland eastern emerald emerging
    employers enact endeavour esg escalade eve everest exponent fathom fermi figs fluent fold
    forge forte fossil founder freedom frequency frontier frontline fuse gambling gap gates gee
    genius glimpse gpl gpt graham grail grande gravity guess guild hawkins hello highway honest
    hub icon immersion innovate insight integer intelligent interface intrusion joint kepler
    kestrel kirby lakeside largo lindsay lion lionheart lithium lottery maiden marcus match
    maximus megan meridian metro mint monday morgan mystic navigator news nft nice noah noble
    northern nova opera orange orion osr outdoor paid pandora pattern perfect phi pineapple
    pony pool popular porch post premier prog progress progressive pros quantum rafael regis
    reliability reliance rev rocket rogers root rumble screen sea seek senior sentinel ses
    sinclair slam snail solana sos sound southern spar specificity speed spire star stem
    strategy stride strive sui team ten tilt tim tiny track trip tron ultimate umbra unit unity
    universal upstart uptrend viking vince visionary weed williams workhorse
    """
) | {
    "alpha one",
    "clean energy",
    "data storage",
    "fast track",
    "financial institutions",
    "golden sun",
    "information services",
    "life time",
    "multi ways",
    "natural resource",
    "net power",
    "north west",
    "one stop",
    "quantum computing",
    "solar strategy",
    "solid power",
    "start today",
    "well health",
}
"""Words and phrases never used as a company alias derived from SEC titles."""

# Trailing words of legal names that people leave out ("Broadcom Inc." -> "Broadcom").
_LEGAL = _words(
    """
    ab ads adr ag as asa bhd bv co com companies company corp corporation cos gmbh group holding
    holdings inc incorporated kk limited llc llp lp ltd nv oyj plc public sa se spa tbk the
    """
)
# Trailing descriptive words also often left out ("Cisco Systems" -> "Cisco"); the shorter name
# is only used when it is distinctive and no other company claims it.
_DESCRIPTIVE = _words(
    """
    communications enterprises industries international networks platforms software solutions
    systems technologies technology trust worldwide
    """
)
_CONNECTORS = frozenset({"&", "and", "of", "the", "de", "for"})
# A word in this many titles or more is generic ("american", "global", "capital").
_GENERIC_SINGLE = 5
_GENERIC_PHRASE = 20


def yahoo_symbol(ticker: str) -> str:
    """A ticker in Yahoo's form: stripped, upper case, share classes joined by ``-``.

    >>> yahoo_symbol(" brk.b ")
    'BRK-B'
    """
    return re.sub(r"[./]", "-", ticker.strip().upper())


def _file(reference_dir: Path, name: str) -> Path:
    path = Path(reference_dir) / name
    if not path.is_file():
        raise DataError(f"reference_dir: {path} does not exist; {_FIX}")
    return path.resolve()


def _read_csv(path: Path, columns: Iterable[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path.name}: cannot be read as CSV ({exc}); {_FIX}") from exc
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise DataError(
            f"{path.name}: missing column(s) {', '.join(absent)} "
            f"(found {', '.join(map(str, frame.columns))}); {_FIX}"
        )
    return frame


@lru_cache(maxsize=4)
def _sec(path: Path) -> pd.DataFrame:
    try:
        raw = json.loads(path.read_bytes())
        rows = [(str(r["ticker"]), str(r["title"]), int(r["cik_str"])) for r in raw.values()]
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as exc:
        raise DataError(
            f"{path.name}: not the SEC company_tickers.json format "
            f'{{"0": {{"cik_str": ..., "ticker": ..., "title": ...}}, ...}} ({exc!r}); {_FIX}'
        ) from exc
    frame = pd.DataFrame(rows, columns=["ticker", "name", "cik"])
    frame["ticker"] = frame["ticker"].map(yahoo_symbol).astype("str")
    frame["name"] = frame["name"].astype("str")
    return frame.astype({"cik": "int64"})


def sec_companies(reference_dir: Path) -> pd.DataFrame:
    """The SEC's company ticker list, in the SEC's order (largest companies first).

    Parameters
    ----------
    reference_dir
        Folder holding ``sec-company-tickers.json``.

    Returns
    -------
    pandas.DataFrame
        ``ticker`` (Yahoo form), ``name`` (the SEC title as published) and ``cik``. A company
        with several share classes or preferred series has one row per ticker.
    """
    return _sec(_file(reference_dir, SEC_FILE)).copy(deep=False)


def _sp500_path(reference_dir: Path) -> tuple[Path, pd.Timestamp]:
    dated = []
    for path in Path(reference_dir).glob(SP500_PATTERN):
        stamp = pd.to_datetime(path.stem.removeprefix("sp500-companies-"), errors="coerce")
        if path.is_file() and not pd.isna(stamp):
            dated.append((stamp, path))
    if not dated:
        raise DataError(
            f"reference_dir: no {SP500_PATTERN} (e.g. sp500-companies-2024-12-20.csv) "
            f"in {reference_dir}; {_FIX}"
        )
    stamp, path = max(dated)
    return path.resolve(), stamp


@lru_cache(maxsize=4)
def _sp500(path: Path, as_of: pd.Timestamp) -> pd.DataFrame:
    raw = _read_csv(path, _SP500_COLUMNS)
    frame = pd.DataFrame(
        {
            "ticker": raw["ticker"].astype("str").map(yahoo_symbol),
            "name": raw["long_name"].astype("str"),
            "sector": raw["sector"].astype("str"),
            "industry": raw["industry"].astype("str"),
            "exchange": raw["exchange"].astype("str"),
            "country": raw["country"].astype("str"),
            "price": pd.to_numeric(raw["price"], errors="coerce"),
            "market_cap": pd.to_numeric(raw["market_cap"], errors="coerce"),
            "weight": pd.to_numeric(raw["index_weight"], errors="coerce"),
        }
    ).astype({"ticker": "str"})
    bad = frame[["price", "market_cap", "weight"]].isna().any(axis=1) | (frame["price"] <= 0)
    bad |= frame["market_cap"] <= 0
    if bad.any():
        raise DataError(
            f"{path.name}: price, market_cap or index_weight missing or not positive for "
            f"{', '.join(frame.loc[bad, 'ticker'].head(5))}; fix those rows in the file"
        )
    if frame["ticker"].duplicated().any():
        repeated = frame.loc[frame["ticker"].duplicated(), "ticker"].head(5)
        raise DataError(f"{path.name}: ticker(s) {', '.join(repeated)} repeat; keep one row each")
    frame["as_of"] = as_of
    return frame.astype({"as_of": "datetime64[ns]"})


def sp500(reference_dir: Path) -> pd.DataFrame:
    """The S&P 500 members of the latest ``sp500-companies-YYYY-MM-DD.csv`` snapshot.

    Parameters
    ----------
    reference_dir
        Folder holding the snapshot; its date is read from the file name.

    Returns
    -------
    pandas.DataFrame
        ``ticker`` (Yahoo form), ``name``, ``sector``, ``industry``, ``exchange``, ``country``,
        ``price`` and ``market_cap`` (USD, that day), ``weight`` (index weight, summing to 1)
        and ``as_of`` (the snapshot date).
    """
    return _sp500(*_sp500_path(reference_dir)).copy(deep=False)


def sp500_market_caps(reference_dir: Path) -> pd.DataFrame:
    """Market capitalisations of the S&P 500 members on the snapshot date.

    The engine scales them by adjusted-price ratios to estimate market values on other days
    (shares outstanding taken as constant, ``market_cap / price``).

    Returns
    -------
    pandas.DataFrame
        ``ticker``, ``date`` (the snapshot date) and ``market_cap`` (USD).
    """
    frame = _sp500(*_sp500_path(reference_dir))
    return frame[["ticker", "as_of", "market_cap"]].rename(columns={"as_of": "date"})


def _sic_sector(code: int) -> str:
    """Yahoo-style sector label of a technology-related SIC code."""
    if code == 5961:  # catalog and mail-order retail (e-commerce)
        return "Consumer Cyclical"
    if code in (3620, 3621):  # electrical industrial apparatus, motors and generators
        return "Industrials"
    return "Technology"


@lru_cache(maxsize=4)
def _sectors(sp500_path: Path, as_of: pd.Timestamp, sic_path: Path) -> pd.Series:
    members = _sp500(sp500_path, as_of).set_index("ticker")["sector"]
    sic = _read_csv(sic_path, _SIC_COLUMNS)
    codes = pd.to_numeric(sic["sic"], errors="coerce")
    if codes.isna().any():
        raise DataError(f"{sic_path.name}: column sic must hold numeric SIC codes; fix the file")
    tech = pd.Series(
        [_sic_sector(int(c)) for c in codes],
        index=pd.Index(sic["ticker"].astype("str").map(yahoo_symbol), dtype="str"),
    )
    tech = tech[~tech.index.isin(members.index) & ~tech.index.duplicated()]
    out = pd.concat([members, tech]).astype("str")
    out.index.name = "ticker"
    return out.rename("sector")


def sectors(reference_dir: Path) -> pd.Series:
    """Sector of each ticker: the S&P 500 snapshot's, then SIC-based for other tech companies.

    Labels follow the snapshot (Yahoo's sectors: ``Technology``, ``Communication Services``,
    ...). Companies of ``sec-sic-tech.csv`` outside the S&P 500 get ``Technology``, except
    catalog retail (``Consumer Cyclical``) and electrical apparatus (``Industrials``).

    Returns
    -------
    pandas.Series
        Sector labels indexed by ``ticker``.
    """
    sp500_path, as_of = _sp500_path(reference_dir)
    return _sectors(sp500_path, as_of, _file(reference_dir, SIC_FILE)).copy(deep=False)


def _bare(word: str) -> str:
    """A word without its dots, to recognise "N.V.", "S.A." and "L.P." as legal forms."""
    return word.replace(".", "")


def name_variants(title: str) -> tuple[str, ...]:
    """Lower-case names a company goes by, derived from its legal name.

    The first is the legal name without punctuation, legal-form words (Inc, Corp, Co, Holdings,
    Ltd, plc, ...), state or class markers (``/DE/``, ``Class A``) and a leading "The"; the
    second, when different, also drops descriptive trailing words (Systems, Technologies, ...).

    >>> name_variants("CISCO SYSTEMS, INC.")
    ('cisco systems', 'cisco')
    >>> name_variants("BANK OF AMERICA CORP /DE/")
    ('bank of america',)
    """
    text = title.lower().replace("’", "'")
    text = re.sub(r"(?:\s*/[a-z. ]{0,5}/?)+\s*$", "", text)
    text = re.sub(r"\b(?:class|cl|series)\s+[a-z0-9]\b", " ", text)
    text = re.sub(r"\.com\b", " ", text)
    text = re.sub(r"\ba\s?/?s$", " ", text.strip())  # Danish "A/S"
    text = re.sub(r"[,()]|\.(?=\s|$)", " ", text)
    words = text.split()
    while words and _bare(words[-1]) in _LEGAL | _CONNECTORS:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    full = " ".join(words)
    while len(words) > 1 and _bare(words[-1]) in _DESCRIPTIVE | _LEGAL | _CONNECTORS:
        words.pop()
    short = " ".join(words)
    return tuple(v for v in dict.fromkeys((full, short)) if re.search("[a-z]", v))


def _distinctive(alias: str, counts: Counter[str], *, member: bool) -> bool:
    """Whether a derived alias names its company rather than a common word or phrase."""
    words = alias.split()
    if alias in COMMON_WORDS:
        return False
    if len(words) == 1:
        word = words[0]
        return len(word) > 2 and (member or counts[word] < _GENERIC_SINGLE)
    generic = all(w in _CONNECTORS or counts[w] >= _GENERIC_PHRASE for w in words)
    return member or not generic


@lru_cache(maxsize=4)
def _aliases(sec_path: Path, sp500_path: Path, as_of: pd.Timestamp) -> dict[str, str]:
    companies = _sec(sec_path)
    members = set(_sp500(sp500_path, as_of)["ticker"])
    ticker: dict[int, str] = {}
    titles: dict[int, str] = {}
    columns = (companies[c].tolist() for c in ("cik", "ticker", "name"))
    for cik, symbol, name in zip(*columns, strict=True):
        if cik not in ticker or (symbol in members and ticker[cik] not in members):
            ticker[cik] = symbol
        titles.setdefault(cik, name)
    variants = {cik: names for cik, t in titles.items() if (names := name_variants(t))}
    counts: Counter[str] = Counter()
    for names in variants.values():
        counts.update(set(names[0].split()))

    full: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for cik, names in variants.items():
        member = ticker[cik] in members
        if _distinctive(names[0], counts, member=member):
            full.setdefault(names[0], ticker[cik])
        for name in names[1:]:  # a shortened name must be distinctive on its own
            if _distinctive(name, counts, member=False):
                short.setdefault(name, set()).add(ticker[cik])
    for name, claimed in short.items():
        if len(claimed) == 1 and name not in full:
            full[name] = claimed.pop()
    return full | HAND_ALIASES


def company_aliases(reference_dir: Path) -> dict[str, str]:
    """Lower-case company names and their variants mapped to tickers.

    Built from the SEC titles (:func:`name_variants`), keeping only distinctive names: single
    words of three letters or more that are not in :data:`COMMON_WORDS` and appear in fewer than
    five SEC titles, and phrases not made only of words found in twenty titles or more (the full
    names of S&P 500 members are exempt from both counts; shortened names are not, and are
    dropped when two companies share one). :data:`HAND_ALIASES` is applied last. A company with
    several tickers maps to its S&P 500 ticker, else to the first in the SEC list.

    The keys are lower case; :func:`analytics.news.find_companies` only accepts a match written
    like a name (capitalised words), so "Arm" matches and "arm" does not.

    Parameters
    ----------
    reference_dir
        Folder holding ``sec-company-tickers.json`` and the S&P 500 snapshot.
    """
    sp500_path, as_of = _sp500_path(reference_dir)
    return dict(_aliases(_file(reference_dir, SEC_FILE), sp500_path, as_of))


@lru_cache(maxsize=4)
def _sic(path: Path) -> pd.DataFrame:
    raw = _read_csv(path, _SIC_COLUMNS)
    codes = pd.to_numeric(raw["sic"], errors="coerce")
    if codes.isna().any():
        raise DataError(f"{path.name}: column sic must hold numeric SIC codes; fix the file")
    frame = pd.DataFrame(
        {
            "ticker": raw["ticker"].astype("str").map(yahoo_symbol),
            "sic": codes.astype("int64"),
            "description": raw["sic_description"].astype("str"),
        }
    ).astype({"ticker": "str"})
    return frame.drop_duplicates("ticker").reset_index(drop=True)


def sic_codes(reference_dir: Path) -> pd.DataFrame:
    """SEC industry (SIC) codes of the companies in ``sec-sic-tech.csv``.

    Returns
    -------
    pandas.DataFrame
        ``ticker`` (Yahoo form, one row each), ``sic`` (4-digit code) and ``description``.
    """
    return _sic(_file(reference_dir, SIC_FILE)).copy(deep=False)
