"""Errors of the migration history: a file that cannot be read, files that do not form a valid graph
(exit 2), and a database whose bookkeeping disagrees with the files (StateError, exit 1)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .base import ModmigError, show_path

if TYPE_CHECKING:
    from ..model import Migration


class MigrationFileError(ModmigError):
    """One migration file cannot be understood; the message starts with ``file:line:``."""

    def __init__(self, path: Path | str, message: str, line: int | None = None) -> None:
        self.path = Path(path)
        self.line = line
        shown = show_path(path)
        where = f"{shown}:{line}" if line is not None else shown
        super().__init__(f"{where}: {message}")


class GraphError(ModmigError):
    """The migration files of the project do not form a valid history."""


class DuplicateVersion(GraphError):
    """Several files claim one version: parallel branches each added one (``modmig merge`` fixes it)."""

    def __init__(self, app: str, version: int, paths: Sequence[Path], others: Sequence[int] = ()) -> None:
        self.app, self.version, self.paths, self.others = app, version, list(paths), list(others)
        shown = [show_path(p) for p in paths]
        names = ", ".join(shown[:-1]) + f" and {shown[-1]}"
        count = "two" if len(shown) == 2 else str(len(shown))
        also = ""
        if others:
            listed = ", ".join(f"{v:04d}" for v in others)
            also = f" Version{'s' if len(others) > 1 else ''} {listed} {'have' if len(others) > 1 else 'has'} more than one file too."
        super().__init__(
            f"App {app!r} has {count} migrations with version {version}: {names}. Parallel branches "
            f"each added one.{also} Run 'modmig merge {app}' to renumber them (it keeps the one "
            f"already applied and rewrites the dependencies of other apps to match)."
        )


class SameMigrationTwice(GraphError):
    """``0003_x.sql`` beside ``0003_x.py``: one migration in two formats, not two branches."""

    def __init__(self, app: str, paths: Sequence[Path]) -> None:
        self.app, self.paths = app, list(paths)
        shown = " and ".join(show_path(p) for p in paths)
        super().__init__(
            f"App {app!r} has the same migration twice, in two formats: {shown}. modmig cannot "
            f"tell which one is meant: keep one and delete the other."
        )


class VersionGap(GraphError):
    def __init__(self, app: str, missing: int, before: Path) -> None:
        self.app, self.missing, self.before = app, missing, before
        super().__init__(
            f"App {app!r} has no migration {missing:04d}, but {show_path(before)} follows it: "
            f"versions within an app must be contiguous."
        )


class UnknownDependency(GraphError):
    def __init__(self, path: Path, line: int | None, dependency: str, reason: str) -> None:
        self.path, self.line, self.dependency = path, line, dependency
        where = f"{show_path(path)}:{line}" if line is not None else show_path(path)
        super().__init__(f"{where}: dependency {dependency!r} {reason}")


class DependencyCycle(GraphError):
    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle = list(cycle)
        chain = " -> ".join([*cycle, cycle[0]])
        super().__init__(f"Dependency cycle: {chain}. Remove one of these dependencies.")


class SquashCycle(GraphError):
    """The squash would need something that needs it."""

    def __init__(self, app: str, first: int, last: int, cycle: list[str], safe: int | None) -> None:
        self.app, self.first, self.last, self.cycle, self.safe = app, first, last, cycle, safe
        chain = " -> ".join([*cycle, cycle[0]])
        if safe is None:
            advice = (f"No range starting at {first:04d} can be squashed: even {first:04d}-{first + 1:04d} "
                      f"closes a cycle. Start the range later with --from.")
        else:
            advice = (f"The largest safe end is {safe:04d}: run 'modmig squash {app} --from {first} --to {safe}', "
                      f"or add --auto to take it.")
        super().__init__(
            f"Squashing {app} {first:04d}-{last:04d} would create a dependency cycle: {chain}. A squash "
            f"must wait for every dependency of its range, and everything depending on a version inside "
            f"it waits for the squash. {advice}"
        )


class StateError(ModmigError):
    """The database and the migration files disagree; nothing was changed."""

    exit_code = 1


class CorruptBookkeeping(StateError):
    """``_schema_versions`` holds a value modmig never writes (a text or negative version)."""

    def __init__(self, app: str, found: str) -> None:
        self.app, self.found = app, found
        super().__init__(
            f"App {app!r}: the bookkeeping table _schema_versions holds {found}, which modmig never "
            f"writes (a version is a whole number, 0 or more). The row was changed by hand or by "
            f"another tool, so modmig cannot tell which migrations this database has. Check the "
            f"schema, then record the version it really has with 'modmig stamp {app} N'."
        )


class ChecksumMismatch(StateError):
    def __init__(self, changed: Sequence[tuple[str, int, Path]]) -> None:
        self.changed = list(changed)
        files = "; ".join(f"{app}:{version:04d} ({show_path(path)})" for app, version, path in changed)
        apps = sorted({app for app, _, _ in changed})
        super().__init__(
            f"Applied migrations were edited after they ran: {files}. Restore the files, or, "
            f"if the edit was intentional, record the new checksums with "
            + " and ".join(f"'modmig repair {app}'" for app in apps)
            + "."
        )


class DatabaseAhead(StateError):
    def __init__(self, app: str, version: int, latest: int) -> None:
        self.app, self.version, self.latest = app, version, latest
        super().__init__(
            f"App {app!r} is at version {version} in the database, but its migration files "
            f"only go up to {latest}. Deploy the code that has those migrations, or use "
            f"'modmig stamp {app} {latest}' if they were removed on purpose."
        )


class DatabaseBehindFiles(StateError):
    def __init__(self, app: str, version: int, base: int) -> None:
        self.app, self.version, self.base = app, version, base
        super().__init__(
            f"App {app!r} is at version {version} in the database, but its migration files start "
            f"after {base:04d} (the older ones were removed or squashed away). Upgrade this "
            f"database with a release that still has them, then deploy this one."
        )


class DatabaseInsideSquash(StateError):
    """The database stopped inside a squash's range, and the originals it needs were deleted."""

    def __init__(self, app: str, version: int, squash: "Migration | None") -> None:
        self.app, self.version, self.squash = app, version, squash
        if squash is None:
            where = "at a version no remaining migration file starts from"
            fix = "Upgrade this database with a release that still has the deleted migrations"
        else:
            where = (
                f"inside the range {squash.first_version:04d}-{squash.version:04d} that "
                f"{show_path(squash.path)} squashes, and the original migrations of that range were deleted"
            )
            fix = (
                f"Upgrade this database to {squash.version} or later with the previous release "
                f"(the one that still has the originals), then deploy this one"
            )
        super().__init__(f"App {app!r} is at version {version} in the database, {where}. {fix}.")


class RenumberedMigration(StateError):
    """A migration this database applied was given a new number by ``modmig merge``."""

    def __init__(self, app: str, version: int, recorded: str, now: "Migration") -> None:
        self.app, self.version, self.recorded, self.now = app, version, recorded, now
        super().__init__(
            f"App {app!r}: this database applied {recorded} as version {version}, but 'modmig merge' "
            f"renumbered it to {now.name} (version {now.version}); version {version} is now another "
            f"migration, which this database has not run. Fix the record with "
            f"'modmig repair {app} --renumbered': it runs the merged migrations this database lacks "
            f"and records {app} at {now.version}."
        )


class DirtyState(StateError):
    """An app whose last migration stopped part-way: ``advice`` says what resumes or resolves it."""

    def __init__(self, app: str, detail: str, advice: str | None = None) -> None:
        self.app = app
        if advice is None:
            advice = (
                f"Inspect the database, then run 'modmig repair {app} --applied' or "
                f"'modmig repair {app} --not-applied'."
            )
        super().__init__(f"App {app!r} is dirty: {detail} {advice}")


