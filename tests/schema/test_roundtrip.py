"""``modmig check --roundtrip`` and the round-trip helper: does every down undo its up?"""

import json

import pytest

from modmig.errors import UsageError
from modmig.testing import assert_roundtrip

from ..conftest import write_tree

GOOD = {
    "0001_create_items.sql": "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n-- modmig: down\nDROP TABLE items;\n",
    "0002_index_names.sql": "CREATE INDEX items_name ON items (name);\n-- modmig: down\nDROP INDEX items_name;\n",
}
FORGETS_COLUMN = {
    **GOOD,
    "0003_add_price.sql": "ALTER TABLE items ADD COLUMN price INTEGER;\nCREATE INDEX items_price ON items (price);\n"
    "-- modmig: down\nDROP INDEX items_price;\n",
    "0004_add_stock.sql": "ALTER TABLE items ADD COLUMN stock INTEGER;\n-- modmig: down\nALTER TABLE items DROP COLUMN stock;\n",
}


def test_the_sample_project_round_trips(sample_project, run_cli):
    result = run_cli(sample_project)("check", "--roundtrip")
    assert result.exit_code == 0
    assert result.stdout.strip() == "OK on a temporary SQLite file: the down of each of 10 migration(s) undoes its up."
    assert not (sample_project / "var" / "app.db").exists()  # the project's own database is never touched


def test_the_first_down_that_does_not_undo_its_up_is_named_with_what_it_left(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": FORGETS_COLUMN}, "sqlite:///app.db")
    result = run_cli(tmp_path)("check", "--roundtrip")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "Round-trip failed at shop:0003_add_price: its down does not undo its up:"
    assert lines[1].startswith("  - table items: columns differ: expected [('id', 'INTEGER', True, None), ('name', 'TEXT', True, None)], found [")
    assert "('price', 'INTEGER', True, None)" in lines[1]
    assert lines[-1] == "(2 migration(s) before it round-trip correctly.)"


def test_a_down_that_breaks_the_next_up_is_reported(tmp_path, run_cli):
    leaves_table = {"0001_t.sql": "CREATE TABLE t (id INTEGER);\nCREATE TABLE u (id INTEGER);\n-- modmig: down\nDROP TABLE t;\n"}
    write_tree(tmp_path, {"app": leaves_table}, None)
    result = run_cli(tmp_path)("check", "--roundtrip")
    assert result.exit_code == 1 and "table u is left behind" in result.stdout


def test_irreversible_migrations_are_applied_and_listed_not_checked(tmp_path, run_cli):
    files = {**GOOD, "0003_seed.sql": "INSERT INTO items (name) VALUES ('first');\n"}
    write_tree(tmp_path, {"shop": files}, None)
    result = run_cli(tmp_path)("check", "--roundtrip")
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "OK on a temporary SQLite file: the down of each of 2 migration(s) undoes its up (1 irreversible, not checked: shop:0003_seed)."
    )


def test_a_scratch_database_that_is_not_empty_is_refused(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": GOOD}, "sqlite:///app.db")
    cli = run_cli(tmp_path)
    cli("upgrade", "--all")
    result = cli("check", "--roundtrip", "--scratch", "sqlite:///app.db")
    assert result.exit_code == 2 and "is not empty (items)" in result.stderr
    assert cli("check").exit_code == 0  # untouched


def test_the_helper_checks_one_migration_and_fails_a_test_with_the_reason(tmp_path):
    config = write_tree(tmp_path, {"shop": FORGETS_COLUMN}, None)
    assert assert_roundtrip(config, "shop:0002").checked == ["shop:0002_index_names"]
    with pytest.raises(AssertionError, match="Round-trip failed at shop:0003_add_price"):
        assert_roundtrip(config, "shop:0003")
    with pytest.raises(UsageError, match="shop has no migration 0009"):
        assert_roundtrip(config, "shop:0009")


SQUASH = {
    "0001_squashed_0002.sql": "-- modmig: replaces 0001-0002\nCREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);\n"
    "CREATE INDEX items_name ON items (name);\n-- modmig: down\nDROP INDEX items_name;\nDROP TABLE items;\n",
}
LATER = {"0003_add_price.sql": "ALTER TABLE items ADD COLUMN price INTEGER;\n-- modmig: down\nALTER TABLE items DROP COLUMN price;\n"}


def test_a_squash_beside_its_originals_is_checked_after_them_and_must_match_them(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": {**GOOD, **SQUASH, **LATER}}, None)
    result = run_cli(tmp_path)("check", "--roundtrip", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checked"] == [
        "shop:0001_create_items", "shop:0002_index_names", "shop:0001_squashed_0002", "shop:0003_add_price",
    ]


def test_with_the_originals_pruned_the_squash_round_trips_like_any_file(tmp_path, run_cli):
    write_tree(tmp_path, {"shop": {**SQUASH, **LATER}}, None)
    result = run_cli(tmp_path)("check", "--roundtrip")
    assert result.exit_code == 0
    assert result.stdout.strip() == "OK on a temporary SQLite file: the down of each of 2 migration(s) undoes its up."


def test_a_squash_whose_down_leaves_a_table_behind_is_named(tmp_path, run_cli):
    forgets = {name: text.replace("DROP TABLE items;\n", "") for name, text in SQUASH.items()}
    write_tree(tmp_path, {"shop": {**GOOD, **forgets}}, None)
    result = run_cli(tmp_path)("check", "--roundtrip")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        "Round-trip failed at shop:0001_squashed_0002: its down does not undo its up:",
        "  - table items is left behind",
    ]


def test_a_squash_that_does_not_do_what_its_originals_do_is_named(tmp_path, run_cli):
    different = {name: text.replace("CREATE INDEX items_name ON items (name);\n", "") for name, text in SQUASH.items()}
    different = {name: text.replace("DROP INDEX items_name;\n", "") for name, text in different.items()}
    write_tree(tmp_path, {"shop": {**GOOD, **different}}, None)
    result = run_cli(tmp_path)("check", "--roundtrip", "--json")
    failure = json.loads(result.stdout)["failure"]
    assert result.exit_code == 1 and failure["migration"] == "shop:0001_squashed_0002" and failure["stage"] == "up"
    assert failure["differences"][0].startswith("not what the originals it replaces give: table items: indexes differ")
    text = run_cli(tmp_path)("check", "--roundtrip").stdout
    assert text.startswith("Round-trip failed at shop:0001_squashed_0002: applied in place of the originals it replaces, it does not do what they do:")


def test_the_helper_checks_a_squash_named_by_its_file(tmp_path):
    config = write_tree(tmp_path, {"shop": {**GOOD, **SQUASH, **LATER}}, None)
    assert assert_roundtrip(config, "shop:0001_squashed_0002").checked == ["shop:0001_squashed_0002"]
    assert assert_roundtrip(config, "shop:0001").checked == ["shop:0001_create_items"]


def test_a_squash_over_an_irreversible_original_is_checked_through_its_own_down(tmp_path, run_cli):
    irreversible = {**GOOD, "0002_index_names.sql": "CREATE INDEX items_name ON items (name);\n"}
    write_tree(tmp_path, {"shop": {**irreversible, **SQUASH}}, None)
    document = json.loads(run_cli(tmp_path)("check", "--roundtrip", "--json").stdout)
    assert document["ok"] is True and document["irreversible"] == ["shop:0002_index_names"]
    assert document["checked"] == ["shop:0001_create_items", "shop:0001_squashed_0002"]
