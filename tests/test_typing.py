"""The public API type-checks: modmig's own modules, and a user's program written against them."""

import os
import subprocess
import sys
import pytest

from .conftest import REPO


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """One mypy cache for the module: the second run re-uses what the first learned about SQLAlchemy."""
    return tmp_path_factory.mktemp("mypy-cache")

USER_PROGRAM = """\
from sqlalchemy import create_engine

from modmig import Project
from modmig.events import Listener, StepFinished
from modmig.results import RunResult


class Timings(Listener):
    def __init__(self) -> None:
        self.ms: dict[str, int] = {}

    def step_finished(self, event: StepFinished) -> None:
        self.ms[event.step.label] = event.duration_ms


engine = create_engine("sqlite://")
with Project.load("sample_project", engine=engine, on_event=Timings()) as project:
    result: RunResult = project.upgrade("blog", to=2)
    versions: dict[str, int] = {status.app: status.version for status in project.status().apps}
    ok: bool = project.check().ok
"""


def mypy(*args: str, cwd=REPO, cache=None):
    env = {**os.environ, "MYPYPATH": str(REPO)}
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(cache), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)


def test_the_public_api_passes_mypy(cache):
    result = mypy(cache=cache)
    assert result.returncode == 0, result.stdout
    assert result.stdout.startswith("Success: no issues found")


def test_a_users_program_type_checks_against_modmig_and_its_mistakes_are_caught(tmp_path, cache):
    (tmp_path / "good.py").write_text(USER_PROGRAM)
    (tmp_path / "bad.py").write_text(USER_PROGRAM + "label: int = project.apps[0]\nproject.upgrade(to='2')\n")
    good = mypy("--strict", "--follow-imports=silent", "good.py", cwd=tmp_path, cache=cache)
    assert good.returncode == 0, good.stdout
    bad = mypy("--follow-imports=silent", "bad.py", cwd=tmp_path, cache=cache)
    assert bad.returncode == 1
    assert 'bad.py:21: error: Incompatible types in assignment (expression has type "str", variable has type "int")' in bad.stdout
    assert 'bad.py:22: error: Argument "to" to "upgrade" of "Project" has incompatible type "str"' in bad.stdout
