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
    ├── LockLost (1)              the run's lock was lost (lease taken over, lock session ended)
    └── ConnectionLost (1)        the database connection broke during a run

``Interrupted`` (a KeyboardInterrupt, not a ModmigError) is SIGINT or SIGTERM arriving: a running
step turns it into ``MigrationFailed`` with ``interrupted`` set.

Domain code raises these with the culprit attached (app, version, path, line); the CLI is the one
boundary that prints ``str(error)`` and exits with ``error.exit_code``. Anything else escaping the
CLI is a bug in modmig, and keeps its traceback.

The classes live by kind in ``usage`` (usage and configuration), ``history`` (files, graph, state)
and ``run`` (a run in progress), over ``base``; import them from ``modmig.errors``.
"""

from __future__ import annotations

from .base import (  # noqa: F401
    ModmigError,
    show_path,
    closest,
    did_you_mean,
    listing,
    shorten,
)
from .usage import (  # noqa: F401
    UsageError,
    UnknownApp,
    UnknownFleet,
    Irreversible,
    ConfirmationRequired,
    Declined,
    ConnectionInTransaction,
    OwnershipViolation,
    DestructiveChanges,
    LintUnavailable,
    ConfigError,
    DatabaseUnavailable,
    TargetMissing,
    ModelsError,
    InsufficientPrivilege,
)
from .history import (  # noqa: F401
    MigrationFileError,
    GraphError,
    DuplicateVersion,
    SameMigrationTwice,
    VersionGap,
    UnknownDependency,
    DependencyCycle,
    SquashCycle,
    StateError,
    CorruptBookkeeping,
    ChecksumMismatch,
    DatabaseAhead,
    DatabaseBehindFiles,
    DatabaseInsideSquash,
    RenumberedMigration,
    DirtyState,
)
from .run import (  # noqa: F401
    MigrationFailed,
    RunInterrupted,
    Interrupted,
    raise_interrupted,
    SquashNotVerified,
    MigrationNotVerified,
    LockTimeout,
    LockLost,
    ConnectionLost,
)
