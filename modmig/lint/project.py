"""``Project.lint`` in one function: settings, dialect, selection, cross-app view, then the engine."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from .apps import UNAVAILABLE, AppsView
from .engine import Mentions, lint
from .report import LintReport
from .selection import all_keys, changed_keys, pending_keys
from .settings import OFF, parse_settings

#: The rules that read the ownership map (XA106 reads only the graph).
OWNERSHIP_RULES = ("XA101", "XA102", "XA103", "XA104", "XA105")

if TYPE_CHECKING:
    from ..config import ProjectConfig
    from ..model import DatabaseState
    from ..plan.graph import MigrationGraph


def lint_project(
    config: ProjectConfig,
    graph: MigrationGraph,
    apps: Sequence[str] = (),
    *,
    state: Callable[[], DatabaseState],
    everything: bool = False,
    base: str | None = None,
    dialect: str | None = None,
    database_dialect: Callable[[], str],
) -> LintReport:
    """Lint ``apps``' migrations (every app's when empty): pending by default (``state()`` gives the
    database's state), ``everything``, or those changed since the git ref ``base``."""
    settings = parse_settings(getattr(config, "lint", None), config.path, sorted(config.apps))
    dialect = dialect or settings.dialect or database_dialect()
    if everything:
        keys, selection = all_keys(graph), "all"
    elif base is not None:
        keys, selection = changed_keys(graph, base, config.root), f"changed since {base}"
    else:
        keys, selection = pending_keys(graph, state()), "pending"
    if apps:
        keys = [key for key in keys if key[0] in apps]
    notes: list[str] = []
    linted_apps = {key[0] for key in keys}

    def cross_app_view(mentions: Mentions) -> AppsView | None:
        """The ownership map's view, built only when a file of one app names something a linted
        migration of another app touches: otherwise no cross-app rule can find anything, and the
        map (a walk of every migration) is not worth building."""
        if not _cross_app_rules_on(settings, linted_apps):
            return None
        involved = {m.app for m in graph.nodes.values() if m.app not in linted_apps and mentions.found_in(m.source)}
        if not involved and not any(m.kind == "sql" and mentions.by_another_app(m.sql_up, m.app) for m in graph.nodes.values()):
            return None
        view = AppsView.build(graph, dialect, config.root, involved | linted_apps)
        if view is None:
            notes.append(UNAVAILABLE)
        return view

    report = lint(graph, keys, dialect=dialect, settings=settings, selection=selection,
                  timeouts=dict(config.timeouts), apps=cross_app_view)
    report.notes.extend(notes)
    return report


def _cross_app_rules_on(settings, apps: set[str]) -> bool:
    """Some ownership-based rule runs for one of ``apps`` (building the map is the costly part)."""
    return any(settings.level(rule_id, app) != OFF for rule_id in OWNERSHIP_RULES for app in apps)
