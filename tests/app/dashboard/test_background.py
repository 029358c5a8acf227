"""Background jobs forked by a clean helper finish even while a server thread holds a lock."""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path
from typing import Any

import diskcache
import psutil
import pytest

from app.dashboard.background import ForkingManager

HOLD_S = 3.0


class Slow:
    """A class whose cached property takes a while: Python 3.11 computes it under a lock shared
    by every instance, so a process forked meanwhile inherits the lock held, forever."""

    @functools.cached_property
    def value(self) -> int:
        time.sleep(HOLD_S)
        return 42


def _read_slow(offset: int) -> int:
    return Slow().value + offset


def _pid() -> int:
    return os.getpid()


def _result(manager: ForkingManager, key: str, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if manager.result_ready(key):
            return manager.get_result(key, None)
        time.sleep(0.05)
    raise AssertionError(f"no result for {key} within {timeout:g} s")


@pytest.fixture
def manager(tmp_path: Path) -> ForkingManager:
    jobs = ForkingManager(diskcache.Cache(str(tmp_path / "jobs")))
    jobs.register("slow", _read_slow, False)
    jobs.register("pid", _pid, False)
    jobs.start()
    return jobs


def test_a_job_started_while_a_lock_is_held_finishes(manager: ForkingManager) -> None:
    holder = threading.Thread(target=lambda: Slow().value)
    holder.start()
    time.sleep(0.5)  # the holder is now inside the cached property, holding its lock
    pid = manager.call_job_fn("k1", manager.func_registry["slow"], [1], {})
    assert pid != os.getpid()
    assert _result(manager, "k1", timeout=4 * HOLD_S) == 43
    holder.join()


def test_jobs_are_forked_by_the_helper_and_reaped(manager: ForkingManager) -> None:
    pid = manager.call_job_fn("k2", manager.func_registry["pid"], [], {})
    assert _result(manager, "k2", timeout=10) == pid
    deadline = time.monotonic() + 5
    while manager.job_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not manager.job_running(pid)
    manager.terminate_job(pid)  # already gone: not an error


def _exited(pid: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        if time.monotonic() > deadline:
            raise AssertionError(f"job {pid} still runs after {timeout:g} s")
        time.sleep(0.05)


def test_a_job_that_exited_with_its_result_unread_still_counts_as_running(
    manager: ForkingManager,
) -> None:
    """Dash polls by reading the result, then asking whether the job runs: a job that stores
    its result and exits between the two must not be taken for cancelled (its result lost)."""
    pid = manager.call_job_fn("k4", manager.func_registry["pid"], [], {})
    _exited(pid)
    assert manager.result_ready("k4")
    assert manager.job_running(pid)  # exited, but its result waits to be read
    assert manager.get_result("k4", pid) == pid  # the poll reads it and stops the job
    assert not manager.job_running(pid)


def test_a_job_that_exited_without_a_result_is_not_running(tmp_path: Path) -> None:
    manager = ForkingManager(diskcache.Cache(str(tmp_path / "jobs")))
    pid = manager.call_job_fn("k5", lambda *_: os._exit(3), [], {})  # dies storing nothing
    _exited(pid)
    assert not manager.job_running(pid)


def test_an_unknown_job_is_forked_from_the_server(manager: ForkingManager) -> None:
    late = manager.make_job_fn(_pid, False)  # made after the helper started
    pid = manager.call_job_fn("k3", late, [], {})
    assert _result(manager, "k3", timeout=10) == pid


def _double(x: int) -> int:
    time.sleep(0.3)
    return 2 * x


def test_two_clients_asking_for_the_same_job_both_get_its_result(tmp_path: Path) -> None:
    """Dash keys a job by its inputs and deletes the result at the first poll that reads it;
    two visitors starting the same study at once must still both receive it."""
    manager = ForkingManager(diskcache.Cache(str(tmp_path / "jobs")))
    manager.register("double", _double, False)
    manager.start()
    job_fn = manager.func_registry["double"]
    answers: dict[int, Any] = {}

    def client(n: int) -> None:
        # What Dash does per request: a key from the inputs, a job, then polls until a result.
        key = manager.build_cache_key(_double, [21], [], None)
        job = manager.call_job_fn(key, job_fn, [21], {})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            result = manager.get_result(key, job)
            if result is not manager.UNDEFINED:
                answers[n] = result
                return
            if not manager.job_running(job) and not manager.result_ready(key):
                # Dash answers "no update" here: this visitor would wait forever.
                answers[n] = "nothing"
                return
            time.sleep(0.02)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {0: 42, 1: 42}
