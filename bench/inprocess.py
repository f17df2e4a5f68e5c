"""Child process: modmig's load + graph + plan, timed in-process after every import is done.

``python bench/inprocess.py PROJECT_DIR`` imports modmig's config, loader, graph and planner
first, then times reading the config, loading every app's files, building the graph and planning
``upgrade --all`` against an empty database (what ``plan --all`` computes before it prints), so
the figure excludes interpreter start-up and imports. It prints one JSON line with the total
(wall and CPU) and each part.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from modmig.config import load_config
from modmig.plan.graph import MigrationGraph
from modmig.files.loader import load_apps
from modmig.model import DatabaseState
from modmig.plan.planner import plan_upgrade, verify


def main(project: Path) -> None:
    cpu = time.process_time()
    clock = time.perf_counter()
    config = load_config(project / "modmig.yaml")
    histories = load_apps(config.apps, config.path)
    loaded = time.perf_counter()
    graph = MigrationGraph(histories)
    built = time.perf_counter()
    state = DatabaseState(initialised=False)
    verify(graph, state).raise_first()
    plan = plan_upgrade(graph, state)
    done = time.perf_counter()
    cpu = time.process_time() - cpu
    print(
        json.dumps(
            {
                "seconds": done - clock,
                "cpu_s": cpu,
                "load_s": loaded - clock,
                "graph_s": built - loaded,
                "plan_s": done - built,
                "steps": len(plan),
            }
        )
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
