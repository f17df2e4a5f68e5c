"""The plain data every layer shares: migrations, their dependencies, and plan steps.

Nothing here reads files or talks to a database. A ``Migration`` is what the loader found in one
file; its fields are the migration-file contract (see docs/file-formats.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

#: App labels: a Python-identifier-like lowercase name, so it is safe in file names and SQL.
APP_LABEL = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")
_SQUASH_NAME = re.compile(r"(\d+)_squashed_\d+\Z")
_DEPENDENCY = re.compile(r"\s*([a-z_][a-z0-9_]{0,63})\s*:\s*(\d+)\s*\Z")

#: A node of the graph: (app label, version the app is at once this migration has run). A squash
#: file is ``(app, last, first)``, so it never collides with the original of its last version;
#: ``key[0]`` and ``key[1]`` mean the same for both.
Key = tuple


@dataclass(frozen=True)
class AppSource:
    """Where one app's migrations come from: a folder, or a package found by import machinery."""

    label: str
    folder: Path | None = None
    package: str | None = None
    #: The app's SQLAlchemy models, ``module`` or ``module:attribute`` (``makemigrations``).
    models: str | None = None


@dataclass(frozen=True)
class Dependency:
    """``app:version`` declared by a migration: app must be at ``version`` or later first."""

    app: str
    version: int
    line: int | None = None  # where the file declares it, for error messages

    def __str__(self) -> str:
        return f"{self.app}:{self.version:04d}"

    @classmethod
    def parse(cls, text: str, line: int | None = None) -> "Dependency":
        """``"users:0002"`` -> Dependency("users", 2). Raises ValueError with the reason."""
        match = _DEPENDENCY.match(text)
        if not match:
            raise ValueError(f"{text.strip()!r} is not a dependency; write it as app:NNNN, e.g. users:0002")
        version = int(match.group(2))
        if version < 1:
            raise ValueError(f"{text.strip()!r}: versions start at 1")
        return cls(match.group(1), version, line)


@dataclass(frozen=True)
class Migration:
    """One migration file of one app."""

    app: str
    #: The version the app is at after this migration ran (N of ``NNNN_slug.sql``; for a squash
    #: file, the last version it replaces).
    version: int
    #: The file name without its extension, e.g. ``0003_add_tags``.
    name: str
    #: Where the file is, for messages; for a packaged app, the path inside the package.
    path: Path
    #: ``"sql"`` or ``"python"``.
    kind: str
    #: The file's text, decoded; Python migrations are compiled from it when they run.
    source: str
    #: Normalised checksum of ``source`` (line endings and trailing blanks ignored).
    checksum: str
    dependencies: tuple[Dependency, ...] = ()
    #: False for ``-- modmig: transaction off`` / ``transaction = False``.
    transaction: bool = True
    #: True when there is a down section / a ``downgrade`` function.
    reversible: bool = False
    #: SQL migrations only: the upgrade and downgrade scripts and the file line each starts on.
    sql_up: str = ""
    sql_down: str | None = None
    up_line: int = 1
    down_line: int = 1
    #: For a squash file: the first version it replaces (``version`` is the last).
    replaces_from: int | None = None
    #: True when a squash may drop this migration (Python ``elidable = True``).
    elidable: bool = False

    @property
    def key(self) -> Key:
        if self.replaces_from is None:
            return (self.app, self.version)
        return (self.app, self.version, self.replaces_from)

    @property
    def is_squash(self) -> bool:
        return self.replaces_from is not None

    @property
    def first_version(self) -> int:
        """The lowest version this node brings the app through (== version unless a squash)."""
        return self.replaces_from if self.replaces_from is not None else self.version

    @property
    def label(self) -> str:
        """``blog:0003_add_tags``: how the CLI names a migration."""
        return f"{self.app}:{self.name}"

    def __repr__(self) -> str:
        return f"<Migration {self.label}>"


@dataclass(frozen=True)
class Step:
    """One migration to run in one direction, as the planner ordered it."""

    migration: Migration
    direction: str  # "up" or "down"

    @property
    def label(self) -> str:
        return self.migration.label


@dataclass
class Plan:
    """What a run would do, in order, and which apps it touches."""

    steps: list[Step] = field(default_factory=list)
    #: Apps the user asked for; others in ``steps`` are brought along by dependencies.
    requested: tuple[str, ...] = ()

    @property
    def apps(self) -> list[str]:
        return sorted({step.migration.app for step in self.steps})

    @property
    def other_apps(self) -> list[str]:
        return [app for app in self.apps if app not in self.requested]

    def __bool__(self) -> bool:
        return bool(self.steps)

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class DirtyMark:
    """A migration that ran without a transaction and stopped part-way (or is running now).

    ``statements_done`` statements of its script succeeded; their joined checksum is
    ``prefix_checksum``, so a resume can prove the file did not change under them. For a Python
    migration ``statements_done`` is None: modmig cannot know how much of it took effect.
    """

    app: str
    version: int
    name: str
    direction: str
    statements_done: int | None
    prefix_checksum: str | None
    failed_statement: str | None = None
    error: str | None = None
    #: The database session that ran it (MySQL: the connection id), to find a statement the
    #: server may still be running after the client died.
    session: str | None = None

    @property
    def first_version(self) -> int:
        """The lowest version the interrupted file covers (a squash ``0001_squashed_0010``: 1)."""
        match = _SQUASH_NAME.match(self.name or "")
        return int(match.group(1)) if match else self.version

    def describe(self) -> str:
        if self.statements_done is None:
            text = f"{self.direction} of {self.app}:{self.name} (a Python migration) did not finish"
        else:
            text = (
                f"{self.direction} of {self.app}:{self.name} stopped after {self.statements_done} "
                f"statement(s) succeeded"
            )
        if self.failed_statement:
            text += f"; it failed on: {' '.join(self.failed_statement.split())[:200]}"
        if self.error:
            text += f" ({self.error})"
        return text + "."


@dataclass
class DatabaseState:
    """What the bookkeeping tables say: every app's version, applied checksums, dirty marks."""

    versions: dict[str, int] = field(default_factory=dict)
    #: Recorded checksum of each applied migration (the last successful up / stamp / repair).
    checksums: dict[Key, str] = field(default_factory=dict)
    #: Name of the file each of those rows recorded, e.g. ``0010_add_tags`` or
    #: ``0001_squashed_0010``: a version may have been reached by an original or by a squash.
    names: dict[Key, str] = field(default_factory=dict)
    dirty: dict[str, DirtyMark] = field(default_factory=dict)
    #: Checksums of the up and down parts of each recorded SQL file, where the row has them
    #: (rows written before they were recorded apart have only the whole file's).
    part_checksums: dict[Key, tuple] = field(default_factory=dict)
    #: Apps whose bookkeeping row holds what modmig never writes (a text or negative version):
    #: app -> what was found. Their version is unknown; every command but ``stamp`` refuses them.
    corrupt: dict[str, str] = field(default_factory=dict)
    #: False when the bookkeeping tables do not exist yet (a fresh database).
    initialised: bool = True

    def version(self, app: str) -> int:
        return self.versions.get(app, 0)
