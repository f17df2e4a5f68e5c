"""The lint rules, one module per family; importing this package registers every rule.

Families and their id prefixes: ``meta`` (MM, the linter's own findings), ``pg_indexes``,
``pg_locks``, ``pg_rewrites``, ``pg_types`` (PG, PostgreSQL), ``mysql`` with
``mysql_algorithms`` (MY, MySQL/MariaDB), ``sqlite`` (SQ), ``destructive`` (DS, every
database: drops and renames), ``data`` (DM, every database: rows, down sections,
transactions) and ``apps`` (XA, across apps, from the ownership map). An id is never reused.
"""

from . import apps, data, destructive, meta, mysql, pg_indexes, pg_locks, pg_rewrites, pg_types, sqlite  # noqa: F401
