"""Every rule's bad example triggers it and its safe rewrite does not, on each database it concerns.

The examples are the ones its documentation page shows (docs/lint/rules/<ID>.md is generated from
the same text), so the docs cannot promise what the linter does not do.
"""

from __future__ import annotations

import pytest

from modmig.lint.engine import RULES

from .examples import findings_of

CASES = [(rule_id, dialect) for rule_id in sorted(RULES) for dialect in RULES[rule_id].dialects]


@pytest.mark.parametrize("rule_id, dialect", CASES, ids=[f"{r}-{d}" for r, d in CASES])
def test_the_bad_example_triggers_the_rule(tmp_path, rule_id, dialect):
    rule = RULES[rule_id]
    found = findings_of(rule, rule.bad, dialect, tmp_path)
    assert found, f"{rule_id} ({rule.slug}) did not fire on its bad example on {dialect}:\n{rule.bad}"
    assert all(f.level == rule.level for f in found)


@pytest.mark.parametrize("rule_id, dialect", CASES, ids=[f"{r}-{d}" for r, d in CASES])
def test_the_safe_example_does_not_trigger_the_rule(tmp_path, rule_id, dialect):
    rule = RULES[rule_id]
    found = findings_of(rule, rule.safe, dialect, tmp_path)
    assert not found, f"{rule_id} ({rule.slug}) fired on its safe example on {dialect}: {[f.message for f in found]}"
