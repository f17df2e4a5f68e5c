"""SIGINT and SIGTERM during a run: stop at a point where the bookkeeping tells the truth.

Whose job: the executor holds a ``SignalGuard`` while it runs a plan. A signal then raises
``Interrupted`` (a KeyboardInterrupt) in the main thread, and the executor turns it into a
``MigrationFailed`` saying where each app stands, with exit code 128 + the signal's number.

Where it is raised depends on what the database can undo:

* inside a migration that is one transaction, at once: the transaction is rolled back, so
  stopping mid-statement is safe (psycopg also cancels the statement on the server);
* inside a migration that runs statement by statement (MySQL, ``transaction off``), the executor
  marks those regions ``deferred()``: the running statement and its progress counter finish
  first, then the run stops, so the dirty mark says exactly how far it got. A second signal stops
  at once (the operator insists); the resume then checks the catalog for the statement that was
  cut off (``ddl_effects``).

Handlers are installed only in the main thread, and only over the defaults (Python's Ctrl-C
handler, SIG_DFL, or the CLI's own): a program embedding modmig that handles these signals itself
keeps its handlers, and an ignored signal stays ignored. They are restored after the run.

May import: ``modmig.errors``. Must not import anything else of modmig.
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Iterator

from ..errors import Interrupted, raise_interrupted

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class SignalGuard:
    """While entered, SIGINT/SIGTERM raise ``Interrupted``, or wait inside ``deferred()`` blocks."""

    def __init__(self) -> None:
        self._saved: dict[int, object] = {}
        self._deferring = 0
        #: A signal that arrived inside ``deferred()`` and has not been raised yet.
        self.pending: int | None = None

    def __enter__(self) -> "SignalGuard":
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            if current in (signal.default_int_handler, signal.SIG_DFL, raise_interrupted):
                self._saved[signum] = current
                signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]
        self._saved.clear()

    @contextmanager
    def deferred(self, running: str = "the running statement") -> Iterator[None]:
        """A signal arriving inside is only noted: ``check()`` raises it where stopping is safe."""
        self._deferring += 1
        self._running = running
        try:
            yield
        finally:
            self._deferring -= 1

    def check(self) -> None:
        """Raise the signal that arrived while deferring, if any."""
        if self.pending is not None:
            signum, self.pending = self.pending, None
            raise Interrupted(signum)

    def _handle(self, signum: int, _frame: object) -> None:
        if self._deferring and self.pending is None:
            self.pending = signum
            name = signal.Signals(signum).name
            sys.stderr.write(
                f"\n{name} received: stopping after {self._running} finishes, so the progress "
                f"recorded stays exact. Send it again to stop at once.\n"
            )
            sys.stderr.flush()
            return
        raise Interrupted(signum)
