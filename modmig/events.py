"""What a run reports while it happens, for the CLI's progress lines and for embedding callbacks.

The executor and the api call ``on_event(event)`` with one of these; they carry data only, and the
receiver decides how (or whether) to show them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Union

from .model import Plan, Step


@dataclass(frozen=True)
class LockWaiting:
    holder: str | None
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


Event = Union[LockWaiting, RunStarted, StepStarted, StepFinished, StepFailed, RunFinished]
EventCallback = Callable[[Event], None]


def ignore(_event: Event) -> None:
    """The default listener."""
