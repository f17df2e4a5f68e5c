"""Linting migration files: find the statements that lock, rewrite, lose data or cross app borders.

``modmig lint`` reads migration files (never a database's schema), parses each statement with a
real parser for its dialect, and runs rules over what the statements do. The pieces, in the
order a lint runs them:

* ``facts``: the dialect-neutral description of a statement (``Action``: add a column, create an
  index, update rows...), which every rule reads; ``parse_pg`` (pglast, PostgreSQL's own parser)
  and ``parse_glot`` (sqlglot, for MySQL/MariaDB and SQLite) turn statements into it;
* ``catalog``: the tables, columns, indexes and types the earlier migrations left, walked in graph
  order, so a rule can ask what a column's type was before an ``ALTER``;
* ``rule`` and ``rules/``: one small unit per rule (stable id, level, message, why, safe way, a
  bad and a safe example), grouped in modules by family;
* ``settings`` (the ``lint:`` section of modmig.yaml) and ``suppress`` (inline
  ``-- modmig: allow RULE because ...``);
* ``engine``: chooses the files, runs the rules, applies settings and suppressions, and returns a
  ``LintReport`` (``report``), whose ``as_dict``/``as_sarif``/``github_annotations`` are the
  ``--json``, ``--format sarif`` and ``--format github`` renderings.

pglast is an optional dependency (``pip install 'modmig[lint]'``), needed for PostgreSQL only; it
is imported when a PostgreSQL statement is parsed, and no other command imports this package.

May import: ``modmig.schema`` (the ownership map: which app owns which object), ``modmig.plan``,
``modmig.files``, ``modmig.config`` and everything below them.
Must not import: ``modmig.squash`` (its sibling), ``modmig.api``, ``modmig.cli`` (checked by
``tests/test_layers.py``). It opens no database: the state that decides which migrations are
pending is read by the api and handed in.
"""
