"""Build migrations and histories in memory, for graph and planner tests that need no files."""

from __future__ import annotations

from pathlib import Path

from modmig.files.loader import AppHistory, build_history
from modmig.model import DatabaseState, Dependency, Migration


def migration(app: str, version: int, *depends: str, reversible: bool = True) -> Migration:
    name = f"{version:04d}_step"
    return Migration(
        app=app,
        version=version,
        name=name,
        path=Path(f"{app}/migrations/{name}.sql"),
        kind="sql",
        source=f"-- {app} {version}",
        checksum=f"sum-{app}-{version}",
        dependencies=tuple(Dependency.parse(d, 1) for d in depends),
        reversible=reversible,
        sql_up=f"SELECT {version}",
        sql_down=f"SELECT -{version}" if reversible else None,
    )


def histories(spec: dict[str, list[Migration] | int]) -> dict[str, AppHistory]:
    """``{"users": 3, "blog": [migration("blog", 1, "users:1")]}``: an int means N plain steps."""
    result = {}
    for app, items in spec.items():
        if isinstance(items, int):
            items = [migration(app, v) for v in range(1, items + 1)]
        result[app] = build_history(app, Path(app), items)
    return result


def state(**versions: int) -> DatabaseState:
    return DatabaseState(versions=dict(versions))


def squash(app: str, first: int, last: int, *depends: str, reversible: bool = True) -> Migration:
    """A squash file ``FFFF_squashed_LLLL`` standing for versions first..last of ``app``."""
    name = f"{first:04d}_squashed_{last:04d}"
    return Migration(
        app=app,
        version=last,
        name=name,
        path=Path(f"{app}/migrations/{name}.sql"),
        kind="sql",
        source=f"-- {app} {first}-{last}",
        checksum=f"sum-{app}-{first}-{last}",
        dependencies=tuple(Dependency.parse(d, 1) for d in depends),
        reversible=reversible,
        sql_up=f"SELECT {first}",
        sql_down=f"SELECT -{first}" if reversible else None,
        replaces_from=first,
    )
