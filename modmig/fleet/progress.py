"""What a fleet run reports while it happens, and the bookkeeping of its counts.

The runner calls ``Progress.finished(result)`` once per target outcome; ``Progress`` appends it to
the journal first (so a crash right after loses nothing), updates the counts, and tells the
``on_progress`` callback. The CLI draws its progress line (done / failed / remaining, rate, ETA)
from these events; a Python caller may use them for metrics. ``TargetEvent`` wraps the events of
the single-database run on one target (``modmig.events``), with the target's name.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable, Union

from ..events import Event
from .journal import Journal
from .outcome import TargetResult


@dataclass(frozen=True)
class FleetStarted:
    fleet: str
    command: str
    #: Targets in this run (a gone target counts as one).
    total: int
    parallel: int


@dataclass(frozen=True)
class TargetFinished:
    result: TargetResult
    done: int
    failed: int
    remaining: int
    #: Seconds since the run started, for rates and ETAs.
    elapsed: float


@dataclass(frozen=True)
class TargetEvent:
    """An event of the single-database run on one target (RunStarted, StepFinished, LockWaiting...)."""

    target: str
    event: Event


FleetEvent = Union[FleetStarted, TargetFinished, TargetEvent]
ProgressCallback = Callable[[FleetEvent], None]


def ignore_progress(_event: FleetEvent) -> None:
    """The default ``on_progress``."""


class Progress:
    """Counts outcomes, records each in the journal, and reports it (thread-safe)."""

    def __init__(self, total: int, journal: Journal, on_progress: ProgressCallback) -> None:
        self.total, self.journal, self.on_progress = total, journal, on_progress
        self.done = self.failed = 0
        self._clock = time.perf_counter()
        self._lock = threading.Lock()

    def finished(self, results: Iterable[TargetResult]) -> None:
        results = list(results)
        self.journal.record(results)
        for result in results:
            with self._lock:
                self.done += 1
                self.failed += result.status == "failed"
                event = TargetFinished(result, self.done, self.failed, self.total - self.done, time.perf_counter() - self._clock)
            self.on_progress(event)
