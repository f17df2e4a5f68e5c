"""Template databases for tests: migrate once per state, then copy it for every test that needs it.

The pytest plugin (``modmig.testing``) gives each test a fresh database in a given state (every
migration applied, or walked to ``blog:0003``). Migrating a fresh database for each test costs
what the migrations cost (seconds at 1,000 migrations); copying a database already in that state
costs what the database charges for a copy (a file copy on SQLite, ``CREATE DATABASE ...
TEMPLATE`` on PostgreSQL, see ``modmig.run.backends.throwaway``). This package decides when a
copy is exactly what migrating would give, and keeps the copies' books:

* ``files``: the project's files as one fingerprint (every migration file's bytes and the
  configuration), read once per distinct content and shared between the tests' Projects;
* ``store``: the templates of one test session, keyed by (fingerprint, the moves that reached the
  state), their names on the server, clones prepared ahead of the tests that will take them, and
  dropping everything when the session ends, or, after a run that was killed, in the next run;
* ``testdb``: one test's database, created lazily, swapped for a copy of a template while nobody
  outside has seen it (it is *pristine*), migrated for real once the test has touched it.

May import: ``modmig.api`` and everything below it. Must not import: ``modmig.testing``,
``modmig.cli``, or pytest (the plugin is the pytest face of this package).
"""
