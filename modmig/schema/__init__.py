"""Describing and comparing what a database holds.

``compare`` takes a snapshot of a database's schema and rows (SQLAlchemy's inspector plus the
catalog for triggers) and says how two snapshots differ: squash verification uses it.
``roundtrip`` walks every migration on a scratch database (up, down, up again) and compares the
schema after each move (``modmig check --roundtrip`` and the pytest plugin's
``assert_roundtrip``). ``scratch`` makes throwaway databases and replays migrations on them.
``ownership`` says which app's migration created each schema object and what touched it since
(``modmig owners``; read by the linter and the fleet runner): ``sql_effects``/``sql_commands``
read what one statement does, ``ownership_fold`` walks those effects into the map
(``ownership_map``), ``ownership_cache`` keeps them by content. ``makemigrations`` turns each
app's SQLAlchemy models into its next migration, in Alembic's three steps kept apart: ``models``
imports them, ``autogenerate`` diffs them against the replayed migrations (within what each app
owns), ``changes`` orders the operations and infers dependencies, ``render`` (with
``alembic_ops``) writes SQL or Python; ``drift`` compares a live database with its migrations.
Alembic is imported only by these, and models only by ``makemigrations``.

May import: ``modmig.run`` (to migrate scratch databases), ``modmig.plan``, ``modmig.files`` and
everything below them.
Must not import: ``modmig.squash``, ``modmig.api``, ``modmig.cli`` (checked by
``tests/test_layers.py``).
"""
