"""Random valid histories (creates, renames, drops, indexes, foreign keys, inserts) squash and verify.

Verification compares the squash with the originals on scratch databases, so every history here
that squashes without SquashNotVerified is one the folder got exactly right. The seeds are fixed.
"""

import random

import pytest

from modmig.api import Project

from ..conftest import write_tree


def random_history(seed: int, length: int = 25) -> dict[str, str]:
    rng = random.Random(seed)
    tables: dict[str, list[str]] = {}
    indexed: set[tuple[str, str]] = set()
    files: dict[str, str] = {}
    for version in range(1, length + 1):
        live = sorted(tables)
        roll = rng.random() if live else 0.0
        if roll < 0.2:
            name = f"t{version}"
            reference = f", r INTEGER REFERENCES {rng.choice(live)}(id)" if live and rng.random() < 0.4 else ""
            tables[name] = ["id", "a"] + (["r"] if reference else [])
            statement = f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, a VARCHAR(10){reference})"
        elif roll < 0.35:
            table = rng.choice(live)
            tables[table].append(f"c{version}")
            statement = f"ALTER TABLE {table} ADD COLUMN c{version} INTEGER DEFAULT {version}"
        elif roll < 0.45:
            table = rng.choice(live)
            column = rng.choice([c for c in tables[table] if c not in ("id", "r")])
            tables[table][tables[table].index(column)] = f"{column}_{version}"
            indexed = {(t, f"{column}_{version}" if (t, c) == (table, column) else c) for t, c in indexed}
            statement = f"ALTER TABLE {table} RENAME COLUMN {column} TO {column}_{version}"
        elif roll < 0.55:
            table = rng.choice(live)
            tables[f"{table}_{version}"] = tables.pop(table)
            indexed = {(f"{table}_{version}" if t == table else t, c) for t, c in indexed}
            statement = f"ALTER TABLE {table} RENAME TO {table}_{version}"
        elif roll < 0.65:
            table = rng.choice(live)
            column = rng.choice(tables[table])
            indexed.add((table, column))
            statement = f"CREATE INDEX i{version} ON {table} ({column})"
        elif roll < 0.75:
            statement = f"INSERT INTO {rng.choice(live)} (id) VALUES ({version})"
        elif roll < 0.85:
            table = rng.choice(live)
            droppable = [c for c in tables[table] if c.startswith("c") and (table, c) not in indexed]
            if not droppable:
                continue
            column = rng.choice(droppable)
            tables[table].remove(column)
            statement = f"ALTER TABLE {table} DROP COLUMN {column}"
        else:
            table = rng.choice(live)
            del tables[table]
            indexed = {(t, c) for t, c in indexed if t != table}
            statement = f"DROP TABLE {table}"
        files[f"{len(files) + 1:04d}_step.sql"] = statement + ";\n"
    return files


@pytest.mark.parametrize("seed", range(30))
def test_a_random_history_squashes_into_a_file_that_passes_verification(tmp_path, seed):
    write_tree(tmp_path, {"app": random_history(seed)}, None)
    with Project.load(tmp_path) as project:
        result = project.squash("app")
    assert result.verification is not None and result.path.exists()
