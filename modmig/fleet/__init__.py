"""Fleets: one project migrated across many databases (tenants, shards) in parallel, resumably.

A *fleet* is a named group of targets in ``modmig.yaml`` (``fleets:``): the PostgreSQL schemas of
one database matching a pattern, the MySQL/MariaDB databases of one server matching a pattern,
SQLite files matching a glob, or a list (or file) of URLs. Each target is one database (or one
PostgreSQL schema) with its own bookkeeping tables and its own migration lock, migrated by exactly
the code that migrates a single database (``modmig.run.migrate.run_plan`` over a
``ProjectDatabase``), so every guarantee of a single run (transactions, dirty marks, locks,
events) holds per target.

What this package adds is the part a loop cannot do well:

* ``spec``: parse one entry of ``fleets:`` (with ``${VAR}`` in URLs) into a ``FleetSpec``;
* ``discovery``: find the targets at run time (new tenants appear, dropped ones are reported);
* ``servers``: one shared, sized connection pool per server, under the server's connection limit;
* ``states``: read every target's bookkeeping in as few round trips as the database allows;
* ``decisions``: verify and plan once per *distinct* state, not once per target;
* ``runner``: the parallel run: try-lock, defer what another run holds, canaries, stop/continue;
* ``journal``: each target's outcome, appended as it happens, for ``--only-failed`` and reports;
* ``progress``: the events a run reports as it goes (the CLI's live line), and its counts;
* ``outcome``: the per-target and whole-fleet results (``as_dict`` for ``--json``);
* ``operations``: ``Fleet``: upgrade, downgrade, status, check and plan over a fleet.

May import: ``modmig.run``, ``modmig.plan``, ``modmig.files``, ``modmig.config``,
``modmig.results``, ``modmig.events``, ``modmig.errors``, ``modmig.model``.
Must not import: ``modmig.api``, ``modmig.cli``, ``modmig.squash``, ``modmig.schema`` (it is a
sibling of ``squash`` in the layers contract of pyproject.toml).
"""

from .operations import Fleet

__all__ = ["Fleet"]
