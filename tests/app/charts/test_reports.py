"""The xlsx workbook and the LaTeX tables: every value read back is the number the study computed
(openpyxl reads the file independently), formats and layout as documented, limits refused."""

from __future__ import annotations

import io
import math
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from analytics.errors import AftershockError
from analytics.study.result import StudyResult
from analytics.study.spec import StudySpec
from analytics.workspace import Workspace
from app.charts import reports
from app.charts.reports import latex_tables, number_format, study_workbook
from app.charts.tables import study_settings
from tests.support import DEEPSEEK_PACK, REFERENCE

TICKERS = ("NVDA", "AVGO", "VST", "ASML", "ZZZZ")  # ZZZZ: not in the data, so excluded
WINDOWS = ("0:0", "-1:1")


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> StudyResult:
    if not DEEPSEEK_PACK.is_file():
        pytest.skip(f"shared market data not found at {DEEPSEEK_PACK}")
    workspace = Workspace.open(
        tmp_path_factory.mktemp("store"), data_pack=DEEPSEEK_PACK, reference=REFERENCE, offline=True
    )
    spec = StudySpec.create(
        tickers=",".join(TICKERS), date="2025-01-27", windows=WINDOWS, placebo=20
    )
    return workspace.run(spec)


def _read(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def test_every_sheet_reads_back_as_the_results_frames(result: StudyResult) -> None:
    frames = result.to_frames()
    book = _read(study_workbook(frames, study_settings(result)))
    assert book.sheetnames == ["settings", *frames]
    for name, frame in frames.items():
        sheet = book[name]
        rows = list(sheet.iter_rows(values_only=True))
        assert list(rows[0]) == [str(c) for c in frame.columns]
        assert len(rows) == len(frame) + 1, name
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        for j, column in enumerate(frame.columns):
            expected = frame[column]
            got = [row[j] for row in rows[1:]]
            for want, have in zip(expected, got, strict=True):
                if pd.isna(want):
                    assert have is None, (name, column)
                elif isinstance(want, pd.Timestamp):
                    assert have == want.to_pydatetime(), (name, column)
                elif isinstance(want, float | np.floating):
                    assert isinstance(have, float | int) and math.isclose(have, want, rel_tol=1e-15)
                else:
                    assert have == (want.item() if isinstance(want, np.generic) else want)


def test_number_formats_follow_the_columns(result: StudyResult) -> None:
    book = _read(study_workbook(result.to_frames()))
    windows = book["windows"]
    header = [c.value for c in windows[1]]
    formats = {
        name: windows.cell(row=2, column=i + 1).number_format for i, name in enumerate(header)
    }
    assert formats["car"] == "0.00%" and formats["bhar"] == "0.00%"
    assert formats["t"] == "0.000" and formats["p"] == "0.0000"
    assert formats["dollar_impact"] == "#,##0"
    firms = book["firms"]
    day0 = [c.value for c in firms[1]].index("day0") + 1
    assert firms.cell(row=2, column=day0).number_format == "yyyy-mm-dd"
    tests = book["tests"]
    last = tests.cell(row=1, column=tests.max_column).column_letter
    assert tests.auto_filter.ref == f"A1:{last}{len(result.tests) + 1}"


def test_the_settings_sheet_is_flat(result: StudyResult) -> None:
    settings = study_settings(result, universe="chips", sources=["data pack"])
    rows = dict(_read(study_workbook({}, settings))["settings"].iter_rows(values_only=True))
    assert rows["model"] == "market" and rows["universe.name"] == "chips"
    assert rows["windows"] == "0:0, -1:1"
    assert rows["placebo.draws"] == "20"


def test_number_format_by_name_and_type() -> None:
    assert number_format("car_-1_1", np.dtype("float64")) == "0.00%"
    assert number_format("p_-1_1", np.dtype("float64")) == "0.0000"
    assert number_format("n", np.dtype("int64")) == "#,##0"
    assert number_format("ticker", np.dtype("object")) is None
    assert number_format("date", np.dtype("datetime64[ns]")) == "yyyy-mm-dd"
    assert number_format("var_car", np.dtype("float64")) == "0.00E+00"


def test_a_table_longer_than_a_sheet_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reports, "MAX_SHEET_ROWS", 3)
    with pytest.raises(AftershockError, match="days table has 4 rows, more than a sheet holds"):
        study_workbook({"days": pd.DataFrame({"ar": [0.1, 0.2, 0.3, 0.4]})})


def test_sheet_names_are_valid_and_distinct() -> None:
    frames = {"a/b": pd.DataFrame({"x": [1]}), "a:b": pd.DataFrame({"x": [2]})}
    assert _read(study_workbook(frames)).sheetnames == ["a_b", "a_b (2)"]


def test_latex_has_one_booktabs_table_per_window_with_every_test(result: StudyResult) -> None:
    text = latex_tables(result)
    tables = re.findall(r"\\begin\{table\}.*?\\end\{table\}", text, flags=re.S)
    assert len(tables) == len(WINDOWS)
    assert text.count(r"\toprule") == text.count(r"\midrule") == text.count(r"\bottomrule") == 2
    aggregate = result.aggregate.set_index("window")
    for window, table in zip(WINDOWS, tables, strict=True):
        caar = aggregate.loc[window, "caar"] * 100
        assert f"CAAR (\\%) & ${caar:.2f}$ & & {int(aggregate.loc[window, 'n'])} \\\\" in table
        tests = result.tests[result.tests["window"] == window]
        body = table.split(r"\midrule")[1].split(r"\bottomrule")[0].strip().splitlines()
        assert len(body) == 1 + len(tests)
        for line, test in zip(body[1:], tests.itertuples(index=False), strict=True):
            stat = "" if not math.isfinite(test.stat) else f"${test.stat:.3f}$"
            p = "" if not math.isfinite(test.p) else f"${test.p:.4f}$"
            assert line.endswith(f"& {stat} & {p} & {int(test.n)} \\\\"), line
    assert r"\caption{Event window $[-1, +1]$: CAAR and tests}" in tables[1]
    assert r"\caption{Event window $[0, 0]$: CAAR and tests}" in tables[0]
    assert "Placebo" in tables[0] and "Patell Z" in tables[0]


def test_latex_escapes_what_tex_reads_as_commands(result: StudyResult) -> None:
    tests = result.tests.copy()
    tests.loc[0, "test"] = "odd_name & 100% #1"
    odd = type("Odd", (), {"spec": result.spec, "aggregate": result.aggregate, "tests": tests})
    text = latex_tables(odd())  # type: ignore[arg-type]
    assert r"odd\_name \& 100\% \#1 &" in text
