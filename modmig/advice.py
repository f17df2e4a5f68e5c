"""What to do about a dirty app: the command that resumes it, and what each repair answer records.

A migration that stopped part-way leaves its app dirty (``model.DirtyMark``). Several places tell
the operator what to do about it: the refusal of an upgrade or downgrade, ``status``, ``repair``
without an answer. They say it in the same words, built here from the mark alone.

May import: ``modmig.model`` (types only). Imported by ``modmig.results`` and ``modmig.run``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import DirtyMark


def resume_hint(mark: "DirtyMark") -> str:
    """The command that finishes the interrupted step, and the repair choices with what each records."""
    before, after = _dirty_versions(mark)
    options = repair_choices(mark)
    if mark.statements_done is None:
        return f"a Python migration cannot resume part-way. {options}"
    if mark.direction == "up":
        resume, part = f"'modmig upgrade {mark.app} --to {after}' resumes it", "upgrade"
    else:
        resume, part = f"'modmig downgrade {mark.app} --to {before}' resumes it", "down section"
    return f"{resume} (from statement {mark.statements_done + 1} of its {part}). {options}"


def repair_choices(mark: "DirtyMark") -> str:
    """What ``repair --applied`` and ``--not-applied`` record for this mark, in plain words."""
    before, after = _dirty_versions(mark)
    label = f"{mark.app}:{mark.name}"
    if mark.direction == "up":
        applied = f"the upgrade {label} took full effect: records {mark.app} at {after}"
        not_applied = f"none of it took effect, or you undid it: records {mark.app} at {before}"
    else:
        applied = f"the downgrade of {label} took full effect (what it undoes is gone): records {mark.app} at {before}"
        not_applied = f"none of the downgrade took effect, or you redid it: records {mark.app} at {after}"
    partial = ""
    if mark.statements_done is not None:
        partial = (
            f" Neither is true if only some of its statements took effect: 'modmig repair {mark.app} "
            f"--statements-done N' records that its first N did (the run recorded {mark.statements_done}), "
            f"and the next run resumes after them."
        )
    return (
        f"If the database was fixed by hand, say what it holds: 'modmig repair {mark.app} --applied' "
        f"({applied}) or 'modmig repair {mark.app} --not-applied' ({not_applied}).{partial}"
    )


def _dirty_versions(mark: "DirtyMark") -> tuple[int, int]:
    """(the version below the interrupted migration, the version it leaves the app at)."""
    first = mark.first_version if mark.first_version is not None else mark.version
    return first - 1, mark.version
