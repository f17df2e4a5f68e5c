"""Finding and reading migration files: the only subsystem that knows the file formats.

Its job: turn an app's ``migrations/`` folder into an ``AppHistory`` (``loader``), one file into
a ``Migration`` (``sqlfile``, ``pyfile``, with ``naming`` for what a file name says and
``checksum`` for what counts as an edit), a SQL script into statements with their line numbers
(``splitter``), and write new files (``scaffold`` for ``modmig new``, ``project_init`` for
``modmig init``). It never opens a database and never imports a Python migration (that happens
when one runs, in ``modmig.run``).

May import: ``modmig.config``, ``modmig.errors``, ``modmig.model``.
Must not import: ``modmig.plan``, ``modmig.run`` or anything above them (checked by
``tests/test_layers.py``).
"""
