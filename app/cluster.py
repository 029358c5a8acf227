"""Where the chunks of an out-of-core study run: here, or on a Dask cluster.

``--cluster local`` (or ``local:N``) starts a :class:`dask.distributed.LocalCluster` of N worker
processes (default: one per core) for the study; ``--cluster tcp://HOST:8786`` uses a running
scheduler, started with Dask's own ``dask scheduler`` and ``dask worker tcp://HOST:8786``.
Workers open the price store by its path, so they must see the same folder (a shared
filesystem). A chunk is a pure function that writes its files atomically under fixed names:
when a worker dies, the scheduler runs its chunks again elsewhere, with the same result.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from analytics.errors import DataError, SpecError
from analytics.study.engine.chunked import Mapper

__all__ = ["cluster_mapper", "dask_mapper"]

_LOCAL = re.compile(r"local(?::(\d+))?")


def dask_mapper(client: Any) -> Mapper:
    """A :data:`~analytics.study.engine.chunked.Mapper` that runs on ``client``'s cluster."""

    def run(function: Callable[..., Any], items: Iterable[Any]) -> Iterator[Any]:
        # Results in order, each let go once taken: the client never holds them all.
        futures = client.map(function, list(items), pure=False)
        futures.reverse()
        while futures:
            yield futures.pop().result()

    return run


@contextmanager
def cluster_mapper(address: str | None) -> Iterator[Mapper]:
    """The mapper for ``--cluster address`` (None: here, one chunk after the other)."""
    if address is None:
        yield map
        return
    from dask.distributed import Client, LocalCluster

    local = _LOCAL.fullmatch(address.strip())
    if local:
        workers = int(local.group(1) or os.cpu_count() or 1)
        if workers < 1:
            raise SpecError(f"--cluster: {address!r} asks for no worker; give local:1 or more")
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield dask_mapper(client)
        return
    if not address.startswith(("tcp://", "tls://")):
        raise SpecError(
            f"--cluster: {address!r} is not local, local:N or a scheduler address such as "
            "tcp://HOST:8786"
        )
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise DataError(
            f"--cluster: no Dask scheduler answers at {address} ({exc}); start one with "
            f"`dask scheduler` and workers with `dask worker {address}`"
        ) from exc
    with client:
        yield dask_mapper(client)
