"""Environment variables are read in one module, :mod:`app.settings`, read from the source.

Every other module of ``analytics`` and ``app`` gets its settings passed in, so a test or a
notebook can give them without touching the process environment.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.support import REPO

ALLOWED = {REPO / "app" / "settings.py"}
FILES = sorted(p for package in ("analytics", "app") for p in (REPO / package).rglob("*.py"))


def _reads_environment(path: Path) -> list[int]:
    """Lines that touch ``os.environ`` / ``os.getenv`` (or import them from ``os``)."""
    names = {"environ", "getenv", "environb"}
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute):
            hit = node.attr in names
        elif isinstance(node, ast.ImportFrom):
            hit = node.module == "os" and any(a.name in names for a in node.names)
        else:
            continue
        if hit:
            lines.append(node.lineno)
    return lines


def test_the_scan_sees_a_read() -> None:
    # Not vacuous: the one allowed module is found reading the environment.
    assert _reads_environment(REPO / "app" / "settings.py")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_only_settings_reads_the_environment(path: Path) -> None:
    if path in ALLOWED:
        return
    lines = _reads_environment(path)
    where = ", ".join(map(str, lines))
    assert not lines, (
        f"{path.relative_to(REPO)} reads the environment (line {where}); use app.settings"
    )
