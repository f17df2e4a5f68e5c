"""The architecture is a contract: the import-linter contracts in pyproject.toml hold.

docs/architecture.md explains the layers; these tests make a change that breaks them fail CI
with the offending import named, and keep the CLI's start-up free of the heavy libraries.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from .conftest import REPO


def lint_imports(cwd, env=None) -> subprocess.CompletedProcess:
    command = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())", "--no-cache"]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_package_keeps_its_layers():
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract_and_is_named(tmp_path):
    """A copy of the package where the shared model imports the api: the contract names it."""
    shutil.copytree(REPO / "modmig", tmp_path / "modmig", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    model = tmp_path / "modmig" / "model.py"
    model.write_text(model.read_text() + "\nfrom .api import Project  # an upward import\n")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = lint_imports(tmp_path, env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "modmig.model is not allowed to import modmig.api" in result.stdout
    assert "modmig.model -> modmig.api" in result.stdout


def test_modmig_help_imports_neither_sqlalchemy_nor_rich():
    code = (
        "import sys\n"
        "from modmig.cli import main\n"
        "sys.argv = ['modmig', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in ('sqlalchemy', 'rich') if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert "Usage: modmig" in result.stdout
    assert result.stderr.strip() == "[]"


def test_status_never_imports_the_sql_tokenizer(sample_project):
    """sqlparse is a third of 'modmig status' start-up; only scripts with BEGIN ... END bodies need it."""
    code = (
        "import sys\n"
        "from modmig.cli import main\n"
        "sys.argv = ['modmig', 'status']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in ('sqlparse', 'modmig.files.sql_tokenized') if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=sample_project, capture_output=True, text=True, check=True)
    assert "users" in result.stdout
    assert result.stderr.strip() == "[]"
