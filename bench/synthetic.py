"""Generate synthetic modmig projects: A apps x M migrations, deterministic from a seed.

Each migration is one small DDL step of its app: create a table, add a column to one of the
app's tables, or create an index on one; every 10th migration of app i (i > 0) depends on the
latest migration of app i-1; with ``python_every=K``, every K-th migration is a Python data step.
Every migration has a down section, so downgrades and squash verification work end to end.

    python bench/synthetic.py /tmp/proj --apps 5 --migrations 20 [--seed 1] [--python-every 50]

``generate`` is the function benchmarks and tests call.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path


def generate(root: Path, apps: int, migrations: int, seed: int = 0, python_every: int = 0,
             database: str = "sqlite:///app.db") -> Path:
    """Write the project under ``root``; returns the path of its modmig.yaml."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    labels = [f"app{i:02d}" for i in range(apps)]
    for index, label in enumerate(labels):
        folder = root / "apps" / label / "migrations"
        folder.mkdir(parents=True, exist_ok=True)
        tables: list[list[str]] = []  # per table: its columns
        indexed: set[tuple[int, str]] = set()
        for version in range(1, migrations + 1):
            depends = ""
            if index > 0 and version % 10 == 0:
                depends = f"-- modmig: depends {labels[index - 1]}:{version:04d}\n"
            if python_every and version % python_every == 0 and tables:
                table = rng.randrange(len(tables))
                (folder / f"{version:04d}_data_{version}.py").write_text(
                    (f"dependencies = [{depends.split()[-1]!r}]\n\n" if depends else "")
                    + f"def upgrade(ctx):\n    ctx.execute(\"INSERT INTO {label}_t{table} (id) VALUES ({version})\")\n\n\n"
                    f"def downgrade(ctx):\n    ctx.execute(\"DELETE FROM {label}_t{table} WHERE id = {version}\")\n"
                )
                continue
            choice = rng.random() if tables else 0.0
            if choice < 0.34:
                name = f"{label}_t{len(tables)}"
                tables.append(["id"])
                up = f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, created VARCHAR(20))"
                down = f"DROP TABLE {name}"
            elif choice < 0.67:
                table = rng.randrange(len(tables))
                column = f"c{version}"
                tables[table].append(column)
                up = f"ALTER TABLE {label}_t{table} ADD COLUMN {column} INTEGER NOT NULL DEFAULT {version % 7}"
                down = f"ALTER TABLE {label}_t{table} DROP COLUMN {column}"
            else:
                table = rng.randrange(len(tables))
                column = rng.choice(tables[table])
                if (table, column) in indexed:
                    column = "created"
                indexed.add((table, column))
                up = f"CREATE INDEX {label}_i{version} ON {label}_t{table} ({column})"
                down = f"DROP INDEX {label}_i{version}"
            (folder / f"{version:04d}_step_{version}.sql").write_text(f"{depends}{up};\n-- modmig: down\n{down};\n")
    config = root / "modmig.yaml"
    config.write_text(f"database: {database}\napps:\n" + "".join(f"  {label}: apps/{label}\n" for label in labels))
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--apps", type=int, default=1)
    parser.add_argument("--migrations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--python-every", type=int, default=0)
    args = parser.parse_args()
    print(generate(args.root, args.apps, args.migrations, args.seed, args.python_every))


if __name__ == "__main__":
    main()
