"""Verify and plan once per *distinct* state, not once per target.

A thousand tenants are usually in a handful of states (all up to date; all one release behind;
a few stragglers). Verifying checksums and planning is pure work on the graph and the state, so
its answer is cached under a fingerprint of everything the planner looks at: versions, recorded
checksums and file names, dirty marks, and whether the bookkeeping exists. Runs in parallel
threads share one cache (the worst a race costs is one plan computed twice).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable, Hashable

from ..errors import ModmigError
from ..model import DatabaseState, Plan


@dataclass(frozen=True)
class Decision:
    """What to do with a target in a given state: a plan (maybe empty), or why nothing can be done."""

    plan: Plan | None
    error: ModmigError | None = None


def fingerprint(state: DatabaseState) -> Hashable:
    """Everything about a state that verification and planning depend on, hashable (every field
    of ``DatabaseState``: a field added there must be added here, or two states that plan
    differently would share a plan; ``tests/fleet/test_states.py`` checks that none is missed)."""
    return (
        state.initialised,
        tuple(sorted(state.versions.items())),
        tuple(sorted(state.checksums.items())),
        tuple(sorted(state.names.items())),
        tuple(sorted(state.dirty.items())),
        tuple(sorted(state.part_checksums.items())),
        tuple(sorted(state.corrupt.items())),
    )


class Decisions:
    """``decisions(state)``: the cached ``Decision`` for the state's fingerprint.

    ``decide(state)`` returns the plan or raises a ``ModmigError`` (a disagreement with the files,
    an impossible target): both are remembered.
    """

    def __init__(self, decide: Callable[[DatabaseState], Plan]) -> None:
        self._decide = decide
        self._cache: dict[Hashable, Decision] = {}
        self._lock = threading.Lock()

    def __call__(self, state: DatabaseState) -> Decision:
        key = fingerprint(state)
        with self._lock:
            found = self._cache.get(key)
        if found is not None:
            return found
        try:
            found = Decision(self._decide(state))
        except ModmigError as error:
            found = Decision(None, error)
        with self._lock:
            return self._cache.setdefault(key, found)

    @property
    def distinct(self) -> int:
        """How many distinct states were planned (for reports: "1,000 targets, 2 distinct states")."""
        return len(self._cache)
