"""Errors of what the user asked for (UsageError, Declined) and of what the user configured (ConfigError):
the command line, confirmations, modmig.yaml, database URLs and privileges. Exit code 2 (Declined: 1)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from .base import ModmigError, did_you_mean, listing as _listing, show_path

if TYPE_CHECKING:
    from ..model import Plan


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


