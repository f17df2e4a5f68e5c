"""Running migrations against one database, and keeping its books.

``database`` (``ProjectDatabase``: which database, its connections, the migration lock),
``backends/`` (what differs between SQLite, PostgreSQL and MySQL/MariaDB, behind one small
protocol in ``backends/base.py``), ``recorder`` (the ``_schema_versions`` and ``_schema_history``
tables, upgraded in place), ``executor`` (one step with its bookkeeping, in a transaction where
the database allows) with its parts: ``preflight`` (a plan refused before anything runs),
``python_steps`` (calling a Python migration, held to its contract), ``direct`` (statements on the
driver's cursor), ``dirty`` (where a stopped migration resumes, in which direction),
``interrupts`` (SIGINT/SIGTERM end a step the safe way); ``ddl_effects`` (did a statement that
was cut off take effect? the catalog says) and ``resolve`` (repair's answers, checked against the
catalog); ``privileges`` (a missing privilege named as such); and the operations built on them,
each taking the database and the graph rather than a whole project: ``migrate`` (upgrade,
downgrade), ``status`` (status, check), ``maintenance`` (stamp, repair) and ``adoption``
(adopting from Django, Alembic or ``PRAGMA user_version``).

May import: ``modmig.plan``, ``modmig.files``, ``modmig.config``, ``modmig.results``,
``modmig.events``, ``modmig.errors``, ``modmig.advice``, ``modmig.model``.
Must not import: ``modmig.schema``, ``modmig.squash``, ``modmig.api``, ``modmig.cli``.
``cursor`` (the bookkeeping writes on the DB-API cursor) is below them all.
Inside, the order is operations -> executor -> its parts -> database -> backends -> recorder -> cursor
(checked by ``tests/test_layers.py``).
"""
