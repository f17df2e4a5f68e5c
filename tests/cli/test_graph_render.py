"""``modmig graph`` with a squash file: valid dot and Mermaid, and marks that say which route ran.

    users:  0001 -> 0002 -> 0003 -> 0004        (originals)
            0001_squashed_0003 ------> 0004     (the squash, beside them)
    blog:   0001 (depends users:0002: met by users:0002 or by the squash)
"""

import re
import shutil
import subprocess

import pytest

from ..conftest import REPO, write_tree
from ..squash.test_squash_states import BLOG, LATER, ORIGINALS, SQUASH


@pytest.fixture
def squashed(tmp_path, run_cli):
    """A project whose users app has a squash beside its originals; returns its CLI."""
    write_tree(tmp_path, {"users": {**ORIGINALS, **SQUASH, **LATER}, "blog": BLOG}, "sqlite:///app.db")
    return run_cli(tmp_path)


def test_the_text_graph_shows_the_squash_after_its_range_and_marks_the_route_the_database_took(squashed):
    assert squashed("upgrade", "users", "--to", "3").exit_code == 0  # a fresh database runs the squash
    drawn = squashed("graph").stdout
    assert "```text\n" + drawn + "```" in (REPO / "docs" / "graph.md").read_text()  # the docs show this very output
    assert drawn == (
        "blog\n"
        "  [ ] 0001_posts  <- users:0002 or users:0001_squashed_0003\n"
        "users\n"
        "  [-] 0001_create_users\n"
        "  [-] 0002_add_email\n"
        "  [-] 0003_profiles\n"
        "  [x] 0001_squashed_0003  replaces 0001-0003\n"
        "  [ ] 0004_tags\n"
        "[x] applied  [ ] pending  [-] bypassed: this database takes the other route through a squashed range\n"
    )


def test_a_database_that_ran_the_originals_sees_the_squash_bypassed(tmp_path, run_cli):
    write_tree(tmp_path / "before", {"users": ORIGINALS, "blog": BLOG}, f"sqlite:///{tmp_path / 'app.db'}")
    assert run_cli(tmp_path / "before")("upgrade", "users", "--to", "2").exit_code == 0
    write_tree(tmp_path / "after", {"users": {**ORIGINALS, **SQUASH, **LATER}, "blog": BLOG}, f"sqlite:///{tmp_path / 'app.db'}")
    lines = run_cli(tmp_path / "after")("graph").stdout.splitlines()
    assert lines[3:8] == [
        "  [x] 0001_create_users",
        "  [x] 0002_add_email",
        "  [ ] 0003_profiles",  # inside the range: only the remaining original can finish it
        "  [-] 0001_squashed_0003  replaces 0001-0003",
        "  [ ] 0004_tags",
    ]


def test_with_the_originals_pruned_the_squash_is_an_ordinary_step(tmp_path, run_cli):
    write_tree(tmp_path, {"users": {**SQUASH, **LATER}, "blog": BLOG}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    cli("upgrade", "users", "--to", "3")
    text = cli("graph").stdout
    assert "  [x] 0001_squashed_0003  replaces 0001-0003\n  [ ] 0004_tags\n" in text
    assert "bypassed" not in text
    assert "users_0001_squashed_0003 -> users_0004;" in cli("graph", "--format", "dot").stdout


def test_dot_with_a_squash_is_valid_and_draws_the_squash_beside_its_range(squashed):
    squashed("upgrade", "users", "--to", "3")
    dot = squashed("graph", "--format", "dot").stdout
    declared = _declared(r"^\s+(\w+) \[label=", dot)
    edges = re.findall(r"^\s+(\w+) -> (\w+)", dot, re.MULTILINE)
    assert {node for edge in edges for node in edge} <= declared
    assert ("users_0001_squashed_0003", "users_0004") in edges and ("users_0003", "users_0004") in edges
    assert ("users_0001_squashed_0003", "blog_0001") in edges and ("users_0002", "blog_0001") in edges
    assert 'users_0001_squashed_0003 [label="0001_squashed_0003", style=filled, fillcolor=palegreen, peripheries=2];' in dot
    assert dot.count("{") == dot.count("}")
    if shutil.which("dot"):  # Graphviz itself, where installed: it must lay the graph out without a warning
        laid_out = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, timeout=60)
        assert laid_out.returncode == 0 and laid_out.stderr == "", laid_out.stderr
        assert "0001_squashed_0003" in laid_out.stdout


def test_mermaid_with_a_squash_declares_every_node_it_links_or_styles(squashed):
    squashed("upgrade", "users", "--to", "3")
    mermaid = squashed("graph", "--format", "mermaid").stdout
    declared = _declared(r'^\s+(\w+)\[\[?"[\w-]+"\]?\]$', mermaid)
    linked = {node for edge in re.findall(r"^\s+(\w+) -\.?-?> (\w+)$", mermaid, re.MULTILINE) for node in edge}
    styled = dict(re.findall(r"^\s+class (\w+) (\w+)$", mermaid, re.MULTILINE))
    assert linked <= declared and set(styled) == declared
    assert '    users_0001_squashed_0003[["0001_squashed_0003"]]' in mermaid
    assert styled["users_0001_squashed_0003"] == "applied" and styled["users_0002"] == "bypassed"
    assert set(styled.values()) <= set(re.findall(r"^\s+classDef (\w+) ", mermaid, re.MULTILINE))
    assert mermaid.count("subgraph ") == mermaid.count("\n  end\n")


def _declared(pattern: str, text: str) -> set[str]:
    return set(re.findall(pattern, text, re.MULTILINE))
