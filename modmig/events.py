"""What a run reports while it happens, for the CLI's progress lines and for embedding callbacks.

The executor and the api call ``on_event(event)`` with one of these; they carry data only, and the
receiver decides how (or whether) to show them. In order, a run sends::

    LockWaiting*  StatementWaiting*  RunStarted  (StepStarted  StepFinished|StepFailed)*  RunFinished

``RunStarted`` / ``RunFinished`` come before and after every run that has something to do (a
run with nothing to do sends neither); ``StepStarted`` comes before each step runs and
``StepFinished`` after it committed. A callback is any ``callable(event)``; subclass
``Listener`` to get one method per event instead. A callback that raises stops the run at that
point: the steps already committed stay applied, and the exception reaches the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Optional, Union

from .model import Plan, Step


@dataclass(frozen=True)
class LockWaiting:
    holder: str | None
    waited: float


@dataclass(frozen=True)
class StatementWaiting:
    """Before resuming, a run waits for a statement the run that stopped left running on the
    server (MariaDB finishes a DDL statement whose client died): what it is, and for how long."""

    statement: str
    waited: float


@dataclass(frozen=True)
class RunStarted:
    plan: Plan


@dataclass(frozen=True)
class StepStarted:
    step: Step
    index: int
    total: int
    #: Statements skipped because a previous, interrupted run already executed them.
    resumed_from: int = 0


@dataclass(frozen=True)
class StepFinished:
    step: Step
    index: int
    total: int
    duration_ms: int


@dataclass(frozen=True)
class StepFailed:
    step: Step
    index: int
    total: int
    duration_ms: int
    error: str


@dataclass(frozen=True)
class RunFinished:
    plan: Plan
    steps_done: int
    duration_ms: int
    success: bool


Event = Union[LockWaiting, StatementWaiting, RunStarted, StepStarted, StepFinished, StepFailed, RunFinished]
EventCallback = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The default listener."""


def fan_out(callbacks: Iterable[Optional[EventCallback]]) -> EventCallback:
    """One callback that calls each of ``callbacks`` in turn (None and ``ignore`` are skipped)."""
    chosen = [callback for callback in callbacks if callback is not None and callback is not ignore]
    if not chosen:
        return ignore
    if len(chosen) == 1:
        return chosen[0]

    def call_each(event: Event) -> None:
        for callback in chosen:
            callback(event)

    return call_each


class Listener:
    """Callbacks before and after each run and each step: override the methods you need.

    An instance is an ``on_event`` callback::

        class Metrics(Listener):
            def step_finished(self, event: StepFinished) -> None:
                statsd.timing(f"migration.{event.step.label}", event.duration_ms)

        Project.load(".", on_event=Metrics()).upgrade()
    """

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepStarted):
            self.step_started(event)
        elif isinstance(event, StepFinished):
            self.step_finished(event)
        elif isinstance(event, StepFailed):
            self.step_failed(event)
        elif isinstance(event, RunStarted):
            self.run_started(event)
        elif isinstance(event, RunFinished):
            self.run_finished(event)
        elif isinstance(event, LockWaiting):
            self.lock_waiting(event)
        elif isinstance(event, StatementWaiting):
            self.statement_waiting(event)

    def run_started(self, event: RunStarted) -> None:
        """Before the first step of a run (the plan is ``event.plan``)."""

    def step_started(self, event: StepStarted) -> None:
        """Before a step runs."""

    def step_finished(self, event: StepFinished) -> None:
        """After a step committed (with its version bump and history row)."""

    def step_failed(self, event: StepFailed) -> None:
        """After a step failed and was rolled back (or left dirty, without a transaction)."""

    def run_finished(self, event: RunFinished) -> None:
        """After the last step, or after the failed one (``event.success`` says which)."""

    def lock_waiting(self, event: LockWaiting) -> None:
        """Every few seconds while another process holds the migration lock."""

    def statement_waiting(self, event: StatementWaiting) -> None:
        """While a resume waits for a statement a run that stopped left running on the server."""
