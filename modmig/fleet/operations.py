"""``Fleet``: upgrade, downgrade, status, check and plan over every target of a fleet.

Each operation is the same three moves: *discover* the targets (``discovery``), *read* every
state at once (``states``), *decide* once per distinct state (``decisions``); then the read-only
ones describe what they found, and ``upgrade`` / ``downgrade`` hand the targets with work to the
``Runner``. ``Project.fleet(name)`` in ``modmig.api`` builds one.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable, Mapping

from ..config import ProjectConfig
from ..errors import ConfirmationRequired, DatabaseUnavailable, ModmigError, TargetMissing, UnknownApp, UsageError
from ..model import DatabaseState, Plan
from ..run.database import DEFAULT_LOCK_TIMEOUT
from .decisions import Decisions, fingerprint
from .discovery import Discovery, discover
from .journal import Journal, latest_outcomes
from .outcome import Failure, FleetCheck, FleetPlan, FleetRunResult, FleetStatus, PlanGroup, TargetResult, TargetStatus
from .progress import FleetStarted, Progress, ProgressCallback, ignore_progress
from .runner import Runner, Work
from .servers import Servers
from .spec import fleet_spec
from .states import ReadOutcome, read_states

if TYPE_CHECKING:
    from ..plan.graph import MigrationGraph
    from .discovery import Target

ON_ERROR = ("stop", "continue")


class Fleet:
    """A fleet of ``modmig.yaml``: the project's migrations applied to each of many databases.

    ``parallel`` is how many targets run at once (default: the fleet's ``parallel:``, else 4),
    never more per server than its connection limit allows. Every method reads the targets anew,
    so tenants created since the last call are included.
    """

    def __init__(
        self, config: ProjectConfig, graph: "MigrationGraph", name: str, *, environ: Mapping[str, str] | None = None
    ) -> None:
        self.config, self.graph, self.name = config, graph, name
        self.environ = os.environ if environ is None else environ
        self.spec = fleet_spec(config, name, self.environ)

    def targets(self) -> "list[Target]":
        """The fleet's targets as found now (a pattern fleet asks its server or the disk)."""
        with self._servers(None) as servers:
            return discover(self.spec, servers, self.environ).targets

    @property
    def latest(self) -> dict[str, int]:
        return {app: history.latest for app, history in self.graph.histories.items()}

    # -- running -------------------------------------------------------------------------------

    def upgrade(
        self,
        app: str | None = None,
        *,
        to: int | None = None,
        by: int | None = None,
        steps: int | None = None,
        parallel: int | None = None,
        on_error: str = "stop",
        canary: int = 0,
        only_failed: bool = False,
        lock_timeout: float | None = None,
        on_progress: ProgressCallback = ignore_progress,
    ) -> FleetRunResult:
        """Apply the pending migrations of ``app`` (or every app) on every target; per-target results.

        ``to``, ``by`` (+K) and ``steps`` are those of ``Project.upgrade``; a relative target is
        relative to where each target stands.
        """
        resume = f"modmig upgrade {app or '--all'}{_target_text(to, by, steps)} --fleet {self.name} --only-failed"
        command = _Command("upgrade", "up", self._upgrade_decider(app, to, by, steps), app, to, resume)
        return self._run(command, _Options(parallel, on_error, canary, only_failed, lock_timeout, on_progress))

    def downgrade(
        self,
        app: str,
        *,
        to: int | None = None,
        by: int | None = None,
        steps: int | None = None,
        confirm: Callable[[Plan], bool] | None = None,
        parallel: int | None = None,
        on_error: str = "stop",
        canary: int = 0,
        only_failed: bool = False,
        lock_timeout: float | None = None,
        on_progress: ProgressCallback = ignore_progress,
    ) -> FleetRunResult:
        """Undo ``app``'s migrations above ``to`` on every target (a target already there has nothing to do).

        ``by`` (-K) and ``steps`` are relative to where each target stands. When a plan reaches into
        other apps, ``confirm(plan)`` must return True for it (asked once per distinct plan), else
        ``ConfirmationRequired`` and nothing runs.
        """
        from ..plan.planner import plan_downgrade, verify
        from ..run.migrate import absolute_target

        if to is None and by is None and steps is None:
            raise UsageError("A downgrade needs a target: to=N, by=-K or steps=K.")
        if to is not None:
            self._check_version(app, to)

        def decide(state: DatabaseState) -> Plan:
            verify(self.graph, state).raise_first()
            target = absolute_target(self.graph, state, app, to, by, steps, "down")
            if target is None or state.version(app) <= target:
                return Plan([], (app,))
            return plan_downgrade(self.graph, state, app, target)

        resume = f"modmig downgrade {app}{_target_text(to, by, steps)} --fleet {self.name} --only-failed"
        command = _Command("downgrade", "down", decide, app, to, resume, confirm)
        return self._run(command, _Options(parallel, on_error, canary, only_failed, lock_timeout, on_progress))

    # -- describing ----------------------------------------------------------------------------

    def status(self, app: str | None = None, *, parallel: int | None = None) -> FleetStatus:
        """Every target's status (read-only, no lock): versions per app, what is behind, problems."""
        from ..run.status import status_of_state

        reports: dict = {}
        targets: list[TargetStatus] = []
        with self._servers(parallel) as servers:
            discovery = discover(self.spec, servers, self.environ)
            gone = self._gone(discovery)
            states = read_states(discovery, servers, servers.parallel)
        for target in discovery.targets:
            found = states[target.name]
            if isinstance(found, ModmigError):
                targets.append(TargetStatus(target.name, target.display_url, error=found, gone=isinstance(found, TargetMissing)))
                continue
            key = fingerprint(found)
            if key not in reports:
                reports[key] = status_of_state(found, self.graph, target.display_url, app)
            targets.append(TargetStatus(target.name, target.display_url, replace(reports[key], database=target.display_url)))
        targets += [TargetStatus(r.target, r.url, error=TargetMissing(r.url, "target"), gone=True) for r in gone]
        return FleetStatus(self.name, sorted(targets, key=lambda t: t.target), self.latest, len(reports))

    def check(self, *, parallel: int | None = None) -> FleetCheck:
        """``ok`` when every target is at its latest version, unedited and clean."""
        return FleetCheck.of(self.status(parallel=parallel))

    def plan(
        self, app: str | None = None, *, to: int | None = None, by: int | None = None, steps: int | None = None,
        parallel: int | None = None,
    ) -> FleetPlan:
        """What ``upgrade`` would do, once per distinct state, with the targets in each."""
        decisions = Decisions(self._upgrade_decider(app, to, by, steps))
        groups: dict[int, PlanGroup] = {}
        result = FleetPlan(self.name, [], [], {})
        with self._servers(parallel) as servers:
            discovery = discover(self.spec, servers, self.environ)
            states = read_states(discovery, servers, servers.parallel)
        for target in discovery.targets:
            found = states[target.name]
            decision = decisions(found) if isinstance(found, DatabaseState) else None
            if decision is None or decision.error is not None:
                result.errors[target.name] = decision.error if decision is not None else found  # type: ignore[assignment]
            elif not decision.plan:
                result.up_to_date.append(target.name)
            else:
                groups.setdefault(id(decision), PlanGroup(decision.plan, [])).targets.append(target.name)
        result.groups = list(groups.values())
        return result

    # -- internals -----------------------------------------------------------------------------

    def _run(self, command: "_Command", options: "_Options") -> FleetRunResult:
        if options.on_error not in ON_ERROR:
            raise UsageError(f"--on-error must be one of {', '.join(ON_ERROR)}, not {options.on_error!r}.")
        if options.canary < 0:
            raise UsageError("--canary takes a number of targets >= 1.")
        started, clock = datetime.now(timezone.utc).isoformat(timespec="seconds"), time.perf_counter()
        decisions = Decisions(command.decide)
        with self._servers(options.parallel) as servers:
            discovery = discover(self.spec, servers, self.environ)
            gone = self._gone(discovery)
            if options.only_failed:
                failed = self._failed_names()
                discovery.targets = [t for t in discovery.targets if t.name in failed]
                gone = [g for g in gone if g.target in failed]
            states = read_states(discovery, servers, servers.parallel)
            done, work = self._sort(discovery, states, decisions)
            if command.direction == "down":
                self._confirm(work, decisions, command.confirm)
            journal = Journal(self.spec.journal, self.name, command.name)
            result: FleetRunResult | None = None
            try:
                total = len(discovery.targets) + len(gone)
                options.on_progress(FleetStarted(self.name, command.name, total, servers.parallel))
                progress = Progress(total, journal, options.on_progress)
                progress.finished(done + gone)
                runner = Runner(
                    graph=self.graph, servers=servers, decisions=decisions, direction=command.direction,
                    lock_timeout=self._lock_timeout(options.lock_timeout), progress=progress,
                    on_progress=options.on_progress, resume=command.resume,
                )
                if options.on_error == "stop" and any(r.status == "failed" for r in done):
                    runner.stop("on_error")
                ran = runner.run(work, parallel=servers.parallel, on_error=options.on_error, canary=options.canary)
                result = FleetRunResult(
                    self.name, command.name, sorted(done + gone + ran, key=lambda r: r.target), self.latest,
                    duration_ms=int(round((time.perf_counter() - clock) * 1000)), started_at=started,
                    app=command.app, to=command.to,
                    parallel=servers.parallel, distinct_states=decisions.distinct, stopped=runner.stopped,
                    servers={s.display_url: {"parallel": s.slots, "limited_by": s.limited_by} for s in servers.limits.values()},
                )
            finally:
                journal.close({"counts": result.counts if result is not None else None})
        return result

    def _sort(self, discovery: Discovery, states: dict[str, ReadOutcome], decisions: Decisions) -> tuple[list[TargetResult], list[Work]]:
        """Targets decided by their state alone (up to date, unreadable, disagreeing), and the rest."""
        done: list[TargetResult] = []
        work: list[Work] = []
        for target in discovery.targets:
            found = states[target.name]
            if isinstance(found, TargetMissing):
                done.append(TargetResult(target.name, target.display_url, "gone", reason=found.message))
            elif isinstance(found, ModmigError):
                kind = "unreachable" if isinstance(found, DatabaseUnavailable) else "error"
                done.append(TargetResult(target.name, target.display_url, "failed", failure=Failure(kind, found.message, error=found)))
            else:
                decision = decisions(found)
                if decision.error is not None:
                    failure = Failure("state", " ".join(decision.error.message.split()), error=decision.error)
                    done.append(TargetResult(target.name, target.display_url, "failed", versions=dict(found.versions), failure=failure))
                elif not decision.plan:
                    done.append(TargetResult(target.name, target.display_url, "up_to_date", versions=dict(found.versions)))
                else:
                    work.append(Work(target, found))
        return done, work

    def _confirm(self, work: list[Work], decisions: Decisions, confirm: Callable[[Plan], bool] | None) -> None:
        asked: set[int] = set()
        for item in work:
            decision = decisions(item.state)
            plan = decision.plan
            if plan is None or id(decision) in asked or not plan.other_apps:
                continue
            asked.add(id(decision))
            if not (confirm is not None and confirm(plan)):
                raise ConfirmationRequired(plan)

    def _gone(self, discovery: Discovery) -> list[TargetResult]:
        """Targets a pattern fleet had in earlier runs that it no longer finds: reported once."""
        if self.spec.kind not in ("schemas", "databases", "files"):
            return []
        previous = latest_outcomes(self.spec.journal) or {}
        found = {t.name for t in discovery.targets}
        return [
            TargetResult(name, entry.get("url") or name, "gone", reason=f"no longer found (it matched {self.spec.pattern!r} before)")
            for name, entry in sorted(previous.items())
            if name not in found and entry.get("status") != "gone"
        ]

    def _failed_names(self) -> set[str]:
        previous = latest_outcomes(self.spec.journal)
        if previous is None:
            raise UsageError(
                f"--only-failed: no run of fleet {self.name!r} is recorded (no journal at {self.spec.journal}); "
                f"run it without --only-failed first."
            )
        return {name for name, entry in previous.items() if entry.get("status") == "failed"}

    def _upgrade_decider(self, app: str | None, to: int | None, by: int | None, steps: int | None) -> Callable[[DatabaseState], Plan]:
        """What ``upgrade`` does in a state: verify it against the files, then plan (as for one database)."""
        from ..plan.planner import plan_upgrade, verify
        from ..run.migrate import absolute_target

        if app is None and (to is not None or by is not None or steps is not None):
            raise UsageError("--to and --steps need an app: 'modmig upgrade APP --to N --fleet NAME'.")
        if to is not None:
            self._check_version(app, to)

        def decide(state: DatabaseState) -> Plan:
            verify(self.graph, state).raise_first()
            return plan_upgrade(self.graph, state, app, absolute_target(self.graph, state, app, to, by, steps, "up"))

        return decide

    def _check_version(self, app: str | None, to: int) -> None:
        if app is None:
            raise UsageError("--to needs an app: 'modmig upgrade APP --to N'.")
        if app not in self.graph.histories:
            raise UnknownApp(app, list(self.graph.histories))
        history = self.graph.histories[app]
        if not history.base <= to <= history.latest:
            raise UsageError(
                f"App {app!r} has no version {to}: its migrations go from {history.base + 1:04d} to {history.latest:04d}."
            )

    def _lock_timeout(self, given: float | None) -> float:
        if given is not None:
            return given
        return float(self.config.lock_timeout) if self.config.lock_timeout is not None else DEFAULT_LOCK_TIMEOUT

    def _servers(self, parallel: int | None) -> "_Opened":
        chosen = parallel if parallel is not None else self.spec.parallel
        if chosen < 1:
            raise UsageError("--parallel takes a number of targets >= 1.")
        return _Opened(Servers(self.config, chosen))


def _target_text(to: int | None, by: int | None, steps: int | None) -> str:
    """The command line's spelling of a target: `` --to 3``, `` --to -1``, `` --steps 2``."""
    if steps is not None:
        return f" --steps {steps}"
    if by is not None:
        return f" --to {by:+d}"
    return "" if to is None else f" --to {to}"


@dataclass(frozen=True)
class _Command:
    """What a run does: its name, direction and decision, and the command that resumes it."""

    name: str
    direction: str
    decide: Callable[[DatabaseState], Plan]
    app: str | None
    to: int | None
    resume: str
    confirm: Callable[[Plan], bool] | None = None


@dataclass(frozen=True)
class _Options:
    """How a run goes: the options ``upgrade`` and ``downgrade`` share."""

    parallel: int | None
    on_error: str
    canary: int
    only_failed: bool
    lock_timeout: float | None
    on_progress: ProgressCallback


class _Opened:
    """``with self._servers(n) as servers``: the fleet's connections, closed at the end."""

    def __init__(self, servers: Servers) -> None:
        self.servers = servers

    def __enter__(self) -> Servers:
        return self.servers

    def __exit__(self, *exc_info: object) -> None:
        self.servers.close()
