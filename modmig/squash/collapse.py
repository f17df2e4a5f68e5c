"""``modmig squash``: plan a range of an app's history, write its net effect as one verified file.

The steps, each the job of one module:

1. choose the range (default: the whole history; ``--from`` / ``--to``) and the files that run
   through it now (a re-squash starts with an earlier squash): here;
2. its dependencies: the union of the range's dependencies on other apps (the highest version
   per app), and a refusal naming the cycle and the largest safe end if the squash would close
   one (``--auto`` takes that end): here;
3. the net effect: ``folding.py``; Python steps are carried (their code copied in) unless
   ``elidable = True``;
4. the file: SQL, or Python when a Python step is carried (``build.py``);
5. verification on scratch databases (``verify.py``); only then is the file written.

``prune`` (``squash --prune``) deletes the files a squash replaces, once the configured database
is not inside its range.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from ..errors import DependencyCycle, SquashCycle, UsageError, show_path
from ..files.loader import AppHistory, build_history
from ..model import Dependency, Migration
from ..plan.routes import NoRoute, is_position, route_up

if TYPE_CHECKING:
    from ..model import DatabaseState
    from .verify import VerificationReport


@dataclass
class SquashResult:
    """What ``modmig squash`` did (or, with verification failing, raised instead of doing)."""

    app: str
    first: int
    last: int
    path: Path
    kind: str  # "sql" or "python"
    #: The files the squash replaces, as they ran through the range (may start with a squash).
    replaced: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    statements: int = 0
    carried: list[str] = field(default_factory=list)
    elided: list[str] = field(default_factory=list)
    reversible: bool = False
    #: Set when --auto (or nothing) shortened the requested range to avoid a cycle.
    requested_last: int | None = None
    verification: "VerificationReport | None" = None
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "app": self.app,
            "first": self.first,
            "last": self.last,
            "path": show_path(self.path),
            "format": self.kind,
            "replaced": self.replaced,
            "dependencies": self.dependencies,
            "statements": self.statements,
            "carried": self.carried,
            "elided": self.elided,
            "reversible": self.reversible,
            "requested_last": self.requested_last,
            "verification": self.verification.as_dict() if self.verification else None,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }


@dataclass
class PruneResult:
    """What ``modmig squash APP --prune`` deleted, and the squash files that replace it."""

    app: str
    #: The squash files whose replaced files were deleted, e.g. ["0001_squashed_0033"].
    squashes: list[str] = field(default_factory=list)
    deleted: list[Path] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"app": self.app, "squashes": self.squashes, "deleted": [show_path(p) for p in self.deleted]}


def squash(
    histories: "Mapping[str, AppHistory]",
    app: str,
    *,
    first: int | None = None,
    last: int | None = None,
    auto: bool = False,
    verify: bool = True,
    verify_url: str | None = None,
    dialect: str = "sqlite",
    scratch_base: Path = Path("."),
) -> SquashResult:
    """Write ``app``'s versions first..last as one squash file, verified unless ``verify=False``.

    ``dialect`` is the SQL the app's migrations are written in (that of ``verify_url`` or of the
    project's database); ``scratch_base`` is where relative SQLite scratch URLs are resolved.
    The caller re-reads the files afterwards: a new file is in the app's folder.
    """
    from .sql_names import DIALECTS
    from .build import build_squash

    clock = time.perf_counter()
    history = histories[app]
    first, last = _range(history, first, last)
    route = _route(history, first, last)
    requested = last
    safe = largest_safe_end(histories, history, first, last)
    if safe != last:
        if not auto:
            raise SquashCycle(app, first, last, _cycle(histories, history, first, last), safe)
        if safe is None:
            raise SquashCycle(app, first, last, _cycle(histories, history, first, last), None)
        last = safe
        route = _route(history, first, last)
    if dialect not in DIALECTS:
        raise UsageError(f"modmig cannot fold migrations written for {dialect!r}.")
    if verify and verify_url is None and dialect != "sqlite":
        raise UsageError(
            f"{app}'s migrations are written for {dialect}, so they can only be verified on a {dialect} "
            f"scratch database: pass --verify-url with a server URL (modmig creates and drops two "
            f"throwaway databases there), or --no-verify."
        )
    timings = {"plan": time.perf_counter() - clock}

    clock = time.perf_counter()
    built = build_squash(app, first, last, route, _external_dependencies(app, route), dialect)
    path = history.folder / f"{first:04d}_squashed_{last:04d}.{'py' if built.kind == 'python' else 'sql'}"
    existing = [p for p in history.folder.glob(f"{first:04d}_squashed_{last:04d}.*") if p.suffix in (".sql", ".py")]
    if existing:
        raise UsageError(f"{show_path(existing[0])} already exists: this range is squashed already.")
    candidate = built.migration(path)
    timings["fold"] = time.perf_counter() - clock

    result = SquashResult(
        app=app, first=first, last=last, path=path, kind=built.kind,
        replaced=[m.name for m in route], dependencies=[str(d) for d in candidate.dependencies],
        statements=built.statements, carried=built.carried, elided=built.elided,
        reversible=candidate.reversible, requested_last=requested if requested != last else None,
    )
    if verify:
        clock = time.perf_counter()
        result.verification = _verify(histories, history, route, candidate, verify_url, scratch_base)
        timings["verify"] = time.perf_counter() - clock
    _write(path, built.text)
    result.seconds = timings
    return result


def prune(history: AppHistory, read_state: "Callable[[], DatabaseState | None]") -> PruneResult:
    """Delete every file that one of the app's squashes replaces, unless the database is inside it.

    A file is replaced when a squash's range contains its whole range (an original, or an earlier
    squash inside a re-squash). Nothing is deleted if the configured database stands strictly
    inside the range of a squash whose replaced files would go: it could never finish that range.
    ``read_state`` gives the configured database's state (None without one); it is called only
    once there is something to delete. The caller re-reads the files afterwards.
    """
    app = history.app
    if not history.squashes:
        raise UsageError(f"App {app!r} has no squash file: nothing to prune. Run 'modmig squash {app}' first.")
    files = [*history.migrations, *history.squashes]
    replaced: dict[Path, Migration] = {}
    used: list[Migration] = []
    for squash_file in sorted(history.squashes, key=lambda s: (s.first_version - s.version, s.first_version)):
        if squash_file.path in replaced:
            continue
        inside = [m for m in files if m is not squash_file and m.path not in replaced
                  and squash_file.first_version <= m.first_version and m.version <= squash_file.version]
        if inside:
            used.append(squash_file)
            replaced.update((m.path, m) for m in inside)
    if not replaced:
        raise UsageError(f"App {app!r}: the files its squashes replace are already deleted.")
    state = read_state()
    if state is None:
        raise UsageError(
            "Pruning needs the configured database, to check it is not inside a squashed range: "
            "configure one or pass --database."
        )
    version = state.version(app)
    for target in used:
        if target.first_version <= version < target.version:
            raise UsageError(
                f"Cannot prune: {app} is at version {version} in the database, inside the range "
                f"{target.first_version:04d}-{target.version:04d} of {target.name}; without the originals it "
                f"could never finish it. Run 'modmig upgrade {app}' first (or deploy this release everywhere "
                f"first), then prune. Nothing was deleted."
            )
    deleted = []
    for path in sorted(replaced, key=lambda p: p.name):
        path.unlink()
        deleted.append(path)
    return PruneResult(app, [s.name for s in used], deleted)


# -- the range -----------------------------------------------------------------------------------

def _range(history: AppHistory, first: int | None, last: int | None) -> tuple[int, int]:
    app = history.app
    first = history.base + 1 if first is None else first
    last = history.latest if last is None else last
    if last < first:
        raise UsageError(
            f"Cannot squash {app} from {first:04d} to {last:04d}: --from must not be after --to "
            f"(did you mean --from {last} --to {first}?)."
        )
    if not history.base < first <= history.latest or not first <= last <= history.latest:
        raise UsageError(
            f"Cannot squash {app} {first:04d}-{last:04d}: its migrations go from {history.base + 1:04d} to "
            f"{history.latest:04d}."
        )
    if last <= first:
        raise UsageError(f"Cannot squash {app} {first:04d}-{last:04d}: a squash needs at least two versions.")
    for edge, what in ((first - 1, "--from"), (last, "--to")):
        if not is_position(history, edge):
            raise UsageError(
                f"Cannot squash {app} {first:04d}-{last:04d}: {what} falls inside the range of an existing "
                f"squash whose originals were deleted."
            )
    return first, last


def _route(history: AppHistory, first: int, last: int) -> list[Migration]:
    try:
        return route_up(history, first - 1, last)
    except NoRoute:  # pragma: no cover - _range checked both ends
        raise UsageError(f"No files lead through {history.app} {first:04d}-{last:04d}.") from None


def _external_dependencies(app: str, route: list[Migration]) -> list[Dependency]:
    """Every other app the range needs, at the highest version any file of it needs."""
    highest: dict[str, int] = {}
    for migration in route:
        if migration.elidable and migration.kind == "python":
            continue
        for dependency in migration.dependencies:
            if dependency.app != app:
                highest[dependency.app] = max(highest.get(dependency.app, 0), dependency.version)
    return [Dependency(other, version) for other, version in sorted(highest.items())]


# -- cycles --------------------------------------------------------------------------------------

def largest_safe_end(histories: "Mapping[str, AppHistory]", history: AppHistory, first: int, last: int) -> int | None:
    """``last`` if squashing first..last closes no cycle, else the largest end that does not.

    A longer range only adds dependencies and dependents, so safety shrinks as the end grows:
    a binary search over the ends that are positions finds the largest safe one.
    """
    if _is_safe(histories, history, first, last):
        return last
    ends = [v for v in range(first + 1, last) if is_position(history, v)]
    low, high, best = 0, len(ends) - 1, None
    while low <= high:
        middle = (low + high) // 2
        if _is_safe(histories, history, first, ends[middle]):
            best, low = ends[middle], middle + 1
        else:
            high = middle - 1
    return best


def _is_safe(histories: "Mapping[str, AppHistory]", history: AppHistory, first: int, last: int) -> bool:
    try:
        _graph_with(histories, history, _stub(history, first, last))
    except DependencyCycle:
        return False
    return True


def _cycle(histories: "Mapping[str, AppHistory]", history: AppHistory, first: int, last: int) -> list[str]:
    try:
        _graph_with(histories, history, _stub(history, first, last))
    except DependencyCycle as error:
        return error.cycle
    return []


def _stub(history: AppHistory, first: int, last: int) -> Migration:
    route = route_up(history, first - 1, last)
    name = f"{first:04d}_squashed_{last:04d}"
    return Migration(
        app=history.app, version=last, name=name, path=history.folder / f"{name}.sql", kind="sql",
        source="", checksum="", dependencies=tuple(_external_dependencies(history.app, route)),
        replaces_from=first,
    )


def _graph_with(histories: "Mapping[str, AppHistory]", history: AppHistory, extra: Migration):
    from ..plan.graph import MigrationGraph

    return MigrationGraph({**histories, history.app: with_file(history, extra)})


def with_file(history: AppHistory, extra: Migration) -> AppHistory:
    return build_history(history.app, history.folder, [*history.migrations, *history.squashes, extra])


# -- verification and writing --------------------------------------------------------------------

def _verify(
    histories: "Mapping[str, AppHistory]", history: AppHistory, route: list[Migration], candidate: Migration,
    verify_url: str | None, scratch_base: Path,
):
    from ..plan.graph import MigrationGraph
    from .verify import verify_squash

    if history.base > 0:
        raise UsageError(
            f"Cannot verify a squash of {history.app} starting at {route[0].first_version:04d}: the versions "
            f"below it were deleted, so a scratch database cannot be brought to where the range starts. "
            f"Pass --no-verify to write it unverified."
        )
    before = MigrationGraph(histories)
    after = MigrationGraph({**histories, history.app: with_file(history, candidate)})
    prerequisites = _prerequisites(before, history, route)
    return verify_squash(history.app, prerequisites, route, candidate, before, after, verify_url, scratch_base)


def _prerequisites(graph, history: AppHistory, route: list[Migration]) -> list[Migration]:
    """What a fresh database runs before the range: its needs, on the routes a fresh database takes."""
    allowed = set()
    for name, other in graph.histories.items():
        stop = route[0].first_version - 1 if name == history.app else other.latest
        allowed.update(m.key for m in route_up(other, 0, stop))
    keys = [m.key for m in route]
    needed = graph.ancestors_within(keys, allowed | set(keys)) - set(keys)
    return [graph.nodes[key] for key in graph.in_order(needed)]


def _write(path: Path, text: str) -> None:
    """Write atomically: a reader never sees half a squash file."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)

