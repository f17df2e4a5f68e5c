"""The docs site builds with ``mkdocs build --strict`` and its pictures are still what modmig draws."""

import os
import subprocess
import sys

from modmig.api import Project
from modmig.cli import cli
from modmig.cli.graph_render import render

from .conftest import REPO


def test_the_docs_site_builds_strictly(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPO, env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    cli_page = (tmp_path / "site" / "cli" / "index.html").read_text()
    for command in cli.commands:  # the reference is generated from every click command
        assert f"modmig {command}" in cli_page
    assert (tmp_path / "site" / "img" / "terminal.png").stat().st_size > 10_000
    assert 'id="modmig.api.Project.upgrade"' in (tmp_path / "site" / "api" / "index.html").read_text()


def test_the_graph_pictures_in_the_docs_are_what_modmig_draws_for_the_sample_project(sample_project, run_cli):
    page = (REPO / "docs" / "graph.md").read_text()
    with Project.load(sample_project) as project:
        assert "```mermaid\n" + render(project.graph, "mermaid") + "```" in page
        assert "```text\n" + render(project.graph, "text") + "```" in page
    run_cli(sample_project)("upgrade", "blog")
    drawn = run_cli(sample_project)("graph", "--format", "dot").stdout
    assert drawn == (REPO / "docs" / "img" / "sample-graph.dot").read_text()  # the SVG is laid out from it
