"""Number and window formatting shared by every chart, the dashboard and the CLI: the one
place for signed percentages, dollar amounts, p-values, significance stars and window labels."""

from __future__ import annotations

import math

from analytics.study.options import parse_window

__all__ = [
    "MINUS",
    "MODEL_LABELS",
    "format_p",
    "format_usd",
    "model_label",
    "model_phrase",
    "parse_window",
    "pct",
    "plain",
    "signed_day",
    "signed_number",
    "stars",
    "value_words",
    "window_label",
]

MINUS = "\u2212"
"""The typographic minus sign used in every label."""

_USD_UNITS: tuple[tuple[float, str, str], ...] = (
    (1e12, "T", "trillion"),
    (1e9, "B", "billion"),
    (1e6, "M", "million"),
    (1e3, "K", "thousand"),
)


def _signed(text: str, negative: bool) -> str:
    return f"{MINUS}{text}" if negative else text


def format_usd(x: float, *, long: bool = False) -> str:
    """Format a dollar amount compactly: ``"$1.2T"``, ``"$345B"``, ``"−$12.3M"``.

    Parameters
    ----------
    x
        Amount in US dollars; NaN gives ``"n/a"``.
    long
        Spell the unit out with three significant digits (``"$1.23 trillion"``).

    Examples
    --------
    >>> format_usd(1.234e12), format_usd(-345e9), format_usd(12.34e6, long=True)
    ('$1.2T', '−$345B', '$12.3 million')
    """
    if not math.isfinite(x):
        return "n/a"
    v = abs(x)
    for i, (scale, short, word) in enumerate(_USD_UNITS):
        if v < scale:
            continue
        scaled = v / scale
        if long:
            digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        else:
            digits = 1 if round(scaled, 1) < 100 else 0
        text = f"{scaled:.{digits}f}"
        if float(text) >= 1000 and i > 0:
            # 999.96B rounds to "1000B": say "$1.0T" instead.
            return format_usd(math.copysign(_USD_UNITS[i - 1][0], x), long=long)
        return _signed(f"${text} {word}" if long else f"${text}{short}", x < 0)
    text = f"{v:,.0f}"
    return _signed(f"${text}", x < 0 and text != "0")


def value_words(raw: float, abnormal: float, model: str = "the model") -> str:
    """The raw and the abnormal change of market value in words that say which is which.

    >>> value_words(-412e9, -176e9, "the market model")
    'lost $412 billion in market value; $176 billion less than the market model predicted'
    >>> value_words(-50e9, 20e9, "the market model")
    'lost $50.0 billion in market value; $20.0 billion more than the market model predicted'
    >>> value_words(float("nan"), -3e9)
    'ended $3.00 billion below what the model predicted'
    """
    said = []
    if math.isfinite(raw):
        verb = "lost" if raw < 0 else "gained"
        said.append(f"{verb} {format_usd(abs(raw), long=True)} in market value")
    if math.isfinite(abnormal):
        side = "less" if abnormal < 0 else "more"
        amount = format_usd(abs(abnormal), long=True)
        said.append(
            f"{amount} {side} than {model} predicted"
            if said
            else f"ended {amount} {'below' if abnormal < 0 else 'above'} what {model} predicted"
        )
    return "; ".join(said) or "no market values: no dollar change"


_MODEL_PHRASES: dict[str, str] = {
    "market": "the market model",
    "market_adjusted": "the market-adjusted model",
    "constant_mean": "the constant-mean model",
    "capm": "CAPM",
    "etf_factors": "the ETF-proxy factor model",
    "ff3": "the Fama–French 3-factor model",
    "carhart": "the Carhart 4-factor model",
    "ff5": "the Fama–French 5-factor model",
}

MODEL_LABELS: dict[str, str] = {
    "market": "Market model (OLS)",
    "market_adjusted": "Market-adjusted",
    "constant_mean": "Constant mean",
    "capm": "CAPM",
    "etf_factors": "4 factors (ETF proxies)",
    "ff3": "Fama–French 3",
    "carhart": "Carhart 4",
    "ff5": "Fama–French 5",
}


def model_label(model: str) -> str:
    """Human name of a normal-return model: ``"market"`` → ``"Market model (OLS)"``."""
    return MODEL_LABELS.get(model, model)


def model_phrase(model: str) -> str:
    """The model inside a sentence: ``"market"`` → ``"the market model"``.

    >>> model_phrase("market"), model_phrase("carhart")
    ('the market model', 'the Carhart 4-factor model')
    """
    return _MODEL_PHRASES.get(model, f"the {model} model")


def format_p(p: float) -> str:
    """Format a p-value for humans: ``"p < 0.001"``, ``"p = 0.034"``, ``"p = 0.42"``.

    Examples
    --------
    >>> format_p(0.0004), format_p(0.0342), format_p(0.4213)
    ('p < 0.001', 'p = 0.034', 'p = 0.42')
    """
    if not math.isfinite(p):
        return "p n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def pct(x: float, digits: int = 1) -> str:
    if not math.isfinite(x):
        return "n/a"
    text = f"{abs(x) * 100:.{digits}f}%"
    return f"{MINUS}{text}" if x < 0 and float(text[:-1]) != 0 else f"+{text}"


def signed_number(x: float, digits: int) -> str:
    text = f"{abs(x):.{digits}f}"
    return f"{MINUS}{text}" if x < 0 and float(text) != 0 else text


def stars(p: float) -> str:
    if not math.isfinite(p):
        return ""
    return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.10 else ""


def window_label(key: str) -> str:
    """Human label of a window key: ``"-1:1"`` → ``"[−1, +1]"``, ``"0:0"`` → ``"day 0"``."""
    a, b = parse_window(key)
    if a == b:
        return f"day {signed_day(a)}"
    return f"[{signed_day(a)}, {signed_day(b)}]"


def signed_day(d: int) -> str:
    return f"{MINUS}{-d}" if d < 0 else f"+{d}" if d > 0 else "0"


def plain(text: object) -> str:
    """``text`` as plotly shows it literally: ``&``, ``<`` and ``>`` escaped, so markup in an
    article or a ticker (``<a href>``, ``<span style>``) stays text.

    Plotly reads ``<a href>``, ``<span style>``, ``<b>`` ... in any text as markup, in the browser
    and in PNG/SVG exports; every text that comes from outside goes through here.

    >>> plain('<a href="x">Fed & co</a>')
    '&lt;a href="x"&gt;Fed &amp; co&lt;/a&gt;'
    """
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
