"""``plan --sql`` on a big data file summarises it; ``--full`` prints every statement (item 10)."""

from ..conftest import write_tree

ROWS = 3000


def test_plan_sql_summarises_a_big_file_and_full_prints_it_all(tmp_path, run_cli):
    data = "".join(f"INSERT INTO t (id, note) VALUES ({n}, 'row {n}; with a semicolon');\n" for n in range(ROWS))
    write_tree(tmp_path, {"app": {"0001_t.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT);\n", "0002_rows.sql": data}}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    short = cli("plan", "--sql")
    assert short.exit_code == 0
    assert f"-- ... {ROWS - 13:,} more statement(s)" in short.stdout and "--full shows them" in short.stdout
    assert "VALUES (0, 'row 0; with a semicolon');" in short.stdout and f"VALUES ({ROWS - 1}," in short.stdout
    assert len(short.stdout) < 5_000
    full = cli("plan", "--sql", "--full")
    assert full.stdout.count("INSERT INTO t") == ROWS and "more statement(s)" not in full.stdout
