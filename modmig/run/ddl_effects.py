"""Did a DDL statement take effect? Ask the catalog, where the statement says what it changes.

Why: where DDL commits by itself (MySQL/MariaDB, ``transaction off``), a statement can finish
while its client is gone. MariaDB even finishes a DDL statement whose client was killed, so a kill
at any moment during a long ``ALTER TABLE`` (not only the instant after it commits) leaves the
dirty mark's progress counter one statement behind, and resuming would run the statement again
("Table 'big' already exists").

Whose job: before a run resumes a dirty migration whose interrupted statement's outcome is
unknown (the process died, or a signal cut it off), ``settle_resume``

1. waits for that statement if it is still running on the server in the dead session (the
   backend says: ``Backend.running_statement``), up to ``DEAD_STATEMENT_WAIT`` seconds;
2. reads the catalog for what the statement creates, alters or drops (``effect``): a table, view,
   index, column or constraint that must now exist, or be gone;
3. resumes after the statement if its effect is there, at it if not, and refuses (``DirtyState``
   naming the statement and the object, and the repair choices that are true) where the
   statement says nothing the catalog can check.

``repair`` uses ``effect`` too, to refuse a choice the catalog shows to be false.

May import: ``modmig.errors``, ``modmig.model``; sqlglot and SQLAlchemy's inspector.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from sqlalchemy import inspect

from ..advice import repair_choices
from ..errors import DirtyState, show_path
from ..model import DatabaseState, DirtyMark, Plan, Step

#: How long a resume waits for the statement of a dead session to finish before giving up.
DEAD_STATEMENT_WAIT = 60.0
_POLL = 0.2
#: The error a mark records when a signal cut a statement off (its outcome is then not known).
_CUT_OFF = "interrupted by"
#: Statements that commit by themselves on MySQL (and so may have taken effect without the
#: progress counter that follows them in the same transaction).
_SELF_COMMITTING = ("CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", "GRANT", "REVOKE")

_SQLGLOT = {"postgresql": "postgres"}  # sqlglot's names for the backends' dialects

logging.getLogger("sqlglot").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Effect:
    """What the catalog says about one statement: ``done`` True / False, or None (cannot tell)."""

    done: bool | None
    #: The object the statement changes, as a person names it ("table big", "column t.c").
    target: str
    #: Why modmig cannot tell, when ``done`` is None.
    reason: str = ""


def outcome_unknown(mark: DirtyMark) -> bool:
    """True when the statement after the mark's progress may have run: the process died (no error
    recorded), or a signal cut that statement off. A run that stopped cleanly between statements,
    or a statement that failed with the database's error, left an exact mark."""
    if mark.statements_done is None:
        return False
    return mark.error is None or (mark.failed_statement is not None and mark.error.startswith(_CUT_OFF))


def commits_by_itself(step: Step, text: str, transactional_ddl: bool) -> bool:
    """Whether ``text`` could have committed apart from the progress counter after it."""
    if not step.migration.transaction:
        return True  # autocommit: every statement commits on its own
    word = re.match(r"\s*(\w+)", text)
    return not transactional_ddl and word is not None and word.group(1).upper() in _SELF_COMMITTING


def settle_resume(
    connection, backend, state: DatabaseState, plan: Plan, resume: dict[str, int],
    statements: Callable[[Step], list], on_wait: Callable[[str, float], None] | None = None,
) -> dict[str, int]:
    """``resume`` with each app whose interrupted statement took effect moved past that statement."""
    first_step = {}
    for step in plan.steps:
        first_step.setdefault(step.migration.app, step)
    settled = dict(resume)
    try:
        _settle(connection, backend, state, resume, settled, first_step, statements, on_wait)
    finally:
        if connection.in_transaction():
            connection.commit()  # the catalog reads opened one
    return settled


def _settle(connection, backend, state, resume, settled, first_step, statements, on_wait) -> None:
    for app, done in resume.items():
        mark, step = state.dirty[app], first_step[app]
        if not outcome_unknown(mark) or done >= len(statements(step)):
            continue
        statement = statements(step)[done]
        if not commits_by_itself(step, statement.text, backend.transactional_ddl):
            continue  # it ran in one transaction with the counter: the counter is exact
        _wait_for_dead_session(connection, backend, mark, statement.text, on_wait)
        found = effect(connection, backend.name, statement.text)
        if found.done:
            settled[app] = done + 1
        elif found.done is None:
            raise DirtyState(
                app,
                mark.describe(),
                f"Statement {done + 1} ({_short(statement.text)}, {show_path(step.migration.path)}:{statement.line}) was "
                f"running when the run stopped, and modmig cannot tell whether it took effect: {found.reason}. "
                f"Look at {found.target}, then: 'modmig repair {app} --statements-done {done + 1}' if it took "
                f"effect (the next run resumes after it), or 'modmig repair {app} --statements-done {done}' if "
                f"it did not (the next run runs it). {repair_choices(mark)}",
            )


def effect(connection, dialect: str, text: str) -> Effect:
    """Whether ``text``'s effect is in the database now, judged from the catalog."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    try:
        parsed = sqlglot.parse_one(text, read=_SQLGLOT.get(dialect, dialect))
    except (SqlglotError, ValueError):
        return Effect(None, "the objects it names", "modmig cannot parse the statement")
    catalog = _Catalog(connection)
    kind = (parsed.args.get("kind") or "").upper() if isinstance(parsed, (exp.Create, exp.Drop, exp.Alter)) else ""
    if isinstance(parsed, exp.Create) and kind in ("TABLE", "VIEW"):
        table = parsed.this.this if isinstance(parsed.this, exp.Schema) else parsed.this
        return catalog.relation(_name(table), present=True, kind=kind.lower())
    if isinstance(parsed, exp.Create) and kind == "INDEX":
        index = parsed.this
        return catalog.index(_name(index.args.get("table")), index.name, present=True)
    if isinstance(parsed, exp.Drop) and kind in ("TABLE", "VIEW"):
        targets = parsed.args.get("tables") or [parsed.this]
        results = [catalog.relation(_name(target), present=False, kind=kind.lower()) for target in targets]
        return _all(results)
    if isinstance(parsed, exp.Drop) and kind == "INDEX":
        on = parsed.args.get("cluster")
        table = _name(on.this) if isinstance(on, exp.OnProperty) else None
        return catalog.index(table, parsed.this.name if parsed.this else "", present=False)
    if isinstance(parsed, exp.Alter) and kind == "TABLE":
        return _alter(catalog, _name(parsed.this), parsed.args.get("actions") or [])
    return Effect(None, "what it changes", "it is not a CREATE, DROP or ALTER of a table, view, index or column")


def _alter(catalog: "_Catalog", table: str, actions: list) -> Effect:
    from sqlglot import exp

    if not actions:
        return Effect(None, f"table {table}", "it changes nothing the catalog shows (table options)")
    results = []
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            results.append(catalog.column(table, action.name, present=True))
        elif isinstance(action, exp.Drop) and (action.args.get("kind") or "").upper() == "COLUMN":
            results.append(catalog.column(table, _name(action.this), present=False))
        elif isinstance(action, exp.AlterRename):
            results.append(_all([catalog.relation(_name(action.this), present=True, kind="table"),
                                 catalog.relation(table, present=False, kind="table")]))
        elif isinstance(action, exp.AddConstraint) and action.expressions:
            name = action.expressions[0].name if isinstance(action.expressions[0], exp.Constraint) else ""
            results.append(catalog.constraint(table, name) if name else Effect(None, f"table {table}", "the constraint has no name"))
        else:
            results.append(Effect(None, f"table {table}", f"the catalog cannot show whether '{action.sql()[:60]}' was done"))
    return _all(results)


def _all(results: list[Effect]) -> Effect:
    """One verdict for a statement of several changes (they take effect together, or not at all)."""
    targets = ", ".join(dict.fromkeys(r.target for r in results))
    verdicts = {r.done for r in results}
    if verdicts == {True}:
        return Effect(True, targets)
    if verdicts == {False}:
        return Effect(False, targets)
    unknown = next((r.reason for r in results if r.done is None), "its changes are only partly there")
    return Effect(None, targets, unknown)


def _name(node) -> str:
    return getattr(node, "name", "") or str(node or "")


class _Catalog:
    """SQLAlchemy's inspector, answering "is this object there?" for the current database."""

    def __init__(self, connection) -> None:
        self.inspector = inspect(connection)

    def relation(self, name: str, *, present: bool, kind: str) -> Effect:
        names = {n.lower() for n in self.inspector.get_table_names()} | {n.lower() for n in self.inspector.get_view_names()}
        return Effect((name.lower() in names) == present, f"{kind} {name}")

    def index(self, table: str | None, name: str, *, present: bool) -> Effect:
        tables = [table] if table else self.inspector.get_table_names()
        found = any(
            (index.get("name") or "").lower() == name.lower()
            for each in tables if self._exists(each)
            for index in self.inspector.get_indexes(each)
        )
        return Effect(found == present, f"index {name}" + (f" on {table}" if table else ""))

    def column(self, table: str, name: str, *, present: bool) -> Effect:
        if not self._exists(table):
            return Effect(None, f"column {table}.{name}", f"table {table} does not exist")
        columns = {column["name"].lower() for column in self.inspector.get_columns(table)}
        return Effect((name.lower() in columns) == present, f"column {table}.{name}")

    def constraint(self, table: str, name: str) -> Effect:
        if not self._exists(table):
            return Effect(None, f"constraint {name} of {table}", f"table {table} does not exist")
        names = set()
        for read in (self.inspector.get_foreign_keys, self.inspector.get_unique_constraints, self.inspector.get_check_constraints):
            names |= {(item.get("name") or "").lower() for item in read(table)}
        names |= {(index.get("name") or "").lower() for index in self.inspector.get_indexes(table)}
        return Effect(name.lower() in names, f"constraint {name} of {table}")

    def _exists(self, table: str) -> bool:
        return self.inspector.has_table(table)


def _wait_for_dead_session(connection, backend, mark: DirtyMark, text: str, on_wait) -> None:
    """Wait while the dead session still runs a statement (MariaDB finishes DDL of a dead client)."""
    if not mark.session:
        return
    started = time.monotonic()
    while True:
        running = backend.running_statement(connection, mark.session)
        if running is None:
            return
        waited = time.monotonic() - started
        if waited >= DEAD_STATEMENT_WAIT:
            raise DirtyState(
                mark.app,
                mark.describe(),
                f"The statement '{_short(running)}' is still running on the server in the session of the run "
                f"that stopped (session {mark.session}), after {waited:.0f} s of waiting. Wait for it to finish "
                f"(or stop it: KILL QUERY {mark.session}), then run again: modmig then checks whether it took effect.",
            )
        if on_wait is not None:
            on_wait(f"session {mark.session} of the run that stopped: {_short(running)}", waited)
        time.sleep(_POLL)


def _short(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def effects_present(connection, dialect: str, texts: list[str]) -> Iterator[tuple[int, Effect]]:
    """(index, effect) of each statement of ``texts`` whose effect the catalog shows is there."""
    for index, text in enumerate(texts):
        found = effect(connection, dialect, text)
        if found.done:
            yield index, found
