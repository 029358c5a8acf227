"""The store's process-level guarantees, exercised with real processes and SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.calendar import sessions
from analytics.data.store import PriceStore
from tests.support import REPO

pytestmark = pytest.mark.slow

# Child processes import the package from this checkout.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}

BIG_WRITE = """
import sys
import numpy as np, pandas as pd
from analytics.calendar import sessions
from analytics.data.store import PriceStore
days = sessions("2018-01-02", "2026-06-30")
names = np.array([f"NEW{i:04d}" for i in range(int(sys.argv[2]))])
frame = pd.DataFrame({
    "ticker": np.repeat(names, len(days)),
    "date": np.tile(days, len(names)),
    "adj_close": np.tile(np.arange(1.0, len(days) + 1), len(names)),
})
print("ready", flush=True)
PriceStore(sys.argv[1]).upsert(frame)
print("done", flush=True)
"""

VERSIONED_WRITES = """
import sys, time
import numpy as np, pandas as pd
from analytics.calendar import sessions
from analytics.data.store import PriceStore
store, days = PriceStore(sys.argv[1]), sessions("2023-06-01", "2025-06-30")
names = np.array([f"T{i:03d}" for i in range(200)])
stop, version = time.monotonic() + float(sys.argv[2]), 2
while time.monotonic() < stop:
    store.upsert(pd.DataFrame({
        "ticker": np.repeat(names, len(days)),
        "date": np.tile(days, len(names)),
        "adj_close": float(version),
    }))
    version += 1
print(version - 2, flush=True)
"""

READ_LOOP = """
import json, sys, time
import numpy as np
from analytics.data.store import PriceStore
store, stop = PriceStore(sys.argv[1]), time.monotonic() + float(sys.argv[2])
rows, seen, reads, bad = int(sys.argv[3]), set(), 0, []
while time.monotonic() < stop:
    long = store.prices(None, "2023-01-01", "2025-12-31")
    panel = store.panel([f"T{i:03d}" for i in range(200)], "2023-06-01", "2025-06-30")
    for values in (long["adj_close"].to_numpy(), panel.to_numpy().ravel()):
        versions = np.unique(values)
        if len(values) != rows or len(versions) != 1:
            bad.append(f"{len(values)} values, versions {versions[:5].tolist()}")
        seen.update(versions.tolist())
    reads += 1
print(json.dumps({"reads": reads, "versions": len(seen), "bad": bad[:5]}))
"""


def _versioned_frame(version: float) -> pd.DataFrame:
    days = sessions("2023-06-01", "2025-06-30")
    names = np.array([f"T{i:03d}" for i in range(200)])
    return pd.DataFrame(
        {
            "ticker": np.repeat(names, len(days)),
            "date": np.tile(days, len(names)),
            "adj_close": version,
        }
    )


def _start(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the writer ended before the kill point: {process.communicate()}")
        time.sleep(0.002)


def _temp_exists(store: PriceStore) -> bool:
    return any(p.name.startswith(".tmp-") for p in (store.root / "prices").iterdir())


def _new_data_file(store: PriceStore, before: set[str]) -> bool:
    names = {p.name for p in (store.root / "prices").iterdir() if not p.name.startswith(".")}
    return bool(names - before)


def _committed(store: PriceStore) -> bool:
    return json.loads((store.root / "manifest.json").read_text())["generation"] > 1


@pytest.mark.parametrize("kill_point", ["temp file", "renamed file", "after 0.5 s", "commit"])
def test_sigkill_mid_write_keeps_previous_data(tmp_path: Path, kill_point: str) -> None:
    store = PriceStore(tmp_path / "store", lock_timeout=10)
    days = sessions("2017-06-01", "2026-07-31")
    old = pd.DataFrame(
        {"ticker": np.repeat(["OLD", "^OLD"], len(days)), "date": np.tile(days, 2)}
    ).assign(adj_close=np.arange(1.0, 2 * len(days) + 1))
    store.upsert(old)
    before = store.prices(None, columns=("adj_close", "volume"))
    names_before = {p.name for p in (store.root / "prices").iterdir()}

    writer = _start(BIG_WRITE, store.root, 1500)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    conditions: dict[str, Callable[[], bool]] = {
        "temp file": lambda: _temp_exists(store),
        "renamed file": lambda: _new_data_file(store, names_before),
        "commit": lambda: _committed(store),
    }
    if kill_point in conditions:
        _wait_for(conditions[kill_point], writer)
    else:
        time.sleep(0.5)
    writer.send_signal(signal.SIGKILL)
    writer.communicate()
    assert writer.returncode == -signal.SIGKILL, "the writer finished before it was killed"

    kept = store.prices(["OLD", "^OLD"], columns=("adj_close", "volume"))
    pd.testing.assert_frame_equal(kept, before)
    new_rows = store.coverage(["NEW0000", "NEW1499"])["rows"].tolist()
    full = len(sessions("2018-01-02", "2026-06-30"))
    assert new_rows in ([0, 0], [full, full]), "a reader saw a partial write"

    # The lock died with the writer; the next write removes the leftovers and succeeds.
    assert store.upsert(pd.DataFrame({"ticker": ["OLD"], "date": [days[0]], "adj_close": [9.5]}))
    leftovers = sorted(p.name for p in (store.root / "prices").iterdir())
    assert leftovers == sorted(p.name for p in store.files())
    assert not [p for p in store.root.iterdir() if p.name.startswith(".tmp-")]
    assert store.prices("OLD")["adj_close"].iloc[0] == 9.5


def test_readers_see_whole_snapshots_while_another_process_writes(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "store")
    store.upsert(_versioned_frame(1.0))
    rows = len(_versioned_frame(1.0))
    writer = _start(VERSIONED_WRITES, store.root, 6)
    reader = _start(READ_LOOP, store.root, 6, rows)
    out, err = reader.communicate(timeout=120)
    writes, writer_err = writer.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert writer.returncode == 0, writer_err
    summary = json.loads(out)
    assert summary["bad"] == []
    assert int(writes) >= 3 and summary["reads"] >= 3
    # Each write rewrites three year files; the reader saw several complete versions.
    assert summary["versions"] >= 2
    assert store.prices()["adj_close"].nunique() == 1


MANY_WRITES = """
import sys
import pandas as pd
from analytics.data.store import PriceStore
store = PriceStore(sys.argv[1])
for i in range(5):
    store.upsert(pd.DataFrame({
        "ticker": [f"{sys.argv[2]}{i}"] * 2,
        "date": ["2024-12-31", "2025-01-02"],
        "adj_close": [1.0, 2.0],
    }))
"""


def test_concurrent_writers_lose_no_update(tmp_path: Path) -> None:
    store = PriceStore(tmp_path / "store")
    writers = [_start(MANY_WRITES, store.root, prefix) for prefix in ("A", "B", "C")]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    assert store.tickers() == [f"{p}{i}" for p in "ABC" for i in range(5)]
    assert json.loads((store.root / "manifest.json").read_text())["generation"] == 15
