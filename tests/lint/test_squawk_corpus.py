"""Against Squawk (``squawk-cli`` from PyPI): the same verdicts on the same files, rule for rule.

The corpus is every PostgreSQL example of the rules (bad and safe) plus the migrations in
``tests/fixtures/lint_corpus/``. Squawk reads each file alone; modmig reads it as the next
migration after its setup (the tables it alters exist, as they do for Squawk, which knows only
that they were not created in the file). Squawk runs with ``--assume-in-transaction`` (modmig runs
every migration in a transaction) unless the file says ``-- modmig: transaction off``.

For each Squawk rule in ``PAIRS``, a file is flagged by Squawk exactly when it is flagged by one of
the modmig rules paired with it, except the deliberate differences in ``DIFFERENCES``, each with
its reason (docs/lint.md lists them too). The test also fails when a listed difference stops
being one, so the list stays true.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modmig.lint.engine import RULES

from ..conftest import FIXTURES, write_tree

CORPUS = FIXTURES.parent / "lint_corpus"

#: Squawk rule -> the modmig rules that decide the same question.
PAIRS = {
    "require-concurrent-index-creation": {"PG101"},
    "require-concurrent-index-deletion": {"PG102"},
    "ban-concurrent-index-creation-in-transaction": {"PG103"},
    "disallowed-unique-constraint": {"PG104"},
    "adding-serial-primary-key-field": {"PG105"},
    "require-concurrent-reindex": {"PG106"},
    "adding-foreign-key-constraint": {"PG111"},
    "constraint-missing-not-valid": {"PG111", "PG112", "PG104", "PG105", "PG114"},
    "adding-not-nullable-field": {"PG113"},
    "ban-alter-domain-with-add-constraint": {"PG115"},
    "adding-required-field": {"PG121"},
    "adding-field-with-default": {"PG122", "PG123"},
    "changing-column-type": {"PG124"},
    "ban-truncate-cascade": {"PG127"},
    "prefer-identity": {"PG131"},
    "prefer-text-field": {"PG133"},
    "prefer-timestamp-tz": {"PG134"},
    "ban-char-field": {"PG135"},
    "ban-drop-not-null": {"PG136"},
    "ban-drop-table": {"DS101"},
    "ban-drop-column": {"DS102"},
    "ban-drop-schema": {"DS103"},
    "ban-drop-database": {"DS104"},
    "renaming-table": {"DS105"},
    "renaming-column": {"DS106"},
    "transaction-nesting": {"DM105"},
}

#: Squawk rules broader than modmig's on purpose: wherever modmig flags, Squawk must flag too.
#: require-lock-timeout: Squawk asks for a lock_timeout before any lock (also the SHARE UPDATE
#: EXCLUSIVE of CREATE INDEX CONCURRENTLY, also DROP SCHEMA); PG116 only before ACCESS EXCLUSIVE
#: locks on an existing table, the ones that queue every reader. prefer-bigint-over-int: Squawk
#: flags every integer column; PG132 only primary keys, the ones that run out.
BROADER = {
    "require-lock-timeout": {"PG116"},
    "prefer-bigint-over-int": {"PG132"},
}

#: (file, squawk rule) -> why modmig decides differently, on purpose.
DIFFERENCES = {
    ("DM103_safe", "ban-drop-column"):
        "the DROP COLUMN is in the file's down section: modmig lints what runs going up (a down section undoes "
        "the up, so it drops what the up added); Squawk reads the whole file",
    ("PG103_bad", "ban-concurrent-index-creation-in-transaction"):
        "Squawk sees the transaction only when the file says BEGIN; modmig knows every migration runs in one "
        "unless it says '-- modmig: transaction off', and PostgreSQL then refuses CONCURRENTLY",
    ("PG115_safe", "ban-alter-domain-with-add-constraint"):
        "Squawk bans every domain constraint; modmig accepts one added NOT VALID (validated later without "
        "blocking), the same split it asks for table constraints",
    ("PG124_safe", "changing-column-type"):
        "modmig reads the column's old type from the earlier migrations: varchar(20) -> varchar(64) is binary "
        "compatible and does not rewrite (the server test checks pg_relation_filenode); Squawk cannot know the old type",
}


def corpus() -> list[tuple[str, str, str]]:
    """(name, setup SQL, migration SQL) of every file of the corpus."""
    files = []
    for rule_id in sorted(RULES):
        rule = RULES[rule_id]
        if "postgresql" in rule.dialects and not rule_id.startswith(("MM", "XA")):  # XA: several apps, no Squawk counterpart
            setup = "".join(text for _, text in rule.setup)
            files += [(f"{rule_id}_bad", setup, rule.bad), (f"{rule_id}_safe", setup, rule.safe)]
    setup = (CORPUS / "_setup.sql").read_text()
    files += [(p.stem, setup, p.read_text()) for p in sorted(CORPUS.glob("*.sql")) if p.name != "_setup.sql"]
    return files


def squawk_verdicts(folder: Path, files) -> dict[str, set[str]]:
    beside = Path(sys.executable).with_name("squawk")  # installed into this venv, on PATH or not
    binary = str(beside) if beside.is_file() else shutil.which("squawk")
    if binary is None:
        pytest.skip("the squawk binary is not installed (pip install squawk-cli, part of modmig[test])")
    found = {}
    for name, _, text in files:
        path = folder / f"{name}.sql"
        path.write_text(text)
        command = [binary, "--reporter", "json", "--pg-version", "15"]
        if "transaction off" not in text:
            command.append("--assume-in-transaction")
        done = subprocess.run([*command, str(path)], capture_output=True, text=True, check=False)
        if done.returncode not in (0, 1) or not done.stdout.strip().startswith("["):
            pytest.skip(f"squawk could not run here: {done.stderr.strip()[:300]}")
        found[name] = {v["rule_name"] for v in json.loads(done.stdout)}
    return found


def modmig_verdicts(folder: Path, files) -> dict[str, set[str]]:
    found = {}
    for name, setup, text in files:
        from modmig.api import Project

        config = write_tree(folder / name, {"shop": {"0001_setup.sql": setup or "SELECT 1;\n", "0002_file.sql": text}}, None)
        with Project.load(config) as project:
            report = project.lint(everything=True, dialect="postgresql")
        # What the rules detect: findings suppressed by an allow count (Squawk has its own ignore comments).
        found[name] = {f.rule for f in [*report.findings, *report.suppressed] if f.migration == "shop:0002_file"}
    return found


def test_modmig_and_squawk_agree_on_the_rules_both_have(tmp_path):
    files = corpus()
    (tmp_path / "squawk").mkdir()
    theirs = squawk_verdicts(tmp_path / "squawk", files)
    ours = modmig_verdicts(tmp_path / "modmig", files)
    disagreements, stale = [], []
    for name, _, _ in files:
        for squawk_rule, ours_rules in PAIRS.items():
            squawk_says = squawk_rule in theirs[name]
            modmig_says = bool(ours_rules & ours[name])
            listed = (name, squawk_rule) in DIFFERENCES
            if squawk_says != modmig_says and not listed:
                disagreements.append(f"{name}: squawk {'flags' if squawk_says else 'passes'} {squawk_rule}, "
                                     f"modmig {'flags' if modmig_says else 'passes'} {sorted(ours_rules)}")
            elif squawk_says == modmig_says and listed:
                stale.append(f"{name}: {squawk_rule} is listed as a difference but both agree now")
        for squawk_rule, ours_rules in BROADER.items():
            if ours_rules & ours[name] and squawk_rule not in theirs[name]:
                disagreements.append(f"{name}: modmig flags {sorted(ours_rules & ours[name])}, squawk passes {squawk_rule}")
    assert not disagreements, "\n".join(disagreements)
    assert not stale, "\n".join(stale)
