"""Each rule's examples as a project: its setup migrations, then the example as the last file."""

from __future__ import annotations

import re
from pathlib import Path

from modmig.api import Project
from modmig.lint.rule import Rule

from ..conftest import write_tree


def example_project(root: Path, rule: Rule, example: str, database: str | None = None, extra: str = "") -> tuple[Project, str]:
    """Write the project, load it; returns it and the label of the example's migration."""
    apps: dict[str, dict[str, str]] = {}
    versions: dict[str, int] = {}
    for app, text in [*rule.setup, (rule.app, example)]:
        first = versions.get(app, 0) + 1
        squash = re.search(r"-- modmig: replaces (\d+)-(\d+)", text)
        last = int(squash.group(2)) if squash else first
        name = f"{first:04d}_squashed_{last:04d}" if squash else f"{first:04d}_step"
        apps.setdefault(app, {})[f"{name}.sql"] = text
        versions[app] = last
    config = write_tree(root, apps, database, extra)
    last = f"{rule.app}:{versions[rule.app]:04d}_step"
    return Project.load(config), last


def findings_of(rule: Rule, example: str, dialect: str, root: Path) -> list:
    """The findings of ``rule`` on the example's migration (suppressed ones left out)."""
    project, label = example_project(root, rule, example)
    with project:
        report = project.lint(everything=True, dialect=dialect)
    return [f for f in report.findings if f.rule == rule.id and f.migration == label]
