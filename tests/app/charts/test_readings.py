"""Plain-language readings never call a cross-sectional test on a handful of firms evidence."""

from __future__ import annotations

import pandas as pd

from app.charts import significance
from app.charts.readings import describe_test


def test_a_test_on_few_firms_is_read_as_unreliable() -> None:
    # The case: BMP t = −51 from N = 2 read "very unlikely to be noise".
    text = describe_test("bmp_t", -51.0, 0.0124, n=2)
    assert text.endswith("unreliable with only 2 firms (fewer than 10)")
    assert "noise" not in text
    assert "unreliable" in describe_test("patell_z", -7.1, 1e-12, n=9)
    assert describe_test("patell_z", -7.1, 1e-12, n=10).endswith("very unlikely to be noise")
    # Time-series tests stay readable with few firms.
    assert describe_test("portfolio_t", -6.3, 1e-9, n=2).endswith("very unlikely to be noise")
    assert describe_test("bmp_t", -51.0, 0.0124).endswith("probably not noise (significant at 5%)")


def test_the_tests_table_reads_its_firm_counts() -> None:
    tests = pd.DataFrame(
        {
            "window": ["0:0"] * 3,
            "test": ["bmp_t", "kp_bmp_t", "portfolio_t"],
            "stat": [-51.0, -40.0, -6.3],
            "p": [0.0124, 0.0159, 1e-9],
            "n": [2, 2, 2],
        }
    )
    (table,) = significance.test_statistics_table(tests, window="0:0").data
    readings = list(table.cells.values[3])
    assert readings[:2] == ["unreliable with only 2 firms (fewer than 10)"] * 2
    assert readings[2] == "the average abnormal return is very unlikely to be noise"
