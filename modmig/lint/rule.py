"""What a lint rule is, and what it sees of the migration it checks.

A rule is one function over a ``FileContext`` yielding ``Hit``s, registered with ``@rule(...)``
together with everything a user reads about it: a stable id (``PG104``) that configuration and
``-- modmig: allow`` use forever, a slug, a level, the databases it concerns, a title, why it
hurts, the safe way, and two examples (``bad`` must trigger it, ``safe`` must not: the test suite
runs both, and the docs page of the rule is generated from the same text).

The shape follows Squawk (one rule, one page, two examples) and Atlas (stable codes grouped by
what they protect against, an inline directive to suppress one finding).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .facts import Action, ParsedStatement

if TYPE_CHECKING:
    from ..model import Migration
    from ..plan.graph import MigrationGraph
    from .apps import AppsView

ERROR, WARNING = "error", "warning"
LEVELS = (ERROR, WARNING)
POSTGRESQL, MYSQL, SQLITE = "postgresql", "mysql", "sqlite"
PG, MY, SQ = (POSTGRESQL,), (MYSQL,), (SQLITE,)
ALL = (POSTGRESQL, MYSQL, SQLITE)
DIALECT_NAMES = {POSTGRESQL: "PostgreSQL", MYSQL: "MySQL/MariaDB", SQLITE: "SQLite"}

#: The app the examples' migrations belong to, unless a rule says otherwise.
EXAMPLE_APP = "shop"


@dataclass(frozen=True)
class Hit:
    """One finding as a rule reports it: where, about what, and the message."""

    line: int
    object: str
    message: str
    #: True for findings about the whole file (no statement to point at).
    whole_file: bool = False


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    level: str
    dialects: tuple[str, ...]
    title: str
    why: str
    fix: str
    #: The migration that must trigger the rule, and its safe rewrite (the text of a file).
    bad: str
    safe: str
    #: Earlier migrations the examples need, as (app, text), in order (e.g. the table they alter).
    setup: tuple[tuple[str, str], ...] = ()
    #: The app the example migrations belong to.
    app: str = EXAMPLE_APP
    check: Callable[[FileContext], Iterable[Hit]] = field(default=lambda ctx: (), compare=False, repr=False)
    #: The module (family) the rule lives in: locks, rewrites, types, mysql, sqlite, data, apps...
    family: str = ""

    def info(self) -> dict:
        """The rule's metadata as data (``--json``, SARIF and the docs read it)."""
        return {"id": self.id, "slug": self.slug, "level": self.level, "dialects": list(self.dialects),
                "title": self.title, "docs": f"lint/rules/{self.id}.md"}


#: Every rule, by id, in the order they were registered (``rules/__init__`` imports the families).
RULES: dict[str, Rule] = {}


def rule(id: str, slug: str, level: str, dialects: tuple[str, ...], *, title: str, why: str, fix: str,
         bad: str, safe: str, setup: str | tuple[tuple[str, str], ...] = (), app: str = EXAMPLE_APP):
    """Register the decorated ``check(ctx)`` as a rule with its documentation and examples."""

    def register(check: Callable[[FileContext], Iterable[Hit]]):
        if id in RULES:
            raise ValueError(f"two lint rules with id {id}")
        earlier = ((app, setup),) if isinstance(setup, str) else tuple(setup)
        RULES[id] = Rule(id, slug, level, dialects, title, _dedent(why), _dedent(fix), _dedent(bad),
                         _dedent(safe), tuple((a, _dedent(s)) for a, s in earlier), app, check,
                         check.__module__.rsplit(".", 1)[-1])
        return check

    return register


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n" if text else ""


@dataclass
class FileContext:
    """One migration as the rules see it: its parsed statements, its database, its project."""

    migration: Migration
    dialect: str
    statements: list[ParsedStatement]
    #: modmig.yaml ``timeouts:`` (seconds): modmig sets these at the start of every migration.
    timeouts: dict[str, float] = field(default_factory=dict)
    #: The project around the file: apps, dependencies, owners (cross-app rules).
    apps: AppsView | None = None
    graph: MigrationGraph | None = None

    def actions(self, *kinds: str) -> Iterator[tuple[ParsedStatement, Action]]:
        """Every (statement, action) of the given kinds (all kinds when none is given), in order."""
        for statement in self.statements:
            for action in statement.actions:
                if not kinds or action.kind in kinds:
                    yield statement, action

    def earlier(self, statement: ParsedStatement) -> Iterator[ParsedStatement]:
        """The statements of this file above ``statement``."""
        for other in self.statements:
            if other is statement:
                return
            yield other

    def set_before(self, statement: ParsedStatement, *names: str) -> bool:
        """A ``SET`` of one of ``names`` ran earlier in this file."""
        return any(a.kind == "set" and a.name in names for s in self.earlier(statement) for a in s.actions)

    @property
    def in_transaction(self) -> bool:
        """The migration runs in one transaction (PostgreSQL and SQLite; MySQL commits DDL at once)."""
        return self.migration.transaction and self.dialect != MYSQL

    def hit(self, statement: ParsedStatement, object: str, message: str) -> Hit:
        return Hit(statement.line, object, message)

    def whole_file(self, object: str, message: str) -> Hit:
        return Hit(self.migration.up_line, object, message, whole_file=True)
