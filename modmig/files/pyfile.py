"""Read a ``NNNN_slug.py`` migration without importing it, and import it when it runs.

Planning, status and check must never execute user code, so the metadata a Python migration
declares is read from its syntax tree. Each of these must be a literal at module level::

    dependencies = ["users:0002"]   # optional, default []
    transaction = True              # optional, default True
    elidable = False                # optional: a squash may drop this step
    replaces = (1, 12)              # squash files only

and the module must define ``upgrade(ctx)``; ``downgrade(ctx)`` is optional (absent means
irreversible). ``load_module`` compiles the file's text only when the executor runs it.
"""

from __future__ import annotations

import ast
import types
from pathlib import Path
from typing import Any

from .checksum import checksum
from ..errors import MigrationFileError
from ..model import Dependency, Migration
from .naming import squash_version

_METADATA = ("dependencies", "transaction", "elidable", "replaces")
#: Names other tools use for these settings (Alembic, yoyo, Django), read as a typo of them.
_ALIASES = {"depends": "dependencies", "depends_on": "dependencies", "requires": "dependencies", "atomic": "transaction"}


def read_python_migration(app: str, number: int, name: str, path: Path, text: str) -> Migration:
    """Parse the text of one Python migration file. Raises MigrationFileError naming file:line."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise MigrationFileError(path, f"syntax error: {error.msg}", error.lineno) from None

    values: dict[str, tuple[Any, int]] = {}
    functions: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            functions.add(node.name)
        elif isinstance(node, ast.AsyncFunctionDef) and node.name in ("upgrade", "downgrade"):
            raise MigrationFileError(path, f"{node.name}() must be a plain function, not async", node.lineno)
        target, value = _assignment(node)
        if target is not None and target not in _METADATA and value is not None:
            _refuse_misspelt_metadata(target, value, path, node.lineno)
        if target in _METADATA and value is not None:
            try:
                values[target] = (ast.literal_eval(value), node.lineno)
            except ValueError:
                raise MigrationFileError(
                    path,
                    f"'{target}' must be a literal (modmig reads it without importing the file)",
                    node.lineno,
                ) from None

    if "upgrade" not in functions:
        raise MigrationFileError(path, "a Python migration must define 'def upgrade(ctx):'")

    dependencies = _dependencies(values.get("dependencies"), path)
    transaction = _boolean(values, "transaction", True, path)
    elidable = _boolean(values, "elidable", False, path)
    replaces = _replaces(values.get("replaces"), path)
    return Migration(
        app=app,
        version=squash_version(number, replaces, path),
        name=name,
        path=path,
        kind="python",
        source=text,
        checksum=checksum(text),
        dependencies=dependencies,
        transaction=transaction,
        reversible="downgrade" in functions,
        replaces_from=replaces[0] if replaces else None,
        elidable=elidable,
    )


def load_module(migration: Migration) -> types.ModuleType:
    """Execute the migration's file as a fresh module (never cached in sys.modules)."""
    module = types.ModuleType(f"modmig_migration_{migration.app}_{migration.version:04d}")
    module.__file__ = str(migration.path)
    code = compile(migration.source, str(migration.path), "exec")
    exec(code, module.__dict__)
    return module


def _refuse_misspelt_metadata(name: str, value: ast.expr, path: Path, line: int) -> None:
    """``dependancies = ["users:0002"]`` or ``transactional = False`` would be silently ignored."""
    import difflib

    guess = [_ALIASES[name.lower()]] if name.lower() in _ALIASES else difflib.get_close_matches(name.lower(), _METADATA, n=1, cutoff=0.75)
    if not guess:
        return
    try:
        literal = ast.literal_eval(value)
    except ValueError:
        return
    meant = guess[0]
    shaped = (
        isinstance(literal, bool)
        if meant in ("transaction", "elidable")
        else isinstance(literal, (list, tuple)) and all(isinstance(item, (str, int)) for item in literal)
    )
    if shaped and (meant != "dependencies" or all(isinstance(item, str) and ":" in item for item in literal)):
        raise MigrationFileError(
            path, f"'{name}' is not a migration setting, so it would be ignored; did you mean '{meant}'?", line
        )


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None


def _dependencies(found: tuple[Any, int] | None, path: Path) -> tuple[Dependency, ...]:
    if found is None:
        return ()
    value, line = found
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise MigrationFileError(path, "'dependencies' must be a list of 'app:NNNN' strings", line)
    try:
        return tuple(Dependency.parse(item, line) for item in value)
    except ValueError as error:
        raise MigrationFileError(path, str(error), line) from None


def _boolean(values: dict[str, tuple[Any, int]], name: str, default: bool, path: Path) -> bool:
    if name not in values:
        return default
    value, line = values[name]
    if not isinstance(value, bool):
        raise MigrationFileError(path, f"'{name}' must be True or False, not {value!r}", line)
    return value


def _replaces(found: tuple[Any, int] | None, path: Path) -> tuple[int, int] | None:
    if found is None:
        return None
    value, line = found
    valid = (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 1 <= value[0] < value[1]
    )
    if not valid:
        raise MigrationFileError(path, "'replaces' must be a pair (M, N) with 1 <= M < N", line)
    return int(value[0]), int(value[1])
