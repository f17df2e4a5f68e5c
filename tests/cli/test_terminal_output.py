"""What a person sees: colour and a progress bar on a terminal, plain text everywhere else.

The terminal tests run the real CLI in a pseudo-terminal (tests/terminal.py); the others use
click's runner, whose output is not a terminal, like a CI log or a pipe.
"""

import re

from ..conftest import write_tree
from ..terminal import run_in_terminal

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COLOUR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|9[0-7]|38;5)[;m]")  # a foreground colour (bold is not one)
BAR = "━"


def plain(text: str) -> str:
    return ANSI.sub("", text)


def test_a_long_run_on_a_terminal_shows_colour_a_progress_bar_and_a_summary(sample_project):
    code, output = run_in_terminal(["upgrade", "--all"], sample_project)
    assert code == 0
    assert COLOUR.search(output) and "\x1b[32mOK" in output  # green OK
    assert BAR in output and "0/10" in output  # the bar, with steps done out of the total
    assert re.search(r"\d+:\d\d:\d\d", output)  # elapsed time
    lines = plain(output).replace("\r", "\n")
    assert re.search(r"Applying users:0001_create_users \.\.\. OK \(\d+ ms\)", lines)
    assert re.search(r"Done: 10 step\(s\) across 3 app\(s\) in \d+\.\d\d s\.", lines)


def test_no_color_turns_colour_off_on_a_terminal_but_keeps_the_bar(sample_project):
    code, output = run_in_terminal(["upgrade", "--all"], sample_project, env={"NO_COLOR": "1"})
    assert code == 0
    assert not COLOUR.search(output)
    assert BAR in output and "Done: 10 step(s)" in plain(output)


def test_a_short_run_on_a_terminal_has_step_lines_but_no_bar(sample_project):
    code, output = run_in_terminal(["upgrade", "users", "--to", "2"], sample_project)
    assert code == 0 and BAR not in output
    assert "Applying users:0002_add_display_name ... OK" in plain(output)


def test_status_and_history_are_coloured_tables_on_a_terminal(sample_project):
    run_in_terminal(["upgrade", "users"], sample_project)
    code, output = run_in_terminal(["status"], sample_project)
    assert code == 0
    assert "\x1b[32mup to date" in output and "\x1b[33m4 pending" in output
    # The table's rows follow its rule; the database line above may wrap on a long temporary path.
    lines = plain(output).splitlines()
    below_rule = lines[next(i for i, line in enumerate(lines) if line.startswith("───")) + 1:]
    rows = {line.split()[0]: line.split()[1:3] for line in below_rule if line.strip()}
    assert rows == {"blog": ["0", "4"], "comments": ["0", "3"], "users": ["3", "3"]}
    code, output = run_in_terminal(["history"], sample_project)
    assert code == 0 and "\x1b[32mok" in output and "users:0003_seed_admin" in plain(output)


def test_errors_are_red_on_a_terminal_and_plain_with_no_color(sample_project):
    code, output = run_in_terminal(["upgrade", "nope"], sample_project)
    assert code == 2 and "\x1b[31m\x1b[1mError:" in output and "Unknown app 'nope'" in output
    code, output = run_in_terminal(["upgrade", "nope"], sample_project, env={"NO_COLOR": "1"})
    assert code == 2 and output.startswith("Error: Unknown app 'nope'")


def test_without_a_terminal_the_output_is_plain_text_without_a_bar(sample_project, run_cli):
    result = run_cli(sample_project)("upgrade", "--all")
    assert result.exit_code == 0
    assert "\x1b[" not in result.output and BAR not in result.output
    assert result.stdout.splitlines()[0].startswith("Applying users:0001_create_users ... OK (")
    assert result.stdout.splitlines()[-1].startswith("Done: 10 step(s) across 3 app(s) in ")


def test_quiet_prints_nothing_and_verbose_names_each_file(sample_project, run_cli):
    cli = run_cli(sample_project)
    assert cli("upgrade", "users", "--to", "1", "-q").output == ""
    verbose = cli("upgrade", "users", "-v").stdout.splitlines()
    assert verbose[0].startswith("Database: sqlite:///") and verbose[0].endswith("app.db")
    assert verbose[1:5] == [
        verbose[1],
        "    apps/users/migrations/0002_add_display_name.sql (sql, one transaction)",
        verbose[3],
        "    apps/users/migrations/0003_seed_admin.py (python, one transaction)",
    ]


def test_a_failure_on_a_terminal_marks_the_step_failed_and_stops_the_bar(tmp_path):
    steps = {f"000{i}_t{i}.sql": f"CREATE TABLE t{i} (id INTEGER);\n" for i in range(1, 6)}
    steps["0006_broken.sql"] = "INSERT INTO missing_table VALUES (1);\n"
    write_tree(tmp_path, {"app": steps}, "sqlite:///app.db")
    code, output = run_in_terminal(["upgrade", "--all"], tmp_path)
    text = plain(output)
    assert code == 1 and "Applying app:0006_broken ... FAILED" in text
    assert "Migration app:0006 failed at apps/app/migrations/0006_broken.sql:1" in text
    assert "Done:" not in text
    assert output.rstrip().endswith("Nothing after it ran.") or "\x1b[?25h" in output  # cursor shown again


def test_squash_on_a_terminal_is_coloured_with_a_spinner_and_says_what_it_did(sample_project):
    code, output = run_in_terminal(["squash", "users"], sample_project)
    assert code == 0
    assert "Squashing users and verifying it on scratch databases..." in output  # the spinner, erased after
    assert "\x1b[1;32mWrote apps/users/migrations/0001_squashed_0003.py" in output and "\x1b[32mVerified on" in output
    text = " ".join(plain(output).split())
    assert "Verified on SQLite in memory: the squash gives the same schema and rows as the 3 original(s)" in text
    assert re.search(r"Took \d+\.\d\d s \(plan \d+\.\d\d s, fold \d+\.\d\d s, verify \d+\.\d\d s\)\.", text)
    assert "Next: commit it beside the originals" in text and "'modmig squash users --prune'" in text


def test_squash_and_prune_without_a_terminal_are_plain_lines(sample_project, run_cli):
    cli = run_cli(sample_project)
    lines = cli("squash", "users").stdout.splitlines()
    assert "\x1b[" not in "".join(lines) and "Squashing" not in lines[0]
    assert lines[0] == "Wrote apps/users/migrations/0001_squashed_0003.py: users 0001-0003 (3 file(s)) as 1 statement(s) and 1 carried Python step(s)."
    assert lines[1:3] == ["  Carried Python step(s): 0003_seed_admin.", "  Down section: yes."]
    assert lines[3] == "Verified on SQLite in memory: the squash gives the same schema and rows as the 3 original(s), and its downgrade restores the database."
    assert lines[4].startswith("Took ") and lines[5].startswith("Next: commit it beside the originals")
    cli("upgrade", "--all")
    pruned = cli("squash", "users", "--prune").stdout.splitlines()
    assert pruned[:4] == [
        "Deleted apps/users/migrations/0001_create_users.sql",
        "Deleted apps/users/migrations/0002_add_display_name.sql",
        "Deleted apps/users/migrations/0003_seed_admin.py",
        "Pruned 3 file(s) replaced by users:0001_squashed_0003.",
    ]
    assert pruned[4].startswith("Next: commit the deletion.")


def test_merge_on_a_terminal_is_coloured_and_plain_elsewhere(sample_project, run_cli):
    (sample_project / "apps/blog/migrations/0004_add_tags.sql").write_text("CREATE TABLE blog_tag (id INTEGER PRIMARY KEY);\n")
    expected = [
        "Kept apps/blog/migrations/0004_add_slug.sql as 0004 (first by name: the files have no git history).",
        "Renamed apps/blog/migrations/0004_add_tags.sql -> 0005_add_tags.sql",
        "Rewrote apps/comments/migrations/0003_add_edited_at.sql: depends blog:0004 -> blog:0005",
        "Merged blog: 1 conflicting version(s) resolved, 1 file(s) renamed, 1 dependency(ies) rewritten.",
    ]
    code, output = run_in_terminal(["merge", "blog"], sample_project)
    assert code == 0 and "\x1b[1;32mMerged blog:" in output and "\x1b[36mRenamed" in output
    assert plain(output).splitlines()[:4] == expected
    (sample_project / "apps/blog/migrations/0005_add_tags.sql").rename(sample_project / "apps/blog/migrations/0004_add_tags.sql")
    rewritten = sample_project / "apps/comments/migrations/0003_add_edited_at.sql"
    rewritten.write_text(rewritten.read_text().replace("blog:0005", "blog:0004"))
    lines = run_cli(sample_project)("merge", "blog").stdout.splitlines()
    assert lines[:4] == expected and "\x1b[" not in "".join(lines)
    assert lines[4] == "Next: review and commit the changes. A database that applied a migration merge renamed is told so; 'modmig repair blog --renumbered' fixes its record."


def test_squash_json_on_a_terminal_is_the_document_alone(sample_project):
    import json

    code, output = run_in_terminal(["squash", "users", "--json"], sample_project)
    assert code == 0 and "Squashing" not in output
    assert json.loads(output)["kind"] == "squash"
