"""The architecture is a contract: the import-linter contracts in pyproject.toml hold.

docs/architecture.md explains the layers; these tests make a change that breaks them fail CI
with the offending import named, and keep the CLI's start-up free of the heavy libraries.
"""

from __future__ import annotations

import ast
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


def imported_by_cli(args: list[str], cwd, names: tuple[str, ...]) -> tuple[str, list[str]]:
    """Run ``modmig ARGS`` in a fresh interpreter; its output, and which of ``names`` it imported."""
    code = (
        "import sys\n"
        "from modmig.cli import main\n"
        f"sys.argv = ['modmig', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(name for name in {names!r} if name in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout, ast.literal_eval(result.stderr.strip().splitlines()[-1])


def test_modmig_help_imports_neither_sqlalchemy_nor_rich():
    printed, imported = imported_by_cli(["--help"], REPO, ("sqlalchemy", "rich"))
    assert "Usage: modmig" in printed
    assert imported == []


def test_status_never_imports_the_sql_tokenizer(sample_project):
    """sqlparse is a third of 'modmig status' start-up; only scripts with BEGIN ... END bodies need it."""
    printed, imported = imported_by_cli(["status"], sample_project, ("sqlparse", "modmig.files.sql_tokenized"))
    assert "users" in printed
    assert imported == []
