"""Running migrations against one database, and keeping its books.

``database`` (``ProjectDatabase``: which database, its connections, the migration lock),
``backends/`` (what differs between SQLite, PostgreSQL and MySQL/MariaDB, behind one small
protocol in ``backends/base.py``), ``recorder`` (the ``_schema_versions`` and ``_schema_history``
tables), ``direct`` (modmig's own statements on the DB-API cursor under SQLAlchemy's connection),
``executor`` (one step with its bookkeeping, in a transaction where the database allows),
and the operations built on them, each taking the database and the graph rather than a whole
project: ``migrate`` (upgrade, downgrade), ``status`` (status, check), ``maintenance`` (stamp,
repair) and ``adoption`` (adopting from Django, Alembic or ``PRAGMA user_version``).

May import: ``modmig.plan``, ``modmig.files``, ``modmig.config``, ``modmig.results``,
``modmig.events``, ``modmig.errors``, ``modmig.model``.
Must not import: ``modmig.schema``, ``modmig.squash``, ``modmig.api``, ``modmig.cli``.
Inside, the order is operations -> executor -> database -> backends -> recorder -> direct
(checked by ``tests/test_layers.py``).
"""
