"""Who has the database open: an advisory lock on a file beside it (`sportnode.sqlite3.lock`).

Every process that opens the database (`serve`, and each CLI command while it runs) holds a shared
lock; `restore` takes it exclusively, so it replaces the file only when nothing has it open, and
nothing can open it while a restore runs. A lock file and not the database itself: SQLite takes
POSIX locks on the database, which on network file systems are the same locks as flock's.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Busy(Exception):
    """Another process holds the lock in a way that excludes ours."""


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".lock")


def _take(database: Path, mode: int) -> int:
    database.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(database), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise Busy(str(database)) from None
    return fd


def hold_shared(database: Path) -> int:
    """The descriptor holding a shared lock (released by `release` or when the process ends)."""
    return _take(database, fcntl.LOCK_SH)


def hold_exclusive(database: Path) -> int:
    return _take(database, fcntl.LOCK_EX)


def release(fd: int) -> None:
    os.close(fd)  # closing the descriptor drops its flock
