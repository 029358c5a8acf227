"""The store directory's committed state: the manifest, the year files it names, the writer lock.

A :class:`Snapshot` is one committed state (generation and a data file per year), read from
``manifest.json``. :class:`SnapshotFiles` reads it, runs queries on it (restarting when a writer
replaced its files), and gives writers the lock and the commit (see :mod:`analytics.data.store`
for the protocol). Only :class:`~analytics.data.store.PriceStore` uses this module.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from analytics.atomic import TEMP_PREFIX, fsync_dir, write_atomic
from analytics.data.decoded import DecodedFile, decoded
from analytics.data.schema import OPTIONAL_COLUMNS
from analytics.errors import StoreError

__all__ = ["DATA_FILE", "REBUILD", "SCHEMA", "VALUES", "Snapshot", "SnapshotFiles", "sql_list"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
VALUES: tuple[str, ...] = ("adj_close", *OPTIONAL_COLUMNS)
"""The value columns of a data file, in file order."""
SCHEMA = pa.schema(
    [("ticker", pa.string()), ("date", pa.date32())] + [(c, pa.float64()) for c in VALUES]
)
"""The Arrow schema of every data file."""
READ_ATTEMPTS = 5
DATA_FILE = re.compile(r"^\d{4}\.g\d{6,}\.parquet$")
"""Name of a data file: year and generation, e.g. ``2025.g000001.parquet``."""
REBUILD = "delete the store directory and re-import your data"


@dataclass(frozen=True)
class Snapshot:
    """A committed state of the store: its generation and the data file of each year."""

    generation: int
    files: Mapping[int, Path]

    def between(self, start: pd.Timestamp, end: pd.Timestamp) -> list[Path]:
        return [path for year, path in sorted(self.files.items()) if start.year <= year <= end.year]


def sql_list(paths: Sequence[Path]) -> str:
    quoted = ("'" + str(path).replace("'", "''") + "'" for path in paths)
    return "[" + ", ".join(quoted) + "]"


class SnapshotFiles:
    """The committed snapshots of the store directory ``root``.

    Parameters
    ----------
    root
        The store directory.
    lock_timeout
        Seconds a writer waits for another writer.
    db
        The DuckDB connection queries run on (one cursor per query).
    """

    def __init__(self, root: Path, *, lock_timeout: float, db: duckdb.DuckDBPyConnection) -> None:
        self.root = root
        self.lock_timeout = lock_timeout
        self._db = db

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def data_dir(self) -> Path:
        return self.root / "prices"

    def snapshot(self) -> Snapshot:
        try:
            raw = self.manifest.read_bytes()
        except FileNotFoundError:
            if self.data_dir.is_dir() and any(
                DATA_FILE.match(p.name) for p in self.data_dir.iterdir()
            ):
                raise StoreError(
                    f"store {self.root}: {self.manifest.name} is missing but {self.data_dir} "
                    f"holds data files; restore the manifest from a backup, or {REBUILD}"
                ) from None
            return Snapshot(0, {})
        except OSError as exc:
            raise StoreError(
                f"store {self.root}: cannot read {self.manifest} ({exc.strerror}); "
                "check the directory's permissions"
            ) from exc
        try:
            doc = json.loads(raw)
            files = {int(year): self.data_file(name) for year, name in doc["files"].items()}
            return Snapshot(int(doc["generation"]), files)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"store {self.root}: {self.manifest} is damaged ({exc!r}); "
                f"restore it from a backup, or {REBUILD}"
            ) from exc

    def data_file(self, name: object) -> Path:
        """The data file a manifest entry names; never one outside ``prices/``.

        Reads follow the manifest and writes delete the files it supersedes, so an entry with a
        path (absolute, ``..``, a subfolder) or a symbolic link would let whoever can edit the
        manifest make the store read or delete any file.
        """
        if not isinstance(name, str) or not DATA_FILE.fullmatch(name):
            raise ValueError(
                f"entry {name!r} is not a data file name like 2025.g000001.parquet: it points "
                f"outside {self.data_dir}"
            )
        path = self.data_dir / name
        if path.is_symlink():
            raise ValueError(
                f"entry {name!r} is a symbolic link: it points outside {self.data_dir}"
            )
        return path

    def read(self, run: Callable[[Snapshot, duckdb.DuckDBPyConnection], T]) -> T:
        """Run a query on the current snapshot, restarting if a writer replaced its files."""

        def query(snapshot: Snapshot) -> T:
            with self._db.cursor() as con:
                return run(snapshot, con)

        # IOException, InvalidInputException, and BinderException or ConversionException for
        # a column whose type another tool changed.
        return self._on_current(query, duckdb.Error)

    def decode(self, select: Callable[[Snapshot], list[Path]]) -> list[DecodedFile]:
        """The data files ``select`` picks from the current snapshot, decoded (once per process:
        :func:`analytics.data.decoded.decoded`), restarting if a writer replaced them."""
        return self._on_current(
            lambda snapshot: [decoded(path) for path in select(snapshot)],
            (OSError, pa.ArrowException, ValueError),
        )

    def _on_current(
        self,
        run: Callable[[Snapshot], T],
        errors: type[Exception] | tuple[type[Exception], ...],
    ) -> T:
        """``run(snapshot)`` on the current snapshot; on ``errors``, again on a newer one if a
        writer committed meanwhile, else the store's :meth:`unreadable` error."""
        snapshot = self.snapshot()
        for _ in range(READ_ATTEMPTS):
            try:
                return run(snapshot)
            except errors as exc:
                latest = self.snapshot()
                if latest.generation == snapshot.generation:
                    raise self.unreadable(latest, exc) from exc
                logger.debug(
                    "store %s: generation %s replaced during a read, retrying on %s",
                    self.root,
                    snapshot.generation,
                    latest.generation,
                )
                snapshot = latest
        raise StoreError(
            f"store {self.root}: writers replaced the data {READ_ATTEMPTS} times during one "
            "read; retry when the running import or refresh has finished"
        )

    def unreadable(self, snapshot: Snapshot, exc: Exception) -> StoreError:
        for path in snapshot.files.values():
            try:
                schema = pq.read_schema(path)
            except (OSError, pa.ArrowException) as bad:
                return StoreError(
                    f"store file {path} cannot be read ({bad}); it is damaged or was changed "
                    f"outside Aftershock: restore it from a backup, or {REBUILD}"
                )
            changed = [
                f"{f.name} is {schema.field(f.name).type}, not {f.type}"
                for f in SCHEMA
                if f.name in schema.names and schema.field(f.name).type != f.type
            ]
            if changed:
                return StoreError(
                    f"store damaged: file {path} was changed outside Aftershock "
                    f"({'; '.join(changed)}); restore it from a backup, or {REBUILD}"
                )
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return StoreError(f"store damaged: {self.root}: reading failed ({detail}); {REBUILD}")

    @contextlib.contextmanager
    def writing(self) -> Iterator[Snapshot]:
        """Hold the writer lock; yield the committed snapshot after removing crash leftovers."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            lock = FileLock(self.root / ".write.lock", timeout=self.lock_timeout)
            lock.acquire()
        except Timeout:
            raise StoreError(
                f"store {self.root}: another process has been writing for more than "
                f"{self.lock_timeout:g} s (lock {self.root / '.write.lock'}); wait for it to "
                "finish, or pass a larger lock_timeout"
            ) from None
        except OSError as exc:
            raise StoreError(
                f"store {self.root} is not writable ({exc.strerror or exc}); choose another "
                "store directory",
                parameter="store",
            ) from exc
        try:
            snapshot = self.snapshot()
            if not self.manifest.exists():
                self.commit(snapshot)
            self.remove_leftovers(snapshot)
            yield snapshot
        except OSError as exc:
            raise StoreError(
                f"store {self.root}: writing failed ({exc.strerror or exc}); the store keeps "
                "its previous data: free disk space or fix permissions, then retry"
            ) from exc
        finally:
            lock.release()

    def remove_leftovers(self, snapshot: Snapshot) -> None:
        current = {path.name for path in snapshot.files.values()}
        stale = [
            path
            for directory in (self.root, self.data_dir)
            for path in directory.iterdir()
            if path.name.startswith(TEMP_PREFIX)
            or (
                directory == self.data_dir
                and DATA_FILE.match(path.name) is not None
                and path.name not in current
            )
        ]
        for path in stale:
            path.unlink(missing_ok=True)
        if stale:
            logger.info(
                "store %s: removed %s file(s) left by an interrupted write", self.root, len(stale)
            )

    def commit(self, snapshot: Snapshot) -> None:
        doc = {
            "format": 1,
            "generation": snapshot.generation,
            "files": {str(year): path.name for year, path in sorted(snapshot.files.items())},
        }
        text = json.dumps(doc, indent=1).encode()
        write_atomic(self.manifest, lambda handle: handle.write(text))
        fsync_dir(self.root)
