"""Every error a user can cause, as data, with the message built once.

The hierarchy, with the exit code the CLI turns each branch into::

    ModmigError
    ├── UsageError (2)            a command line that cannot be carried out
    │   ├── UnknownApp            an app label that is not configured
    │   ├── UnknownFleet          a fleet name that is not configured
    │   ├── ConfirmationRequired  a downgrade reaching into other apps was not confirmed
    │   ├── ConnectionInTransaction  an embedding caller's Connection is inside a transaction
    │   ├── Irreversible          a downgrade through a migration without a down section
    │   ├── OwnershipViolation    models would change what another app (or no app) owns
    │   ├── DestructiveChanges    makemigrations would drop or narrow, unconfirmed
    │   └── LintUnavailable       'modmig lint' needs an optional package (pglast) not installed
    ├── ConfigError (2)           modmig.yaml, app folders, database URLs
    │   ├── DatabaseUnavailable   the database cannot be reached (no password shown)
    │   │   └── TargetMissing     a fleet's database or schema does not exist (any more)
    │   ├── InsufficientPrivilege the account lacks a privilege (which one, on which database)
    │   └── ModelsError           an app's models cannot be imported or found
    ├── MigrationFileError (2)    one migration file cannot be understood (file:line)
    ├── GraphError (2)            the files do not form a valid history
    │   ├── DuplicateVersion      two files claim one version of an app
    │   ├── SameMigrationTwice    one migration written twice (0003_x.sql and 0003_x.py)
    │   ├── VersionGap            a version is missing inside an app's history
    │   ├── UnknownDependency     a dependency names an app or version that does not exist
    │   ├── DependencyCycle       the dependencies loop (the whole cycle is printed)
    │   └── SquashCycle           a squash would wait for something that waits for it
    ├── StateError (1)            the database and the files disagree
    │   ├── CorruptBookkeeping    a bookkeeping row holds what modmig never writes
    │   ├── ChecksumMismatch      applied files were edited afterwards
    │   ├── DatabaseAhead         the database is at a version the files do not have
    │   ├── DatabaseBehindFiles   the database is below the first file (history was pruned)
    │   ├── DatabaseInsideSquash  inside a squashed range whose originals were deleted
    │   ├── RenumberedMigration   an applied migration was renumbered by 'modmig merge'
    │   └── DirtyState            a non-transactional migration stopped half-way
    ├── Declined (1)              the user answered no to a confirmation; nothing was changed
    ├── MigrationFailed (1)       a migration raised; nothing after it ran (130 / 143 when SIGINT
    │                             or SIGTERM stopped it: ``interrupted`` says which)
    ├── RunInterrupted (130/143)  SIGINT / SIGTERM where no step was half-done
    ├── SquashNotVerified (1)     a squash does not do what its originals do: not written
    ├── MigrationNotVerified (1)  a generated migration does not give the models: not written
    ├── LockTimeout (1)           another run held the lock for too long
    └── ConnectionLost (1)        the database connection broke during a run

``Interrupted`` (a KeyboardInterrupt, not a ModmigError) is SIGINT or SIGTERM arriving: a running
step turns it into ``MigrationFailed`` with ``interrupted`` set.

Domain code raises these with the culprit attached (app, version, path, line); the CLI is the one
boundary that prints ``str(error)`` and exits with ``error.exit_code``. Anything else escaping the
CLI is a bug in modmig, and keeps its traceback.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

if TYPE_CHECKING:
    from .model import Migration, Plan


class ModmigError(Exception):
    """Base of every error modmig reports to a user."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def show_path(path: Path | str) -> str:
    """A path as a user should read it: relative to the current folder when inside it."""
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like ``word``, for "did you mean ...?" hints."""
    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.5)
    return found[0] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    guess = closest(word, choices)
    return f" Did you mean {guess!r}?" if guess else ""


class UsageError(ModmigError):
    """A command that cannot be carried out as given (bad target, refused confirmation...)."""


class UnknownApp(UsageError):
    def __init__(self, app: str, known: Sequence[str]) -> None:
        self.app = app
        listing = ", ".join(sorted(known)) or "(none)"
        super().__init__(
            f"Unknown app {app!r}.{did_you_mean(app, known)} Configured apps: {listing}."
        )


class UnknownFleet(UsageError):
    def __init__(self, fleet: str, known: Sequence[str]) -> None:
        self.fleet = fleet
        listing = ", ".join(sorted(known)) or "(none: add 'fleets:' to modmig.yaml, see docs/fleet.md)"
        super().__init__(f"Unknown fleet {fleet!r}.{did_you_mean(fleet, known)} Configured fleets: {listing}.")


class Irreversible(UsageError):
    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        super().__init__(
            f"Cannot downgrade: {', '.join(labels)} {'has' if len(labels) == 1 else 'have'} no down "
            f"section (irreversible). Nothing was changed."
        )


class ConfirmationRequired(UsageError):
    """A downgrade reaching into other apps, and nobody could be asked (``why``)."""

    def __init__(self, plan: "Plan", why: str | None = None) -> None:
        self.plan = plan
        steps = "\n".join(f"  {step.direction} {step.label}" for step in plan.steps)
        because = f" ({why})" if why else ""
        super().__init__(
            f"This downgrade also undoes migrations of {', '.join(plan.other_apps)}:\n{steps}\n"
            f"Nothing was changed. Confirm it with --yes{because}; from Python, pass confirm=."
        )


class Declined(ModmigError):
    """The user answered no when asked to confirm: nothing was changed (exit 1)."""

    exit_code = 1


class ConnectionInTransaction(UsageError):
    def __init__(self) -> None:
        super().__init__(
            "The Connection given to modmig is inside a transaction. modmig commits each migration "
            "itself and will not commit (or roll back) a transaction it did not open: call "
            "connection.commit() or connection.rollback() first."
        )


class OwnershipViolation(UsageError):
    """An app's models would change an object another app's migrations created, or no app's did.

    ``app`` is the app whose models ask for it; ``owner`` the app that owns the object (None: no
    app does); ``problems`` one line each.
    """

    def __init__(self, app: str, problems: Sequence[str], hint: str | None = None) -> None:
        self.app, self.problems = app, list(problems)
        listing = _listing(self.problems)
        tail = f"\n{hint}" if hint else ""
        super().__init__(
            f"The models of {app!r} reach beyond what {app!r} owns; nothing was written:{listing}{tail}"
        )


class DestructiveChanges(UsageError):
    """makemigrations would drop a table or column, or narrow a type, and nobody confirmed it."""

    def __init__(self, changes: Sequence[str], renames: Sequence[str] = ()) -> None:
        self.changes, self.renames = list(changes), list(renames)
        listing = _listing(self.changes)
        hint = ""
        if self.renames:
            hint = "\nIf a column was renamed, say so: " + " ".join(f"--rename {r}" for r in self.renames) + "."
        super().__init__(
            f"These changes lose data; nothing was written:{listing}\nRe-run with --allow-destructive "
            f"to write them (on a terminal, modmig asks).{hint}"
        )


class LintUnavailable(UsageError):
    """The linter needs a parser that is an optional dependency, and it is not installed."""

    def __init__(self, dialect: str, package: str, extra: str = "lint") -> None:
        self.dialect, self.package = dialect, package
        super().__init__(
            f"Linting {dialect} migrations needs {package}, which is not installed: "
            f"pip install 'modmig[{extra}]'"
        )


class ConfigError(ModmigError):
    """The project configuration is missing or wrong."""

    def __init__(self, message: str, path: Path | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            shown = show_path(path)
            where = f"{shown}:{line}: " if line is not None else f"{shown}: "
        super().__init__(where + message)


class DatabaseUnavailable(ConfigError):
    """The database URL is malformed or the server does not answer.

    ``url`` is always the password-masked rendering.
    """

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        super().__init__(f"Cannot use database {url}: {reason}")


class TargetMissing(DatabaseUnavailable):
    """A fleet target (database, schema or file) that does not exist: reported, not migrated."""

    def __init__(self, url: str, what: str = "database") -> None:
        self.what = what
        super().__init__(url, f"the {what} does not exist (any more)")


class ModelsError(ConfigError):
    """An app's models cannot be imported, or hold no SQLAlchemy MetaData modmig can find."""

    def __init__(self, app: str, module: str, reason: str) -> None:
        self.app, self.module, self.reason = app, module, reason
        super().__init__(f"app {app!r}: models {module!r}: {reason}")


class InsufficientPrivilege(ConfigError):
    """The database account lacks a privilege modmig needs (which one, on which database: ``hint``)."""

    def __init__(self, url: str, doing: str, reason: str, hint: str) -> None:
        self.url, self.reason, self.hint = url, reason, hint
        super().__init__(
            f"The database account may not do what modmig needs while {doing} on {url}: {reason}. "
            f"The {hint}. Nothing was changed."
        )


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


class MigrationFailed(ModmigError):
    """A migration raised. It was rolled back (or, without a transaction, left dirty).

    ``interrupted`` names the signal (``"SIGINT"``) when a signal, not the migration, stopped it;
    the exit code is then 128 + the signal's number, as a shell reports a process it interrupted.
    """

    exit_code = 1

    def __init__(
        self,
        app: str,
        version: int,
        path: Path | str,
        error: str,
        statement: str | None = None,
        line: int | None = None,
        rolled_back: bool = True,
        direction: str = "up",
        stays_at: int | None = None,
        not_rolled_back_because: str | None = None,
        statements_done: int | None = None,
        interrupted: "Interrupted | None" = None,
        first_version: int | None = None,
    ) -> None:
        self.app, self.version, self.path = app, version, path
        self.statements_done = statements_done
        self.error, self.statement, self.line = error, statement, line
        self.rolled_back, self.direction = rolled_back, direction
        self.interrupted = interrupted
        if interrupted is not None:
            self.exit_code = interrupted.exit_code
        first = version if first_version is None else first_version
        where = f"{show_path(path)}:{line}" if line is not None else show_path(path)
        what = f"{app}:{version:04d}" if direction == "up" else f"the downgrade of {app}:{version:04d}"
        if interrupted is not None:
            text = f"Interrupted by {interrupted.signal_name} during {what}, at {where}"
        else:
            text = f"{'Migration' if direction == 'up' else 'Downgrade of'} {app}:{version:04d} failed at {where}"
        if statement is not None:
            text += f"\n  statement: {_shorten(statement)}"
        text += "\n  error: " + error.replace("\n", "\n         ")
        if stays_at is None:
            stays_at = first - 1 if direction == "up" else version
        if rolled_back:
            text += f"\nIt was rolled back; {app} stays at version {stays_at}. Nothing after it ran."
        else:
            why = f" ({not_rolled_back_because})" if not_rolled_back_because else ""
            text += f"\nIt could not be rolled back{why}: {app} is marked dirty at {version:04d}"
            if direction == "up":
                resume, part = f"modmig upgrade {app}", "file"
            else:
                resume, part = f"modmig downgrade {app} --to {first - 1}", "down section"
            if statements_done is None:
                text += (
                    f". A Python migration cannot resume part-way: inspect the database, then say what "
                    f"it holds with 'modmig repair {app}' (it explains what each choice records)."
                )
            else:
                text += (
                    f" after {statements_done} statement(s){'' if direction == 'up' else ' of its down section'} "
                    f"succeeded (they stay applied). '{resume}' resumes it at statement {statements_done + 1}; the "
                    f"{part} may be fixed from that statement on, not before it. 'modmig status' shows the details."
                )
            text += " Nothing after it ran."
        super().__init__(text)


class RunInterrupted(ModmigError):
    """SIGINT or SIGTERM stopped a command where no step was half-done (between steps, waiting
    for the lock). Exit code 128 + the signal's number."""

    def __init__(self, interrupted: "Interrupted", steps_done: int | None = None, total: int | None = None, where: str | None = None) -> None:
        self.interrupted, self.steps_done = interrupted, steps_done
        self.exit_code = interrupted.exit_code
        if where is not None:
            text = f"Interrupted by {interrupted.signal_name} {where}."
        elif steps_done is not None:
            text = (
                f"Interrupted by {interrupted.signal_name} after {steps_done} of {total} step(s) completed; "
                f"each completed step is recorded with its version, and nothing after them ran. "
                f"'modmig status' shows where each app stands; run the command again to go on."
            )
        else:
            text = (
                f"Interrupted by {interrupted.signal_name}. Whatever modmig was writing was rolled back; "
                f"'modmig status' shows where each app stands."
            )
        super().__init__(text)


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: raised in the main thread so that every step unwinds the safe way.

    A KeyboardInterrupt, so code that handles Ctrl-C handles SIGTERM the same way. Not a
    ModmigError: whoever is running a step turns it into a ``MigrationFailed`` that says where
    each app stands; the CLI reports one that arrives anywhere else.
    """

    def __init__(self, signum: int = 2) -> None:
        import signal

        super().__init__(signum)
        self.signum = signum
        self.signal_name = signal.Signals(signum).name if signum in signal.Signals._value2member_map_ else f"signal {signum}"
        self.exit_code = 128 + signum


def raise_interrupted(signum: int, _frame: object) -> None:
    """A signal handler: SIGTERM (or SIGINT) becomes ``Interrupted`` in the main thread."""
    raise Interrupted(signum)


class SquashNotVerified(ModmigError):
    """The squash does not do what the originals do (or does not run): nothing was written."""

    exit_code = 1

    def __init__(self, app: str, name: str, reason: str, differences: list[str] | None = None) -> None:
        self.app, self.name, self.reason, self.differences = app, name, reason, list(differences or [])
        listing = _listing(self.differences)
        super().__init__(
            f"The squash {app}:{name} failed verification, so no file was written: {reason}{listing}\n"
            f"Squash a smaller range (--to N), or report the statement the folder got wrong; "
            f"--no-verify writes the file anyway (not recommended)."
        )


class MigrationNotVerified(ModmigError):
    """A migration makemigrations generated does not give the models, or its down does not undo it."""

    exit_code = 1

    def __init__(self, app: str, name: str, reason: str, differences: Sequence[str] = ()) -> None:
        self.app, self.name, self.reason, self.differences = app, name, reason, list(differences)
        listing = _listing(self.differences)
        super().__init__(
            f"The generated migration {app}:{name} failed its replay on a scratch database, so no file was "
            f"written: {reason}{listing}\nWrite this change by hand ('modmig new {app} SLUG'), or report it."
        )


class LockTimeout(ModmigError):
    exit_code = 1

    def __init__(self, seconds: float, holder: str | None) -> None:
        self.seconds, self.holder = seconds, holder
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"Gave up waiting for the migration lock after {seconds:g} s{who}. Nothing was "
            f"changed. Retry, or raise --lock-timeout."
        )


class ConnectionLost(ModmigError):
    """The connection broke mid-run (server restart, network, a killed session)."""

    exit_code = 1

    def __init__(self, url: str, reason: str, steps_done: int) -> None:
        self.url, self.reason, self.steps_done = url, reason, steps_done
        super().__init__(
            f"The connection to {url} broke during the run, after {steps_done} completed step(s): "
            f"{reason}. The step that was running was not recorded as applied: its transaction is "
            f"rolled back by the server (where DDL commits implicitly, e.g. MySQL, the statements "
            f"before it stay and the app stays dirty). Check with 'modmig status', then run again."
        )


class LockLost(ModmigError):
    """The run's migration lock was lost (lease taken over, lock session killed or timed out):
    the run stops before committing anything more, so two runs never migrate at once."""

    exit_code = 1

    def __init__(self, reason: str, steps_done: int | None = None, step: str | None = None) -> None:
        self.reason, self.steps_done, self.step = reason, steps_done, step
        done = "" if steps_done is None else f" after {steps_done} completed step(s)"
        where = f" before committing {step}" if step else ""
        super().__init__(
            f"This run lost the migration lock{done}: {reason}. It stopped{where}: nothing it did after "
            f"losing the lock was kept (a step running in a transaction was rolled back; where DDL commits "
            f"implicitly, e.g. MySQL, the app's dirty mark says how far the step got), and another run may "
            f"be migrating now. Check with 'modmig status' when that run is done, then run again if "
            f"anything is pending."
        )


def _listing(lines: Sequence[str], limit: int = 40) -> str:
    """``lines`` as an indented list under a message, the first ``limit`` of them."""
    listing = "".join(f"\n  - {line}" for line in lines[:limit])
    if len(lines) > limit:
        listing += f"\n  ... and {len(lines) - limit} more"
    return listing


def _shorten(statement: str, limit: int = 400) -> str:
    flat = " ".join(statement.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
