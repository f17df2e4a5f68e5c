"""Which migrations a lint looks at: the pending ones, all of them, or those changed since a git ref.

``pending`` follows the planner: per app, the files ``modmig upgrade`` would run from where the
database is (a squash where the database would take one). ``all`` is every file of one route
through each app (originals where they exist, a squash where they were pruned), so nothing is
linted twice. ``changed`` asks git which files were added or changed since the merge base of
``HEAD`` and the ref (what a pull request adds), including uncommitted and untracked files.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..model import DatabaseState, Key
    from ..plan.graph import MigrationGraph


def pending_keys(graph: MigrationGraph, state: DatabaseState) -> list[Key]:
    from ..plan.planner import pending_route

    return graph.in_order(m.key for app in graph.histories for m in pending_route(graph, state, app))


def all_keys(graph: MigrationGraph) -> list[Key]:
    return [key for key in graph.order if not stands_for_present_originals(graph, key)]


def stands_for_present_originals(graph: MigrationGraph, key: Key) -> bool:
    """A squash file whose originals are all still there: a second route over the same changes."""
    migration = graph.migration(key)
    if not migration.is_squash:
        return False
    history = graph.histories[migration.app]
    return all(history.get(v) is not None for v in range(migration.first_version, migration.version + 1))


def changed_keys(graph: MigrationGraph, base: str, root: Path) -> list[Key]:
    paths = changed_paths(root, base)
    return [key for key in graph.order if graph.migration(key).path.resolve() in paths]


def changed_paths(root: Path, base: str) -> set[Path]:
    """Files added or changed since the merge base of HEAD and ``base`` (working tree included)."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").strip())
    commit = _git(root, "rev-parse", "--verify", "--quiet", f"{base}^{{commit}}", ref=base).strip()
    try:
        since = _git(root, "merge-base", commit, "HEAD").strip()
    except UsageError:  # no common history (or no HEAD yet): compare with the ref itself
        since = commit
    names = _git(root, "diff", "--name-only", "-z", "--diff-filter=ACMR", since, "--").split("\0")
    names += _git(root, "ls-files", "--others", "--exclude-standard", "-z").split("\0")
    return {(top / name).resolve() for name in names if name}


def _git(root: Path, *args: str, ref: str | None = None) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise UsageError("--base needs git, which is not installed (or not on PATH).") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split())
        if "not a git repository" in reason:
            raise UsageError(f"--base needs a git repository, and {root} is not in one.")
        if ref is not None:
            raise UsageError(f"--base {ref}: git cannot resolve it to a commit. Name a branch, tag or commit, e.g. origin/main.")
        raise UsageError(f"git {' '.join(args)} failed: {reason or 'no message'}")
    return done.stdout
