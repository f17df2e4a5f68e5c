"""Dirty marks: where an interrupted migration resumes, in which direction, and what may not run.

A migration that cannot be rolled back as a whole (MySQL, ``transaction off``) leaves its app
*dirty* when it stops part-way: which migration, in which direction, how many statements
succeeded and the checksum of those statements (``DirtyMark``). This module decides, before a run
starts, what such a mark allows:

* a run whose first step for the app is the interrupted one, in the same direction, resumes it
  at the first statement that did not succeed, provided the statements that did are unchanged;
* an *upgrade* cannot start on top of a stopped *downgrade* (and a downgrade not on top of a
  stopped upgrade): the app is neither at the version below nor at the one above. It is refused
  with the commands that resume or resolve it, even when the plan has nothing to do for the app
  (an "up to date" answer there would be a lie);
* everything else about the app waits until the mark is resolved.

Whose job: the executor runs steps and writes marks; ``repair`` resolves them; this module only
reads a mark against a plan. The wording of what each ``repair`` choice records is shared,
so that the refusal of ``upgrade`` and the refusal of ``repair`` say the same thing (that wording
is in ``modmig.advice``, so ``status`` uses it too).

May import: ``modmig.files``, ``modmig.advice``, ``modmig.errors``, ``modmig.model``.
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..advice import repair_choices, resume_hint
from ..errors import DirtyState, show_path
from ..files.checksum import checksum_of_statements
from ..files.splitter import Statement
from ..model import DatabaseState, DirtyMark, Plan, Step


def resume_points(
    plan: Plan,
    state: DatabaseState,
    statements: Callable[[Step], list[Statement]],
    requested: Iterable[str] = (),
    direction: str = "up",
) -> dict[str, int]:
    """For each dirty app in ``plan`` (or requested), where its interrupted step resumes.

    Raises DirtyState when the app cannot be resumed by this plan, naming what would.
    """
    resume: dict[str, int] = {}
    first_step: dict[str, Step] = {}
    for step in plan.steps:
        first_step.setdefault(step.migration.app, step)
    for app, mark in sorted(state.dirty.items()):
        step = first_step.get(app)
        if step is None:
            if app in requested:
                raise DirtyState(app, mark.describe(), blocked(mark, direction))
            continue
        if step.migration.version != mark.version or step.direction != mark.direction:
            raise DirtyState(app, mark.describe(), blocked(mark, step.direction, step))
        if step.migration.kind != "sql" or mark.statements_done is None:
            raise DirtyState(app, mark.describe(), "A Python migration cannot be resumed part-way. " + repair_choices(mark))
        done = [s.text for s in statements(step)[: mark.statements_done]]
        if len(done) < mark.statements_done or checksum_of_statements(done) != mark.prefix_checksum:
            part = "file" if mark.direction == "up" else "down section"
            raise DirtyState(
                app,
                mark.describe(),
                f"The {mark.statements_done} statement(s) that already ran have changed in the {part} of "
                f"{show_path(step.migration.path)}, so resuming could skip or repeat work (only the failed "
                f"statement and those after it may be edited). Restore them, or {repair_choices(mark)[0].lower()}{repair_choices(mark)[1:]}",
            )
        resume[app] = mark.statements_done
    return resume


def blocked(mark: DirtyMark, direction: str, step: Step | None = None) -> str:
    """Why a run in ``direction`` cannot start while ``mark`` stands, and what can."""
    this_run = "an upgrade" if direction == "up" else "a downgrade"
    if step is not None and step.migration.version == mark.version and step.direction != mark.direction:
        doing = f"{this_run} would start with {step.direction} of {step.label}"
    elif step is not None:
        doing = f"this run would start with {step.direction} of {step.label}"
    else:
        doing = f"{this_run} cannot start on top of it"
    return f"{doing.capitalize() if doing[0].islower() else doing}, but {resume_hint(mark)}"
