"""The rule pages are what the rules say, and docs/lint.md lists what the tests hold."""

from __future__ import annotations

import subprocess
import sys

from modmig.lint.engine import RULES

from ..conftest import REPO
from .test_squawk_corpus import BROADER, DIFFERENCES


def test_the_rule_pages_and_the_nav_are_generated_from_the_rules():
    done = subprocess.run([sys.executable, "scripts/lint_docs.py", "--check"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    nav = (REPO / "mkdocs.yml").read_text()
    for rule_id, rule in RULES.items():
        assert f"- {rule_id} {rule.slug}: lint/rules/{rule_id}.md" in nav
        page = (REPO / "docs" / "lint" / "rules" / f"{rule_id}.md").read_text()
        assert rule.bad.strip() in page and rule.safe.strip() in page


def test_there_are_at_least_45_rules_with_unique_ids_and_slugs():
    assert len(RULES) >= 45
    assert len({rule.slug for rule in RULES.values()}) == len(RULES)


def test_docs_lint_md_lists_every_deliberate_difference_from_squawk():
    page = (REPO / "docs" / "lint.md").read_text()
    for squawk_rule in {rule for _, rule in DIFFERENCES} | set(BROADER):
        assert f"`{squawk_rule}`" in page, squawk_rule
