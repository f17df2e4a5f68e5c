"""Polling for a lock, shared by every backend.

Each backend knows how to *try* its lock without blocking (``flock(LOCK_NB)``,
``pg_try_advisory_lock``, ``GET_LOCK(name, 0)``) and how to ask who holds it. Waiting is the same
everywhere: try, and if another run holds the lock, report who it is every few seconds and give
up after the timeout with ``LockTimeout``. Never blocking inside the database also avoids the
deadlock between a blocked advisory-lock wait and ``CREATE INDEX CONCURRENTLY``.
"""

from __future__ import annotations

import time
from typing import Callable

from ...errors import LockTimeout
from .base import WaitCallback

REPORT_EVERY = 3.0
_FIRST_DELAY, _MAX_DELAY = 0.02, 0.25


def wait_for_lock(
    try_acquire: Callable[[], bool],
    holder: Callable[[], "str | None"],
    timeout: float,
    on_wait: WaitCallback,
) -> None:
    """Return once ``try_acquire()`` succeeded; raise LockTimeout after ``timeout`` seconds."""
    if try_acquire():
        return
    started = time.monotonic()
    next_report = started
    delay = _FIRST_DELAY
    while True:
        now = time.monotonic()
        if now >= next_report:
            on_wait(holder(), now - started)
            next_report = now + REPORT_EVERY
        if now - started >= timeout:
            raise LockTimeout(timeout, holder())
        time.sleep(min(delay, max(0.0, started + timeout - now)))
        delay = min(delay * 2, _MAX_DELAY)
        if try_acquire():
            return
