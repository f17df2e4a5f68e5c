"""The text of ``modmig owners``: per app, what it owns, who created and changed it; what is unknown.

Pure formatting, like ``output.py`` (kept apart so the ownership commands that follow add their
words here): ``owners_lines`` takes the ``OwnershipReport`` and returns styled lines.
"""

from __future__ import annotations

from .output import Styled, table

OWNERS_HEADERS = ("object", "kind", "created by", "changed since")


def owners_lines(report) -> list[Styled]:
    """Objects grouped by owning app (the one asked for, or all), then those no app owns, then
    the migrations whose effects could not be read."""
    owners = report.map
    replay = f"; Python migrations replayed on {owners.replayed_on}" if owners.replayed_on else ""
    lines: list[Styled] = [(f"Schema objects the migrations create ({owners.dialect}{replay})", "bold")]
    objects = report.objects
    by_app: dict[str, list] = {}
    for obj in objects:
        by_app.setdefault(obj.app, []).append(obj)
    for app in [report.app] if report.app is not None else sorted(a for a in by_app if a is not None):
        owned = by_app.get(app, [])
        lines.append(("", None))
        lines.append((f"{app}: {len(owned)} object(s)", "bold cyan"))
        if owned:
            rows = [[obj.name, obj.kind, obj.created_by.label, ", ".join(ref.label for ref in obj.changed_by) or "-"] for obj in owned]
            lines.extend((f"  {line}", None) for line in table(OWNERS_HEADERS, rows).splitlines())
    if report.app is None:
        lines.extend(_unowned(objects))
    incomplete = [record for record in owners.incomplete if report.app is None or record.migration.app == report.app]
    if incomplete:
        lines.append(("", None))
        lines.append(("Not fully read (what these did is unknown; objects they may have made are marked unknown):", "yellow"))
        for record in incomplete:
            if record.analysis == "opaque":
                lines.append((f"  {record.migration.label}: {record.note}", "yellow"))
            for statement in record.unknown_statements:
                lines.append((f"  {record.migration.label} line {statement.line}: {statement.text}", "yellow"))
    return lines


def _unowned(objects) -> list[Styled]:
    unowned = [obj for obj in objects if obj.app is None]
    if not unowned:
        return []
    lines: list[Styled] = [("", None), (f"No owner: {len(unowned)} object(s) used by migrations but created by none", "bold yellow")]
    for obj in unowned:
        if obj.origin == "unknown":
            why = "unknown: perhaps made by " + ", ".join(ref.label for ref in obj.possible_creators)
        else:
            why = "external: it predates the migrations, or another tool made it"
        lines.append((f"  {obj.kind} {obj.name} ({why})", None))
    return lines
