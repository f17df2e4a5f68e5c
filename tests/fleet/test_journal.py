"""The journal: outcomes survive the process, the latest per target counts, and it stays small."""

from __future__ import annotations

import json

from modmig.fleet.journal import COMPACT_LINES, Journal, latest_outcomes
from modmig.fleet.outcome import Failure, TargetResult


def test_the_latest_tried_outcome_per_target_counts_and_a_cut_line_is_ignored(tmp_path):
    path = tmp_path / ".modmig" / "fleet-t.jsonl"
    assert latest_outcomes(path) is None
    journal = Journal(path, "t", "upgrade")
    journal.record([TargetResult("a", "url-a", "failed", failure=Failure("locked", "Gave up waiting\nfor the lock"))])
    journal.record([TargetResult("b", "url-b", "migrated"), TargetResult("a", "url-a", "skipped", reason="stopped")])
    journal.close({"counts": None})
    with open(path, "a") as handle:
        handle.write('{"run": "x", "target": "b", "stat')  # a line cut short by a crash
    latest = latest_outcomes(path)
    assert {name: entry["status"] for name, entry in latest.items()} == {"a": "failed", "b": "migrated"}  # skipped is not tried
    assert latest["a"]["message"] == "Gave up waiting" and latest["a"]["url"] == "url-a"


def test_a_long_journal_is_compacted_to_each_targets_latest_outcome_when_no_run_holds_it(tmp_path):
    path = tmp_path / "fleet-t.jsonl"
    lines = [{"run": str(n), "target": f"t{n % 3}", "status": "failed" if n == 259 else "migrated"} for n in range(COMPACT_LINES * 3 + 200)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    before = latest_outcomes(path)
    Journal(path, "t", "upgrade").close({})
    after = path.read_text().splitlines()
    assert len(after) == 3 + 2  # one line per target, then this run's start and end
    assert latest_outcomes(path) == before and before["t1"]["status"] == "failed"
