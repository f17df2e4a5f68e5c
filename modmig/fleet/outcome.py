"""What a fleet operation returns: per-target results and the whole fleet's summary, as data.

``as_dict`` gives the ``--json`` documents (schemas in ``modmig/schemas/fleet_*.schema.json``),
which are also what the HTML report renders, so the page, the JSON and the Python API describe
the same facts in the same words.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..errors import ModmigError
from ..model import Plan
from ..results import CheckReport, StatusReport, error_dict, plan_dict

#: A target's outcome in a run, in the order summaries list them.
STATUSES = ("migrated", "up_to_date", "failed", "skipped", "gone")


@dataclass
class Failure:
    """Why a target failed, and in what state it was left."""

    #: "migration" (a migration raised), "unreachable", "locked" (lock timeout), "state" (the
    #: database disagrees with the files: edited, ahead, dirty...), "connection_lost", "error".
    kind: str
    message: str
    #: For a failed migration: "rolled back", or "dirty" (MySQL, ``transaction off``): what the
    #: target holds now. None when nothing was attempted.
    state: str | None = None
    #: The command that finishes the job once the cause is fixed.
    resume: str | None = None
    error: ModmigError | None = None

    def as_dict(self) -> dict:
        return {
            "kind": self.kind,
            "message": self.message,
            "state": self.state,
            "resume": self.resume,
            "error": error_dict(self.error) if self.error is not None else None,
        }


@dataclass
class TargetResult:
    """One target's outcome in a fleet run."""

    target: str
    url: str
    #: One of ``STATUSES``.
    status: str
    steps_done: int = 0
    duration_ms: int = 0
    #: The app versions the target is at after the run (None when it could not be read).
    versions: dict[str, int] | None = None
    #: ``up_to_date`` because another run (another runner machine) migrated it meanwhile.
    by_other_run: bool = False
    failure: Failure | None = None
    #: Why a target was skipped or is gone.
    reason: str | None = None

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "url": self.url,
            "status": self.status,
            "steps_done": self.steps_done,
            "duration_ms": self.duration_ms,
            "versions": self.versions,
            "by_other_run": self.by_other_run,
            "failure": self.failure.as_dict() if self.failure is not None else None,
            "reason": self.reason,
        }


def version_matrix(versions: Iterable[dict[str, int] | None], latest: dict[str, int]) -> dict[str, dict]:
    """Per app: its latest version and how many targets are at each version."""
    counts: dict[str, Counter] = {app: Counter() for app in latest}
    for found in versions:
        if found is None:
            continue
        for app in latest:
            counts[app][found.get(app, 0)] += 1
    return {
        app: {"latest": latest[app], "versions": {str(v): n for v, n in sorted(counts[app].items(), reverse=True)}}
        for app in sorted(latest)
    }


@dataclass
class FleetRunResult:
    """A fleet ``upgrade`` or ``downgrade``: every target's outcome; ``ok`` when none failed."""

    fleet: str
    command: str
    targets: list[TargetResult]
    latest: dict[str, int]
    duration_ms: int = 0
    started_at: str = ""
    app: str | None = None
    to: int | None = None
    parallel: int = 1
    #: Per server (URL, password masked): targets at once, and the limit that capped it, if any.
    servers: dict[str, dict] = field(default_factory=dict)
    #: Distinct states planned (a fleet in one state is planned once).
    distinct_states: int = 0
    #: Why the run stopped early: "canary" or "on_error"; None when it ran to the end.
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return not any(t.status == "failed" for t in self.targets)

    @property
    def counts(self) -> dict[str, int]:
        found = Counter(t.status for t in self.targets)
        return {status: found.get(status, 0) for status in STATUSES}

    def of(self, status: str) -> list[TargetResult]:
        return [t for t in self.targets if t.status == status]

    def as_dict(self) -> dict:
        return {
            "fleet": self.fleet,
            "command": self.command,
            "app": self.app,
            "to": self.to,
            "success": self.ok,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "parallel": self.parallel,
            "servers": self.servers,
            "distinct_states": self.distinct_states,
            "stopped": self.stopped,
            "counts": {"targets": len(self.targets), **self.counts},
            "targets": [t.as_dict() for t in self.targets],
            "matrix": version_matrix((t.versions for t in self.targets), self.latest),
        }


@dataclass
class TargetStatus:
    """One target's ``status``: the report, or why it could not be read."""

    target: str
    url: str
    report: StatusReport | None = None
    error: ModmigError | None = None
    gone: bool = False

    @property
    def versions(self) -> dict[str, int] | None:
        return None if self.report is None else {a.app: a.version for a in self.report.apps}

    @property
    def behind(self) -> dict[str, list[int]]:
        """Per app with pending migrations, the pending versions."""
        return {} if self.report is None else {a.app: a.pending for a in self.report.apps if a.pending}

    @property
    def problems(self) -> list[str]:
        """What makes the target more than behind: dirty, edited, ahead..., or unreadable."""
        if self.error is not None:
            return [self.error.message]
        if self.report is None:
            return []
        found = [f"{a.app}: {a.problem}" for a in self.report.apps if a.problem]
        found += [f"{a.app}: dirty: {a.dirty.describe()}" for a in self.report.apps if a.dirty]
        found += [f"{app}:{version:04d} edited ({path})" for app, version, path in self.report.changed]
        return found

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "url": self.url,
            "status": "gone" if self.gone else "unreadable" if self.error is not None else "behind" if self.behind else "up_to_date",
            "versions": self.versions,
            "behind": self.behind,
            "problems": self.problems,
            "error": error_dict(self.error) if self.error is not None else None,
        }


@dataclass
class FleetStatus:
    """``status --fleet``: how many targets are at each version per app, and which are behind."""

    fleet: str
    targets: list[TargetStatus]
    latest: dict[str, int]
    distinct_states: int = 0

    @property
    def behind(self) -> list[TargetStatus]:
        return [t for t in self.targets if t.behind]

    @property
    def with_problems(self) -> list[TargetStatus]:
        return [t for t in self.targets if t.problems]

    def as_dict(self) -> dict:
        readable = [t for t in self.targets if t.report is not None]
        return {
            "fleet": self.fleet,
            "distinct_states": self.distinct_states,
            "counts": {
                "targets": len(self.targets),
                "up_to_date": sum(1 for t in readable if not t.behind and not t.problems),
                "behind": len(self.behind),
                "problems": len(self.with_problems),
                "gone": sum(1 for t in self.targets if t.gone),
            },
            "matrix": version_matrix((t.versions for t in self.targets), self.latest),
            "targets": [t.as_dict() for t in self.targets],
        }


@dataclass
class FleetCheck:
    """``check --fleet``: ok only when every target passes ``check`` (and every target was read)."""

    status: FleetStatus
    #: Per failing target, its reasons (the words of a single database's ``check``).
    reasons: dict[str, list[str]]

    @property
    def ok(self) -> bool:
        return not self.reasons

    @classmethod
    def of(cls, status: FleetStatus) -> "FleetCheck":
        from ..run.status import check_of_status

        reasons: dict[str, list[str]] = {}
        for target in status.targets:
            if target.gone:
                continue  # not there: nothing to check (status lists it)
            if target.report is None:
                reasons[target.target] = [target.problems[0] if target.problems else "could not be read"]
                continue
            report: CheckReport = check_of_status(target.report)
            if not report.ok:
                reasons[target.target] = report.reasons
        return cls(status, reasons)

    def as_dict(self) -> dict:
        return {"ok": self.ok, "failing": [{"target": t, "reasons": r} for t, r in self.reasons.items()], "status": self.status.as_dict()}


@dataclass
class PlanGroup:
    """Targets in one state, and the one plan they share."""

    plan: Plan
    targets: list[str]


@dataclass
class FleetPlan:
    """``plan --fleet``: one plan per distinct state, with the targets in it."""

    fleet: str
    groups: list[PlanGroup]
    up_to_date: list[str]
    #: Targets that cannot be planned (unreadable, gone, or disagreeing with the files): message.
    errors: dict[str, ModmigError]

    def as_dict(self) -> dict:
        return {
            "fleet": self.fleet,
            "plans": [{"targets": g.targets, **plan_dict(g.plan)} for g in self.groups],
            "up_to_date": self.up_to_date,
            "errors": [{"target": t, "error": error_dict(e)} for t, e in self.errors.items()],
        }
