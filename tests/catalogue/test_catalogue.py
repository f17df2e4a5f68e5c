"""Run the catalogue (``cases.py``): every bad input and fault ends in a clear message, the right
exit code, no traceback, and a database that is what its version table says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .. import conftest
from .cases import CLASSES, SQLITE_CASES, Case, release_locks
from .projects import database_tells_the_truth, write_project

REPO = Path(__file__).resolve().parents[2]


def run_case(case: Case, folder: Path, url: str, monkeypatch) -> None:
    write_project(folder, case.files, url, case.config)
    monkeypatch.delenv("MODMIG_DATABASE_URL", raising=False)
    monkeypatch.delenv("MODMIG_CONFIG", raising=False)
    cli = conftest.Cli(folder)
    for command in case.before:
        may_fail = command[0] == "!"
        done = cli(*(command[1:] if may_fail else command))
        assert may_fail or done.exit_code == 0, f"{command}: {done.output}"
    if case.setup is not None:
        case.setup(folder)
    try:
        result = cli(*case.command, env=case.env)
    finally:
        release_locks()
    output = result.output
    assert result.exit_code == case.code, f"{case.name}: exit {result.exit_code}, expected {case.code}:\n{output}"
    for words in case.says:
        assert words in output, f"{case.name}: {words!r} not in:\n{output}"
    assert conftest.TRACEBACK not in output
    if not case.truthful:
        return
    if url.startswith("sqlite"):
        if not (folder / "app.db").exists():
            return
        url = f"sqlite:///{folder / 'app.db'}"  # the case's relative URL, as the CLI resolved it
    database_tells_the_truth(folder, url)


@pytest.mark.parametrize("case", SQLITE_CASES, ids=str)
def test_catalogue(case, tmp_path, monkeypatch):
    run_case(case, tmp_path / "project", "sqlite:///app.db", monkeypatch)


def test_the_catalogue_holds_at_least_120_distinct_cases_of_every_class():
    from .test_catalogue_servers import SERVER_CASES

    cases = [*SQLITE_CASES, *SERVER_CASES]
    names = [(case.kind, case.name) for case in cases]
    assert len(set(names)) == len(names), [n for n, count in Counter(names).items() if count > 1]
    assert len(cases) >= 120
    assert set(Counter(case.kind for case in cases)) == set(CLASSES)


def test_docs_list_every_class_with_an_example():
    text = (REPO / "docs" / "cli.md").read_text()
    for kind in CLASSES:
        assert f"| {kind} |" in text, f"docs/cli.md does not list the error class {kind!r}"
