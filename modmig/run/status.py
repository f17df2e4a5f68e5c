"""``status`` and ``check``: read-only reports of how a database stands against the files.

Neither takes the lock nor writes anything; both read the bookkeeping tables once. ``status``
describes; ``check`` judges (every app at its latest, nothing edited, nothing dirty) for CI gates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import show_path
from ..plan.planner import pending_route, verify
from ..results import AppStatus, CheckReport, StatusReport
from ..plan.routes import applied_route

if TYPE_CHECKING:
    from ..model import DatabaseState
    from ..plan.graph import MigrationGraph
    from .database import ProjectDatabase


def status(database: "ProjectDatabase", graph: "MigrationGraph", app: str | None = None, profile: bool = False) -> StatusReport:
    """Per app: version, latest, pending versions, dirty mark, edited files; plus orphans. With
    ``profile``, also the database's capability profile and the lock a run takes there."""
    report = status_of_state(database.read_state_unlocked(), graph, database.display_url, app)
    if profile:
        report.profile = database.backend.profile().as_dict()
    return report


def status_of_state(state: "DatabaseState", graph: "MigrationGraph", database: str, app: str | None = None) -> StatusReport:
    """``status`` of a state already read (a fleet reads many databases at once, then describes each)."""
    apps = [app] if app is not None else sorted(graph.histories)
    found = verify(graph, state, apps)
    changed: dict[str, list[tuple[int, str]]] = {}
    for name, version, path in found.changed:
        changed.setdefault(name, []).append((version, show_path(path)))
    problems = {name: "ahead" for name, _, _ in found.ahead}
    problems.update({name: "behind" for name, _, _ in found.behind})
    problems.update({name: "inside squash" for name, _, _ in found.inside_squash})
    problems.update({name: "corrupt" for name, _ in found.corrupt})
    squashes = {name: squash for name, _, squash in found.inside_squash}

    report = StatusReport(database=database, apps=[])
    for name in apps:
        history = graph.histories[name]
        version = state.version(name)
        ran = applied_route(history, version, state.names)
        pending = [] if name in problems else [m.version for m in pending_route(graph, state, name)]
        report.apps.append(
            AppStatus(
                app=name,
                version=version,
                latest=history.latest,
                base=history.base,
                pending=pending,
                squash=squashes.get(name),
                current_name=ran[-1].name if ran else None,
                dirty=state.dirty.get(name),
                changed=changed.get(name, []),
                problem=problems.get(name),
                corrupt=state.corrupt.get(name),
            )
        )
    report.ignored = [(show_path(path), reason) for name in apps for path, reason in graph.histories[name].ignored]
    if app is None:
        report.orphans = sorted((name, v) for name, v in state.versions.items() if name not in graph.histories)
    report.inconsistent = [(_label(m), _label(r)) for m, r in found.inconsistent]
    return report


def check(database: "ProjectDatabase", graph: "MigrationGraph") -> CheckReport:
    """``ok`` when every app is at its latest version, unedited and clean; else the reasons."""
    return check_of_status(status(database, graph))


def check_of_status(report: StatusReport) -> CheckReport:
    """``check``'s judgement of a status report (one database's, or each target's of a fleet)."""
    reasons: list[str] = []
    for app in report.apps:
        if app.problem == "ahead":
            reasons.append(f"{app.app}: the database is at {app.version}, past the files (latest {app.latest})")
        elif app.problem == "behind":
            reasons.append(f"{app.app}: the database is at {app.version}, before the first migration file")
        elif app.problem == "inside squash":
            reasons.append(f"{app.app}: the database is at {app.version}, inside a squashed range whose originals were deleted")
        elif app.problem == "corrupt":
            reasons.append(f"{app.app}: the bookkeeping row holds {app.corrupt}, which modmig never writes")
        elif app.pending:
            listed = ", ".join(f"{v:04d}" for v in app.pending)
            reasons.append(f"{app.app}: {len(app.pending)} pending migration(s): {listed}")
        if app.dirty is not None:
            reasons.append(f"{app.app}: dirty: {app.dirty.describe()}")
        for version, path in app.changed:
            reasons.append(f"{app.app}:{version:04d} was edited after it was applied ({path})")
    for migration, requirement in report.inconsistent:
        reasons.append(f"{migration} is applied but its dependency {requirement} is not")
    for path, reason in report.ignored:
        reasons.append(f"{path} looks like a migration but is not read as one: {reason}")
    return CheckReport(report, reasons)


def _label(key: tuple[str, int]) -> str:
    return f"{key[0]}:{key[1]:04d}"
