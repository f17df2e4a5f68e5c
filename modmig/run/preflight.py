"""Refuse a plan before anything runs: scripts this database cannot take, migrations not written yet.

Whose job: the executor calls ``check_plan`` before the first step, so a plan is refused whole
(exit 2, nothing changed) instead of failing half-way:

* a script that cannot be split for this database (a MySQL ``DELIMITER`` line): the splitter's
  error, with its file and line;
* an upgrade with no statement at all (an empty file, only comments, an untouched ``modmig new``
  SQL template): it would be recorded as applied while doing nothing, which is almost never
  what was meant;
* an untouched ``modmig new`` Python template (its ``upgrade`` does nothing);
* a step the database's topology cannot run as written (``Backend.refuse_step``: a ``transaction
  off`` migration needing session settings behind PgBouncer in transaction mode).

May import: ``modmig.files``, ``modmig.errors``, ``modmig.model``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Optional

from ..errors import MigrationFileError
from ..files.scaffold import is_untouched_template
from ..files.splitter import Statement
from ..model import Plan, Step


def check_plan(
    plan: Plan,
    statements: Callable[[Step], list[Statement]],
    resume: Mapping[str, int],
    refuse: Optional[Callable[[Step], Optional[str]]] = None,
) -> None:
    """Raise MigrationFileError for the first step of ``plan`` that must not run (``refuse``: the
    backend's reason a step cannot run on its topology, e.g. behind a transaction pooler)."""
    for step in plan.steps:
        migration = step.migration
        why = refuse(step) if refuse is not None else None
        if why:
            raise MigrationFileError(migration.path, why)
        if migration.kind == "sql":
            found = statements(step)  # raises for a script this database cannot take
            if step.direction == "up" and not found:
                raise MigrationFileError(
                    migration.path,
                    "has no SQL statement to run (it is empty, or holds only comments"
                    + (", as 'modmig new' wrote it" if is_untouched_template(migration) else "")
                    + "): write the migration, or delete the file. A migration meant to do nothing "
                    "needs a statement that does nothing, e.g. SELECT 1;",
                )
        elif step.direction == "up" and is_untouched_template(migration):
            raise MigrationFileError(
                migration.path,
                "is the template 'modmig new' wrote, untouched: its upgrade() does nothing. Write the "
                "migration, or delete the file.",
            )
