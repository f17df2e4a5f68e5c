"""Turn the measurements into the stdout tables (Markdown, pasted as is into docs/performance.md)
and judge them against the targets of issue 5.

Ratios are always *modmig / other*: below 1 means modmig is faster. The floor ratio is the one
the targets name ("fresh upgrade at most 1.3x the floor"), on wall time; the "(CPU)" column is
the same ratio on user + system CPU time, which a busy machine disturbs less.
"""

from __future__ import annotations

PHASE_TITLES = {
    "load_plan": "load + plan (in-process)",
    "plan": "`plan --all`",
    "status": "`status`",
    "fresh": "fresh `upgrade --all`",
    "noop": "no-op `upgrade --all`",
    "squash": "`squash` the first app (verified)",
}
STARTUP_TITLES = {
    "python": "`python -c pass`",
    "help": "`modmig --help`",
    "status": "`modmig status` (1 migration)",
    "upgrade_noop": "no-op `modmig upgrade --all` (1 migration)",
}


def seconds(cell: dict | None) -> str:
    """A phase's median as a table cell, or why there is none."""
    if cell is None:
        return "-"
    status = cell["status"]
    if status == "ok" and cell["median_s"] is not None:
        value = cell["median_s"]
        text = f"{value:.3f}" if value < 10 else f"{value:.1f}"
        return text + ("¹" if len(cell["runs_s"]) == 1 and cell.get("single_run_note") else "")
    if status == "over budget":
        return cell.get("note", "> budget")
    if status == "failed":
        return "failed"
    return status


def ratio(mine: dict | None, other: dict | None, key: str = "median_s") -> str:
    value = ratio_value(mine, other, key)
    return "-" if value is None else f"{value:.2f}"


def ratio_value(mine: dict | None, other: dict | None, key: str = "median_s") -> float | None:
    """``mine / other`` of two phases' medians (wall time, or ``cpu_median_s``)."""
    if not mine or not other or not mine.get(key) or not other.get(key):
        return None
    return mine[key] / other[key]


def size_table(size: dict, peers: list[str]) -> str:
    """One Markdown table for one size: phases down, tools across."""
    tools = size["tools"]
    header = ["phase", "modmig s", "peak RSS MB", "floor s", "modmig/floor", "(CPU)"]
    for peer in peers:
        header += [f"{peer} s", f"modmig/{peer}"]
    rows = [header, ["---"] * len(header)]
    for phase, title in PHASE_TITLES.items():
        mine = tools["modmig"].get(phase)
        floor = tools.get("floor", {}).get(phase)
        rss = mine.get("peak_rss_mb") if mine else None
        row = [
            title, seconds(mine), "-" if rss is None else f"{rss:.0f}", seconds(floor), ratio(mine, floor),
            ratio(mine, floor, "cpu_median_s"),
        ]
        for peer in peers:
            theirs = tools.get(peer, {}).get(phase)
            row += [seconds(theirs), ratio(mine, theirs)]
        rows.append(row)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def startup_table(startup: dict, imports: dict, by_command: dict) -> str:
    rows = [["what", "median s", "peak RSS MB"], ["---", "---", "---"]]
    for name, title in STARTUP_TITLES.items():
        cell = startup.get(name)
        rss = cell.get("peak_rss_mb") if cell else None
        rows.append([title, seconds(cell), "-" if rss is None else f"{rss:.0f}"])
    for module, cost in imports.items():
        rows.append([f"`import {module}` (cumulative, own process)", "-" if cost is None else f"{cost:.3f}", "-"])
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    if by_command:
        lines.append("")
        for command, found in by_command.items():
            heavy = ", ".join(found["heavy_modules"]) or "none"
            lines.append(f"- `{command}` imports {heavy} ({found['all_imports_s']:.3f} s of imports in all)")
    return "\n".join(lines)


# -- targets ----------------------------------------------------------------------------------------


def evaluate_targets(sizes: dict[str, dict], peers: list[str]) -> list[dict]:
    """Each target of issue 5 with the measured value and whether it is met (None: not measured)."""
    by_total = {size["migrations"]: size for size in sizes.values()}
    targets: list[dict] = []

    def add(text: str, value: str | None, met: bool | None) -> None:
        targets.append({"target": text, "measured": value if value is not None else "not measured", "met": met})

    def median(size: dict | None, tool: str, phase: str) -> float | None:
        if size is None:
            return None
        cell = size["tools"].get(tool, {}).get(phase)
        return cell.get("median_s") if cell else None

    ten, twenty = by_total.get(10_000), by_total.get(20_000)
    value = median(ten, "modmig", "load_plan")
    add("load + plan of 10,000 migrations in-process < 0.3 s", _s(value), None if value is None else value < 0.3)
    for phase, label in (("plan", "`plan --all`"), ("status", "`status`")):
        value = median(ten, "modmig", phase)
        add(f"{label} at 10,000 migrations < 1 s", _s(value), None if value is None else value < 1.0)
    for phase in ("load_plan", "plan", "status"):
        a, b = median(ten, "modmig", phase), median(twenty, "modmig", phase)
        growth = b / a if a and b else None
        add(
            f"{PHASE_TITLES[phase]}: growth 10,000 -> 20,000 <= 2.2x",
            None if growth is None else f"{growth:.2f}x",
            None if growth is None else growth <= 2.2,
        )
    for name, size in sizes.items():
        value = ratio_value(size["tools"]["modmig"].get("fresh"), size["tools"].get("floor", {}).get("fresh"))
        add(f"fresh upgrade at {name} <= 1.3x floor", None if value is None else f"{value:.2f}x", None if value is None else value <= 1.3)
    value = median(ten, "modmig", "noop")
    add("no-op upgrade at 10,000 < 1 s", _s(value), None if value is None else value < 1.0)
    for total, size in sorted(by_total.items()):
        rivals = peers if total >= 5000 else [p for p in peers if p in ("django", "alembic")] if total >= 1000 else []
        for peer in rivals:
            mine, theirs = median(size, "modmig", "noop"), median(size, peer, "noop")
            cell = size["tools"].get(peer, {}).get("noop")
            if mine is not None and theirs is None and cell and cell["status"] == "over budget":
                add(f"no-op upgrade at {total:,} faster than {peer}", f"{_s(mine)} vs {cell.get('note')}", True)
                continue
            add(
                f"no-op upgrade at {total:,} faster than {peer}",
                None if mine is None or theirs is None else f"{_s(mine)} vs {_s(theirs)}",
                None if mine is None or theirs is None else mine < theirs,
            )
    for name, size in sizes.items():
        if size["per_app"] == 1000:
            value = median(size, "modmig", "squash")
            add(f"squash with verification of a 1,000-migration app ({name}) < 10 s", _s(value), None if value is None else value < 10)
    # issue 15
    thousand = by_total.get(1000)
    if thousand is not None:
        mine = thousand["tools"]["modmig"].get("fresh")
        for peer in peers:
            value = ratio_value(mine, thousand["tools"].get(peer, {}).get("fresh"))
            add(f"fresh upgrade at 1,000 >= 2x faster than {peer} (modmig/{peer} <= 0.5)",
                None if value is None else f"{value:.2f}", None if value is None else value <= 0.5)
        if "yoyo" in peers:
            mine_s, theirs = median(thousand, "modmig", "noop"), median(thousand, "yoyo", "noop")
            add("no-op upgrade at 1,000 faster than yoyo",
                None if mine_s is None or theirs is None else f"{_s(mine_s)} vs {_s(theirs)}",
                None if mine_s is None or theirs is None else mine_s < theirs)
    if ten is not None:
        value = ratio_value(ten["tools"]["modmig"].get("fresh"), ten["tools"].get("floor", {}).get("fresh"))
        add("fresh upgrade at 10,000 <= 1.1x floor", None if value is None else f"{value:.2f}x", None if value is None else value <= 1.1)
    if ten is not None:
        peaks = [c.get("peak_rss_mb") for c in ten["tools"]["modmig"].values() if c and c.get("peak_rss_mb")]
        value = max(peaks) if peaks else None
        add("peak RSS at 10,000 migrations < 200 MB", None if value is None else f"{value:.0f} MB", None if value is None else value < 200)
    return targets


def startup_targets(commands: dict) -> list[dict]:
    """Issue 15: ``status`` and a no-op ``upgrade`` on a small project under 0.2 s."""
    targets = []
    for name in ("status", "upgrade_noop"):
        cell = commands.get(name)
        value = cell.get("median_s") if cell else None
        targets.append({
            "target": f"{STARTUP_TITLES[name]} < 0.2 s",
            "measured": _s(value) or "not measured",
            "met": None if value is None else value < 0.2,
        })
    return targets


def targets_table(targets: list[dict]) -> str:
    rows = [["target", "measured", "met"], ["---", "---", "---"]]
    for target in targets:
        met = {True: "yes", False: "**no**", None: "-"}[target["met"]]
        rows.append([target["target"], target["measured"], met])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def _s(value: float | None) -> str | None:
    return None if value is None else f"{value:.3f} s"


def phase_targets_table(title: str, phases: dict[str, tuple[float | None, str]], measured: dict[str, dict], floor: str = "help") -> str:
    """One row per phase: median wall and CPU seconds, the ratio to the ``floor`` phase, the target
    and whether it was met (bench/ownership.py, bench/makemigrations.py)."""
    base = measured[floor]["median_s"]
    lines = [title, "", "| phase | wall s | CPU s | x `--help` | target | met |", "| --- | ---: | ---: | ---: | ---: | --- |"]
    for name, (target, what) in phases.items():
        wall, cpu = measured[name]["median_s"], measured[name]["cpu_median_s"]
        ratio = f"{wall / base:.1f}" if wall is not None and base else "-"
        met = "-" if target is None or wall is None else ("yes" if wall < target else "no")
        shown = lambda value: "-" if value is None else f"{value:.3f}"  # noqa: E731
        lines.append(f"| {what} | {shown(wall)} | {shown(cpu)} | {ratio} | {'-' if target is None else f'< {target:g}'} | {met} |")
    return "\n".join(lines)
