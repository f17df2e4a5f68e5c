"""Run a fleet's work in parallel: each target under its own lock, by the single-database code path.

Every target is migrated exactly as ``modmig upgrade`` migrates one database: take the target's
migration lock, re-read its state under the lock, and ``run_plan`` the plan for that state (from
the cache of ``decisions``: planned once per distinct state). So transactions, dirty marks,
resumes and events are the single run's, per target.

How the work is shared:

* **First pass, no waiting.** Each target's lock is *tried* (timeout 0). A target another run
  holds (a second fleet run, another CI runner) is set aside and the worker moves on, so runs
  started together split the fleet between them instead of queueing on the same targets.
* **Second pass, waiting.** The targets set aside are taken again, now waiting up to the lock
  timeout. Under the lock the state is re-read: if the other run finished the target, it is
  reported as up to date "by another run", never migrated twice.
* **Canaries.** With ``canary=K`` the first K targets run first (waiting for their locks); if
  one fails, the rest are skipped.
* **Errors.** ``on_error="stop"`` starts no new target after a failure (those running finish);
  ``"continue"`` carries on and reports every failure at the end.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from ..errors import (
    ConnectionLost,
    DatabaseUnavailable,
    LockTimeout,
    MigrationFailed,
    ModmigError,
    StateError,
    TargetMissing,
)
from ..events import Event, StepFinished, ignore
from ..model import DatabaseState, Plan, Step
from ..run.migrate import run_plan
from .outcome import Failure, TargetResult
from .progress import TargetEvent

if TYPE_CHECKING:
    from ..plan.graph import MigrationGraph
    from ..run.database import ProjectDatabase
    from .decisions import Decisions
    from .discovery import Target
    from .progress import Progress, ProgressCallback
    from .servers import Servers

_DEFERRED = object()
SKIPPED_BECAUSE = {
    "canary": "a canary target failed, so the run stopped before this one",
    "on_error": "the run stopped at the first failure (--on-error stop)",
    "interrupted": "the run was interrupted before this one",
}


@dataclass
class Work:
    """A target with something to do, as its state was read before the run."""

    target: "Target"
    state: DatabaseState


class Runner:
    def __init__(
        self,
        *,
        graph: "MigrationGraph",
        servers: "Servers",
        decisions: "Decisions",
        direction: str,
        lock_timeout: float,
        progress: "Progress",
        on_progress: "ProgressCallback",
        resume: str,
    ) -> None:
        self.graph, self.servers, self.decisions = graph, servers, decisions
        self.direction, self.lock_timeout = direction, lock_timeout
        self.progress, self.on_progress, self.resume = progress, on_progress, resume
        #: Why no new target starts any more ("canary", "on_error"), once one failed.
        self.stopped: str | None = None

    def run(self, work: list[Work], *, parallel: int, on_error: str, canary: int = 0) -> list[TargetResult]:
        results: list[TargetResult] = []
        self.on_error = on_error
        queue = list(work)
        if canary:
            canaries, queue = queue[:canary], queue[canary:]
            done = self._batch(canaries, wait=True, parallel=parallel, results=results)
            if any(r.status == "failed" for r in done):
                self.stopped = "canary"
        deferred = self._batch(queue, wait=False, parallel=parallel, results=results)
        self._batch(deferred, wait=True, parallel=parallel, results=results)
        return results

    def stop(self, reason: str) -> None:
        if self.stopped is None:
            self.stopped = reason

    # -- one batch, one target -----------------------------------------------------------------

    def _batch(self, items: list[Work], *, wait: bool, parallel: int, results: list[TargetResult]) -> list:
        """Attempt ``items`` with ``parallel`` workers; returns the results, or (first pass) the deferred."""
        if not items:
            return []
        with ThreadPoolExecutor(max_workers=min(parallel, len(items)), thread_name_prefix="modmig-fleet") as pool:
            try:
                outcomes = list(pool.map(lambda item: self._attempt(item, wait), items))
            except KeyboardInterrupt:  # Ctrl-C: the targets running finish their step, no other starts
                self.stop("interrupted")
                raise
        deferred = [item for item, outcome in zip(items, outcomes) if outcome is _DEFERRED]
        finished = [outcome for outcome in outcomes if isinstance(outcome, TargetResult)]
        results.extend(finished)
        return deferred if not wait else finished

    def _attempt(self, item: Work, wait: bool):
        target = item.target
        if self.stopped is not None:
            result = TargetResult(target.name, target.display_url, "skipped", versions=_versions(item.state), reason=SKIPPED_BECAUSE[self.stopped])
            self.progress.finished([result])
            return result
        clock = time.perf_counter()
        steps = _StepCounter(target.name, self.on_progress)
        database = None
        try:
            with self.servers.server(target).slot():
                database = self.servers.database(target)
                result = self._migrate(item, database, wait, steps)
        except LockTimeout as error:
            if not wait:
                return _DEFERRED
            result = self._failed(item, "locked", error, steps)
        except MigrationFailed as error:
            result = self._failed(item, "migration", error, steps)
        except ConnectionLost as error:
            result = self._failed(item, "connection_lost", error, steps)
        except TargetMissing as error:
            result = TargetResult(target.name, target.display_url, "gone", reason=error.message)
        except DatabaseUnavailable as error:
            from .servers import is_missing

            if is_missing(error):
                result = TargetResult(target.name, target.display_url, "gone", reason=TargetMissing(target.display_url).message)
            else:
                result = self._failed(item, "unreachable", error, steps)
        except StateError as error:
            result = self._failed(item, "state", error, steps)
        except ModmigError as error:
            result = self._failed(item, "error", error, steps)
        finally:
            self.servers.release(target, database)
        result.duration_ms = int(round((time.perf_counter() - clock) * 1000))
        self.progress.finished([result])
        if result.status == "failed" and self.on_error == "stop":
            self.stop("on_error")
        return result

    def _migrate(self, item: Work, database: "ProjectDatabase", wait: bool, steps: "_StepCounter") -> TargetResult:
        target = item.target
        timeout = self.lock_timeout if wait else 0.0
        with database.locked(timeout, steps if wait else ignore) as connection:
            state = database.read_state(connection)  # a schema that is gone: TargetMissing
            steps.state = state
            decision = self.decisions(state)
            if decision.error is not None:
                return self._failed(item, "state", decision.error, steps)
            plan = decision.plan or Plan()
            steps.plan = plan
            if not plan:
                return TargetResult(target.name, target.display_url, "up_to_date", versions=_versions(state), by_other_run=True)
            run_plan(database, self.graph, self.direction, plan, state, connection, steps)
        return TargetResult(target.name, target.display_url, "migrated", steps_done=steps.done, versions=steps.versions())

    def _failed(self, item: Work, kind: str, error: ModmigError, steps: "_StepCounter") -> TargetResult:
        target = item.target
        failure = Failure(kind, _one_line(error), error=error, resume=self.resume)
        if isinstance(error, MigrationFailed):
            failure.state = "rolled back" if error.rolled_back else "dirty"
            failure.message = f"{error.app}:{error.version:04d} failed: {error.error}"
            if error.rolled_back:
                failure.message += " (rolled back)"
            else:
                done = "" if error.statements_done is None else f" after {error.statements_done} statement(s)"
                failure.message += f" (dirty{done}: not rolled back; the rerun resumes it)"
        return TargetResult(
            target.name, target.display_url, "failed", steps_done=steps.done,
            versions=steps.versions() if steps.state is not None else _versions(item.state), failure=failure,
        )


class _StepCounter:
    """The ``on_event`` of one target's run: counts finished steps and passes events on, tagged."""

    def __init__(self, target: str, on_progress: Callable) -> None:
        self.target, self.on_progress = target, on_progress
        self.done = 0
        self.state: DatabaseState | None = None
        self.plan: Plan | None = None

    def __call__(self, event: Event) -> None:
        if isinstance(event, StepFinished):
            self.done += 1
        self.on_progress(TargetEvent(self.target, event))

    def versions(self) -> dict[str, int] | None:
        """The target's versions after the steps that finished."""
        if self.state is None:
            return None
        steps: list[Step] = self.plan.steps[: self.done] if self.plan is not None else []
        return _versions(self.state, steps)


def _versions(state: DatabaseState, steps: list[Step] = ()) -> dict[str, int]:  # type: ignore[assignment]
    versions = dict(state.versions)
    for step in steps:
        migration = step.migration
        versions[migration.app] = migration.version if step.direction == "up" else migration.first_version - 1
    return versions


def _one_line(error: ModmigError) -> str:
    return " ".join(error.message.split("\n")[0].split())
