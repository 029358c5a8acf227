"""``kill -9`` of a real ``aftershock refresh`` at random points never loses or half-writes data.

The store starts with the DeepSeek pack up to mid-2025, so the first refreshes also have prices
to write (the watchlist update); later ones write the fetch log and their run. After every kill:
each price stored before is still there unchanged, every stored price is the pack's, and every
run folder under ``results/`` is complete and loadable. A final normal run records ``ok``.
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from analytics.data.sources.files import read_pack
from analytics.data.store import PriceStore
from app.jobs.archive import last_refresh, list_runs, load_run
from tests.support import AFTERSHOCK, CHIPS_CONFIG, DEEPSEEK_PACK, cli_env, fill_store

pytestmark = pytest.mark.slow

KILLS = 20
SEED = 20250127
FRAMES = {"aar", "aggregate", "days", "excluded", "firms", "tests", "windows"}


def stored(store: Path) -> pd.DataFrame:
    return PriceStore(store).prices()


def check_runs(store: Path) -> set[str]:
    """Every run folder is complete and loads; return the run ids."""
    folder = store / "results" / "chips"
    visible = (
        sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []
    )
    for path in visible:
        assert {p.name for p in path.iterdir()} == {"frames", "result.json", "run.json"}, path
        assert {p.stem for p in (path / "frames").iterdir()} == FRAMES, path
        run = load_run(store, "chips", path.name)
        assert run.record.status == "ok" and run.result_json is not None
        assert run.frames["firms"]["ticker"].tolist() == ["NVDA", "AMD", "AVGO", "MU", "TSM"]
    listed = list_runs(store)
    assert sorted(listed["run_id"]) == [p.name for p in visible]
    return set(listed["run_id"])


def test_kill_9_at_random_points(tmp_path: Path) -> None:
    pack = read_pack(DEEPSEEK_PACK)[["ticker", "date", "adj_close"]]
    (tmp_path / "aftershock.toml").write_text(CHIPS_CONFIG, encoding="utf-8")
    store = tmp_path / "store"
    fill_store(store)
    command = [str(AFTERSHOCK), "refresh", "--no-export"]

    def start(root: Path) -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, cwd=tmp_path, env=cli_env(root),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    # Time a whole run on a copy, so the store under test still has prices to fetch, and the
    # interpreter start-up (imports), where nothing is written: kills aim mostly after it.
    scratch = tmp_path / "scratch"
    shutil.copytree(store, scratch)
    began = time.monotonic()
    assert start(scratch).wait(timeout=300) == 0
    duration = time.monotonic() - began
    began = time.monotonic()
    subprocess.run([str(AFTERSHOCK), "--help"], capture_output=True, check=True, timeout=300)
    startup = time.monotonic() - began

    rng = random.Random(SEED)
    outcomes: Counter[str] = Counter()
    # A run may finish before its delay is up (timings vary with the machine's load): keep
    # going until KILLS runs were killed, within a bound on attempts, aiming at the fastest run.
    while outcomes["killed"] < KILLS and outcomes.total() < 5 * KILLS:
        before, runs_before = stored(store), check_runs(store)
        proc = start(store)
        began = time.monotonic()
        try:
            proc.wait(timeout=rng.uniform(0.8 * min(startup, duration), 0.9 * duration))
            outcomes["finished"] += 1
            # The timed run was slow (a load spike): aim the next kills inside the runs seen.
            duration = min(duration, time.monotonic() - began)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=60)
            outcomes["killed"] += 1
        after = stored(store)
        kept = before.merge(after, on=["ticker", "date"], how="left", suffixes=("", "_after"))
        assert kept["adj_close_after"].notna().all()
        assert (kept["adj_close"] == kept["adj_close_after"]).all()
        genuine = after.merge(pack, on=["ticker", "date"], how="left", suffixes=("", "_pack"))
        assert (genuine["adj_close"] == genuine["adj_close_pack"]).all()
        assert runs_before <= check_runs(store)
    assert outcomes["killed"] == KILLS, outcomes

    final = start(store)
    assert final.wait(timeout=300) == 0
    record = last_refresh(store)
    assert record is not None and record.status == "ok" and record.errors == ()
    assert load_run(store, "chips", record.runs["chips"]).record.status == "ok"
    assert not [p for p in (store / "results").rglob(".tmp-*")]
