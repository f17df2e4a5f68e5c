"""Rewriting an app's history: squash (collapse a range into one verified file), prune, merge.

``collapse`` chooses the range and its dependencies and refuses a squash that would close a
cycle; ``folding`` (with ``fold_objects``, ``dead_changes``, ``sql_names`` and ``sql_pieces``)
computes the net effect of the range's SQL with a real parser; ``build`` writes the squash file;
``verify`` applies the originals and the squash to two scratch databases and compares them
(``modmig.schema``); ``merge`` renumbers two branches' migrations that share a version. These
operations edit files, never the project's database.

May import: ``modmig.schema``, ``modmig.run``, ``modmig.plan``, ``modmig.files`` and everything
below them.
Must not import: ``modmig.api``, ``modmig.cli`` (checked by ``tests/test_layers.py``).
Inside, the order is commands -> file and verification -> folding -> SQL pieces.
"""
