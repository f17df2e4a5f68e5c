"""What the public API returns: plain data that the CLI prints and programs inspect.

Every result can turn itself into JSON-ready dicts (``as_dict``), so that ``--json`` output and
the Python API describe the same facts in the same words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ChecksumMismatch, DatabaseAhead, DatabaseBehindFiles, ModmigError, show_path
from .model import DirtyMark, Migration, Plan


@dataclass
class AppStatus:
    app: str
    version: int
    latest: int
    #: The version just below the first migration file (0 unless old files were pruned).
    base: int = 0
    #: Versions not applied yet, in order.
    pending: list[int] = field(default_factory=list)
    #: Name of the migration the app is at (None at version 0).
    current_name: str | None = None
    dirty: DirtyMark | None = None
    #: Applied migrations whose file no longer matches its recorded checksum: (version, path).
    changed: list[tuple[int, str]] = field(default_factory=list)
    #: Set when the database is past the files (``"ahead"``), before them (``"behind"``) or inside
    #: a squashed range whose originals were deleted (``"inside squash"``).
    problem: str | None = None
    #: The squash in the way when ``problem`` is ``"inside squash"``.
    squash: Migration | None = None
    #: What the bookkeeping row holds when ``problem`` is ``"corrupt"`` (e.g. ``version 'two'``).
    corrupt: str | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.pending and self.dirty is None and not self.changed and self.problem is None

    def as_dict(self) -> dict:
        return {
            "app": self.app,
            "version": self.version,
            "latest": self.latest,
            "current": self.current_name,
            "pending": self.pending,
            "dirty": _dirty_dict(self.dirty),
            "changed": [{"version": v, "path": p} for v, p in self.changed],
            "problem": self.problem,
        }


@dataclass
class StatusReport:
    database: str
    apps: list[AppStatus]
    #: Apps recorded in the database but no longer configured: (app, version).
    orphans: list[tuple[str, int]] = field(default_factory=list)
    #: Applied migrations whose prerequisite is not applied: ("blog:0003", "users:0002").
    inconsistent: list[tuple[str, str]] = field(default_factory=list)
    #: Files that look like migrations but are not read as one: (path, why).
    ignored: list[tuple[str, str]] = field(default_factory=list)
    #: ``Profile.as_dict()`` of the database (``status -v``): its topology, guarantees and lock.
    profile: dict | None = None

    @property
    def changed(self) -> list[tuple[str, int, str]]:
        return [(s.app, v, p) for s in self.apps for v, p in s.changed]

    def error(self) -> ModmigError | None:
        """The error a disagreement between database and files amounts to, if any."""
        for app in self.apps:
            if app.problem == "corrupt":
                from .errors import CorruptBookkeeping

                return CorruptBookkeeping(app.app, app.corrupt or "a value modmig never writes")
            if app.problem == "ahead":
                return DatabaseAhead(app.app, app.version, app.latest)
            if app.problem == "behind":
                return DatabaseBehindFiles(app.app, app.version, app.base)
            if app.problem == "inside squash":
                from .errors import DatabaseInsideSquash

                return DatabaseInsideSquash(app.app, app.version, app.squash)
        if self.changed:
            return ChecksumMismatch(self.changed)  # type: ignore[arg-type]
        for app in self.apps:
            if app.dirty is not None:
                from .advice import resume_hint
                from .errors import DirtyState

                return DirtyState(app.app, app.dirty.describe(), resume_hint(app.dirty)[0].upper() + resume_hint(app.dirty)[1:])
        return None

    def as_dict(self) -> dict:
        return {
            "database": self.database,
            "apps": [status.as_dict() for status in self.apps],
            "orphans": [{"app": a, "version": v} for a, v in self.orphans],
            "inconsistent": [{"migration": m, "requires": r} for m, r in self.inconsistent],
            "ignored_files": [{"path": p, "reason": r} for p, r in self.ignored],
            **({"profile": self.profile} if self.profile is not None else {}),
        }


@dataclass
class CheckReport:
    status: StatusReport
    reasons: list[str]

    @property
    def ok(self) -> bool:
        return not self.reasons

    def as_dict(self) -> dict:
        return {"ok": self.ok, "reasons": self.reasons, "status": self.status.as_dict()}


@dataclass
class RunResult:
    """An upgrade or downgrade that finished (a failure raises MigrationFailed instead)."""

    direction: str
    plan: Plan
    steps_done: int
    duration_ms: int

    @property
    def apps(self) -> list[str]:
        return self.plan.apps

    def as_dict(self) -> dict:
        return {
            "direction": self.direction,
            "steps": [plan_step_dict(step) for step in self.plan.steps],
            "steps_done": self.steps_done,
            "apps": self.apps,
            "duration_ms": self.duration_ms,
        }


@dataclass
class StampResult:
    app: str
    previous: int
    version: int


@dataclass
class RepairResult:
    app: str
    #: Migrations whose checksum was re-recorded, e.g. ["blog:0002_add_slug"].
    rechecksummed: list[str] = field(default_factory=list)
    #: How a dirty mark was resolved ("applied" / "not applied"), if there was one.
    resolved: str | None = None
    version: int = 0


def plan_step_dict(step) -> dict:
    migration = step.migration
    return {
        "app": migration.app,
        "version": migration.version,
        "name": migration.name,
        "direction": step.direction,
        "kind": migration.kind,
        "transaction": migration.transaction,
        "path": show_path(migration.path),
    }


def plan_dict(plan: Plan) -> dict:
    return {"apps": plan.apps, "steps": [plan_step_dict(step) for step in plan.steps]}


def _dirty_dict(mark: DirtyMark | None) -> dict | None:
    if mark is None:
        return None
    return {
        "version": mark.version,
        "name": mark.name,
        "direction": mark.direction,
        "statements_done": mark.statements_done,
        "failed_statement": mark.failed_statement,
        "error": mark.error,
    }


def history_entry_dict(entry) -> dict:
    """One ``_schema_history`` row (a ``recorder.HistoryEntry``) as JSON-ready data."""
    return {
        "id": entry.id,
        "app": entry.app,
        "version": entry.version,
        "name": entry.name,
        "direction": entry.direction,
        "success": entry.success,
        "started_at": entry.started_at.isoformat() + "Z" if entry.started_at else None,
        "duration_ms": entry.duration_ms,
        "executed_by": entry.executed_by,
        "modmig_version": entry.modmig_version,
        "checksum": entry.checksum,
        "error": entry.error,
    }


#: Attributes an error may carry that name its culprit; copied into the JSON error object.
_CULPRIT_FIELDS = ("app", "version", "path", "paths", "line", "statement", "url", "cycle", "differences")


def error_dict(error: ModmigError) -> dict:
    """A ``ModmigError`` as data: its class, exit code, message and culprit (app, version, file, line)."""
    found = {"type": type(error).__name__, "exit_code": error.exit_code, "message": error.message}
    for name in _CULPRIT_FIELDS:
        value = getattr(error, name, None)
        if value is None or value == []:
            continue
        if name == "path":
            value = show_path(value)
        elif name == "paths":
            value = [show_path(p) for p in value]
        found[name] = value
    return found


class RunRecording:
    """An event listener that keeps what happened to each step, for ``upgrade --json``.

    Unlike ``RunResult`` it also describes a run that failed half-way: which steps were done, which
    one failed (with the database's message), and which never ran.
    """

    def __init__(self, direction: str) -> None:
        self.direction = direction
        self.steps: list[dict] = []
        self.duration_ms = 0

    def __call__(self, event) -> None:
        from .events import RunFinished, RunStarted, StepFailed, StepFinished

        if isinstance(event, RunStarted):
            self.steps = [{**plan_step_dict(step), "status": "not run", "duration_ms": None} for step in event.plan.steps]
        elif isinstance(event, (StepFinished, StepFailed)):
            entry = self.steps[event.index - 1]
            entry["status"] = "done" if isinstance(event, StepFinished) else "failed"
            entry["duration_ms"] = event.duration_ms
            if isinstance(event, StepFailed):
                entry["error"] = event.error
        elif isinstance(event, RunFinished):
            self.duration_ms = event.duration_ms

    def as_dict(self, error: ModmigError | None = None) -> dict:
        return {
            "direction": self.direction,
            "success": error is None,
            "apps": sorted({step["app"] for step in self.steps}),
            "steps_done": sum(1 for step in self.steps if step["status"] == "done"),
            "duration_ms": self.duration_ms,
            "steps": self.steps,
            "error": error_dict(error) if error is not None else None,
        }
