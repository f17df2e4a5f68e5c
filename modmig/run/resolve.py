"""Resolve a dirty mark the way the operator says, refusing a choice the catalog shows to be false.

``repair APP`` offers three answers to "what does the database hold?" for a migration that stopped
part-way:

* ``--applied``: all of it took effect (for a downgrade: all of its down section);
* ``--not-applied``: none of it did (or the operator undid it by hand);
* ``--statements-done N``: exactly its first N statements did; the next run resumes after them.

modmig cannot know which is true in general, so it does not guess; but where a statement says
what it creates, alters or drops, the catalog can show an answer to be false (``ddl_effects``):
``--not-applied`` while a table the migration's first statement created still exists would make
the next upgrade run that statement again and fail. Such an answer is refused, naming the
statement and the object, before anything is recorded.

Whose job: ``maintenance.repair`` takes the lock and writes the history row; this module decides
what the answer means and whether it can be true.

May import: ``modmig.files``, ``modmig.errors``, ``modmig.model``; backends are passed in.
"""

from __future__ import annotations

from ..errors import MigrationFileError, UsageError, show_path
from ..files.checksum import checksum_of_statements
from ..files.splitter import ScriptError
from ..model import DirtyMark, Migration
from .ddl_effects import effect


def statements_of(backend, migration: Migration, direction: str) -> list:
    """The statements of the interrupted part of ``migration`` as ``backend`` splits them."""
    script, line = (migration.sql_up, migration.up_line) if direction == "up" else (migration.sql_down or "", migration.down_line)
    try:
        return backend.split(script, line)
    except ScriptError as error:
        raise MigrationFileError(migration.path, error.message, error.line) from None


def check_answer(connection, backend, mark: DirtyMark, migration: Migration, applied: bool | None, done: int | None) -> None:
    """UsageError when the catalog shows the operator's answer about ``mark`` to be false."""
    if migration.kind != "sql" or mark.statements_done is None:
        if done is not None:
            raise UsageError(
                f"{mark.app}:{mark.name} is a Python migration: it has no statements to count. "
                f"Say --applied or --not-applied."
            )
        return
    statements = statements_of(backend, migration, mark.direction)
    if done is not None and not 0 <= done <= len(statements):
        raise UsageError(
            f"--statements-done {done}: the {_part(mark)} of {mark.app}:{mark.name} has {len(statements)} statement(s)."
        )
    if applied is None and done is None:
        return
    claimed = len(statements) if applied else 0 if done is None else done
    effects = [effect(connection, backend.name, statement.text) for statement in statements]
    targets = [found.target for found in effects]
    for index, (statement, found) in enumerate(zip(statements, effects)):
        if found.done is None or targets.count(found.target) > 1:
            continue  # the catalog cannot tell, or another statement changes the same object
        if index < claimed and found.done is False:
            fact = "did not take effect: the catalog shows " + found.target + " as it was before it"
        elif index >= claimed and index < (mark.statements_done or 0) and found.done:
            fact = "took effect and was not undone: the catalog shows " + found.target + " as it leaves it"
        else:
            continue  # a statement not done leaves nothing certain behind (the object may never have been there)
        raise UsageError(
            f"That is not what the database holds: statement {index + 1} of the {_part(mark)} of "
            f"{mark.app}:{mark.name} ({show_path(migration.path)}:{statement.line}) {fact}. Nothing was "
            f"recorded. {_closest_answer(mark, index, index < claimed)}"
        )


def progress_mark(mark: DirtyMark, statements: list, done: int) -> DirtyMark:
    """The mark saying exactly ``done`` statements took effect (known, so a resume trusts it)."""
    return DirtyMark(
        app=mark.app, version=mark.version, name=mark.name, direction=mark.direction,
        statements_done=done,
        prefix_checksum=checksum_of_statements([s.text for s in statements[:done]]),
        error=f"progress set by 'modmig repair --statements-done {done}'",
        session=None,
    )


def _closest_answer(mark: DirtyMark, refuted: int, claimed_done: bool) -> str:
    """What to answer instead, from what the mark and the catalog say."""
    if claimed_done:
        return (
            f"'modmig repair {mark.app} --statements-done {refuted}' records the statements before it, "
            f"and the next run resumes at it."
        )
    return (
        f"The run recorded that its first {mark.statements_done} statement(s) succeeded: undo them by "
        f"hand first, or say 'modmig repair {mark.app} --statements-done {mark.statements_done}' and "
        f"let the next run resume after them."
    )


def _part(mark: DirtyMark) -> str:
    return "upgrade" if mark.direction == "up" else "down section"
