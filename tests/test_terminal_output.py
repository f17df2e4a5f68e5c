"""What a person sees: colour and a progress bar on a terminal, plain text everywhere else.

The terminal tests run the real CLI in a pseudo-terminal (tests/terminal.py); the others use
click's runner, whose output is not a terminal, like a CI log or a pipe.
"""

import re

from .conftest import write_tree
from .terminal import run_in_terminal

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
    rows = {line.split()[0]: line.split()[1:3] for line in plain(output).splitlines()[5:] if line.strip()}
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
