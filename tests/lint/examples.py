"""Each rule's examples as a project: its setup migrations, then the example as the last file."""

from __future__ import annotations

from pathlib import Path

from modmig.api import Project
from modmig.lint.rule import Rule

from ..conftest import write_tree


def example_project(root: Path, rule: Rule, example: str, database: str | None = None, extra: str = "") -> tuple[Project, str]:
    """Write the project, load it; returns it and the label of the example's migration."""
    apps: dict[str, dict[str, str]] = {}
    for app, text in [*rule.setup, (rule.app, example)]:
        files = apps.setdefault(app, {})
        files[f"{len(files) + 1:04d}_step.sql"] = text
    config = write_tree(root, apps, database, extra)
    last = f"{rule.app}:{len(apps[rule.app]):04d}_step"
    return Project.load(config), last


def findings_of(rule: Rule, example: str, dialect: str, root: Path) -> list:
    """The findings of ``rule`` on the example's migration (suppressed ones left out)."""
    project, label = example_project(root, rule, example)
    with project:
        report = project.lint(everything=True, dialect=dialect)
    return [f for f in report.findings if f.rule == rule.id and f.migration == label]
