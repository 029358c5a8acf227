"""Crash-safe file writes: a reader sees the old file or the new one, never a part of either.

The technique: write a temporary file in the same directory, flush and ``fsync`` it, rename it
over the target (``os.replace`` is atomic on POSIX), and ``fsync`` the directory so the rename
itself survives a power cut. Temporary names start with :data:`TEMP_PREFIX` so that leftovers of
a killed writer are recognizable and can be cleaned up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["TEMP_PREFIX", "fsync_dir", "write_atomic"]

TEMP_PREFIX = ".tmp-"
"""Prefix of in-progress files and folders; anything carrying it is not yet committed."""


def fsync_dir(directory: Path) -> None:
    """Make the entries of ``directory`` (creations, renames, deletions) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: Path, content: bytes | Callable[[BinaryIO], object], *, sync_dir: bool = False
) -> None:
    """Replace ``path`` with ``content`` (bytes, or a function writing to a binary handle).

    The parent directory is created if missing; with ``sync_dir`` the rename is made durable too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f"{TEMP_PREFIX}{uuid.uuid4().hex}{path.suffix}")
    try:
        with open(temp, "wb") as handle:
            if isinstance(content, bytes):
                handle.write(content)
            else:
                content(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    if sync_dir:
        fsync_dir(path.parent)
