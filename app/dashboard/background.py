"""Background callbacks in processes forked by a single-threaded helper, for fork safety.

:class:`ForkingManager` is Dash's ``DiskcacheManager`` (results and progress kept in a diskcache,
one process per job, cancel by killing it) with two changes:

* Dash forks each job from the server process. Under a threaded server (waitress) another thread
  may hold a lock at that instant, e.g. the class-wide lock of a ``functools.cached_property``
  being computed (Python 3.11), and the job then waits for it forever: the study never finishes
  and its polls never end. Here a helper process, forked by :meth:`ForkingManager.start` once
  every callback is registered and before the server starts its threads, forks the jobs. It
  never runs a second thread, so a job starts with no lock held.
* Every job request gets its own result key. Dash keys a result by the callback's inputs and
  deletes it when the first poll reads it, so two visitors asking for the same study at once
  shared one key and the second waited forever for a result already taken.
* Stopping a job that has just exited is not an error (Dash's manager lets
  ``psutil.NoSuchProcess`` escape, which fails the poll request with HTTP 500).
* A job that has exited with its result stored still counts as running until the result is
  read. A poll reads the result, then asks whether the job runs: a job that stored its result
  and exited between the two was taken for cancelled, and its result never reached the page
  (the study stayed "running" for good, seen on a loaded 2-core machine).
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from multiprocessing.connection import Connection
from typing import Any, Final, NoReturn

import diskcache
import psutil
from dash import DiskcacheManager

__all__ = ["ForkingManager"]

logger = logging.getLogger(__name__)

_REAP_S: Final = 0.5
_UNKNOWN_JOB: Final = -1
# Server ends of every helper's pipe: a helper closes the others', so that each helper sees
# end-of-file, and exits, as soon as its own server is gone.
_SERVER_ENDS: list[Connection] = []


class ForkingManager(DiskcacheManager):
    """Dash's diskcache background-callback manager, with jobs forked by a clean helper.

    Parameters
    ----------
    cache
        Where results and progress go.
    """

    def __init__(self, cache: diskcache.Cache) -> None:
        super().__init__(cache)
        self._helper: Connection | None = None
        self._lock = threading.Lock()
        self._keys: dict[int, str] = {}  # job → its result key, until the result is read

    def start(self) -> None:
        """Fork the helper; call it after the app's callbacks are registered, before serving."""
        server_end, helper_end = multiprocessing.Pipe()
        jobs = {id(job): job for job in self.func_registry.values()}
        pid = os.fork()
        if pid == 0:
            for other in (*_SERVER_ENDS, server_end):
                other.close()
            _serve(helper_end, jobs)
        helper_end.close()
        _SERVER_ENDS.append(server_end)
        self._helper = server_end
        logger.debug("background job helper started, pid %s", pid)

    def build_cache_key(
        self, fn: Callable[..., Any], args: Any, cache_args_to_ignore: Any, triggered: Any
    ) -> str:
        """Dash's key of the job's inputs, made unique per request (see the module docstring)."""
        key: str = super().build_cache_key(fn, args, cache_args_to_ignore, triggered)
        return f"{key}-{uuid.uuid4().hex}"

    def call_job_fn(self, key: str, job_fn: Callable[..., None], args: Any, context: Any) -> int:
        """Start a job; returns its process id (what Dash stops it by)."""
        if self._helper is not None:
            request = (id(job_fn), key, self._make_progress_key(key), args, context)
            try:
                with self._lock:
                    self._helper.send(request)
                    pid: int = self._helper.recv()
            except (OSError, EOFError):
                logger.warning("background job helper is gone; forking jobs from the server")
                self._helper = None
            else:
                if pid != _UNKNOWN_JOB:
                    self._keys[pid] = key
                    return pid
        started: int = super().call_job_fn(key, job_fn, args, context)
        self._keys[started] = key
        return started

    def terminate_job(self, job: Any) -> None:
        """Kill job ``job`` and its children; one that already exited is fine."""
        if job is not None:
            self._keys.pop(int(job), None)
        with contextlib.suppress(psutil.NoSuchProcess):
            super().terminate_job(job)

    def job_running(self, job: Any) -> bool:
        """Whether job ``job`` is still running (not exited, not a zombie), or has exited
        leaving a result not read yet (see the module docstring)."""
        try:
            running: bool = super().job_running(job)
        except psutil.NoSuchProcess:
            running = False
        if running:
            return True
        key = self._keys.get(int(job)) if job else None
        if key is not None and self.result_ready(key):
            return True
        if job:
            self._keys.pop(int(job), None)
        return False


def _reap() -> None:
    """Collect the helper's exited jobs, so none stays a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _serve(connection: Connection, jobs: Mapping[int, Callable[..., None]]) -> NoReturn:
    """The helper: fork one process per job request until the server closes the pipe."""
    try:
        while True:
            _reap()
            if not connection.poll(_REAP_S):
                continue
            job_id, *call = connection.recv()
            job = jobs.get(job_id)
            if job is None:
                connection.send(_UNKNOWN_JOB)
                continue
            pid = os.fork()
            if pid == 0:
                connection.close()
                _run(job, call)
            connection.send(pid)
    except (EOFError, OSError, KeyboardInterrupt):
        pass
    finally:
        os._exit(0)


def _run(job: Callable[..., None], call: list[Any]) -> NoReturn:
    """A job process: run the job (it stores its result or error itself), then exit."""
    status = 1
    try:
        job(*call)
        status = 0
    finally:
        os._exit(status)
