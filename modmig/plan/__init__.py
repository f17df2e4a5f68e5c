"""Planning: which migrations run, in which order, from where a database stands.

Pure functions over data: ``graph`` (the cross-app dependency graph, deterministic order, cycles
named), ``routes`` (per app, the files a database at version v runs to reach w, through a squash
or its originals), ``planner`` (upgrade and downgrade plans, and ``verify``: where the recorded
state and the files disagree). Given the same files and the same state, every machine makes the
same plan.

May import: ``modmig.files`` (an app's history), ``modmig.errors``, ``modmig.model``.
Must not import: a database driver, SQLAlchemy, click, ``modmig.config`` or anything above
``modmig.plan`` (checked by ``tests/test_layers.py``). No database, no terminal, no configuration.
"""
