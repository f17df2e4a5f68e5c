"""Write the benchmark's synthetic workload as a modmig project, to try commands on by hand.

    python bench/synthetic.py /tmp/proj --apps 5 --migrations 20 [--seed 1] [--python-every 50]

The workload is ``workload.py``'s (the one ``bench/run.py`` measures): A apps x M migrations,
each one small DDL step with a down section, every 10th migration of app i depending on app i-1;
with ``--python-every K`` every K-th migration is a Python file running the same statement. The
database is ``bench.db`` beside the generated ``modmig.yaml``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from workload import generate, write_modmig_project  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--apps", type=int, default=1)
    parser.add_argument("--migrations", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--python-every", type=int, default=0)
    args = parser.parse_args()
    folder = write_modmig_project(generate(args.apps, args.migrations, args.seed), args.root, python_every=args.python_every)
    print(folder / "modmig.yaml")


if __name__ == "__main__":
    main()
