"""Inline suppression: ``-- modmig: allow RULE because REASON`` silences one statement's finding.

The directive stands on its own line above the statement it is about, or after the statement on
its last line (``CREATE INDEX ...; -- modmig: allow PG104 because the table is empty``). Placed
in the file's leading comment block, it also covers findings about the whole file (a missing down
section). Several rules may be named, separated by commas; ids or slugs.

The reason is required: a suppression is a decision a reviewer should be able to read. An allow
without one, naming an unknown rule, or suppressing nothing is itself a finding (MM002, MM003,
MM004), so stale suppressions do not pile up unseen. Python migrations take the same directive
as a ``#`` comment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .facts import ParsedStatement

_ALLOW = re.compile(r"(?:--|#)\s*modmig\s*:\s*allow\b(?P<rest>.*)$", re.IGNORECASE)
_BECAUSE = re.compile(r"\bbecause\b", re.IGNORECASE)


@dataclass
class Allow:
    line: int
    #: As written (ids or slugs).
    names: list[str]
    reason: str
    #: The directive follows SQL on its line (it is about that statement).
    trailing: bool
    #: Filled by ``scope``: the statement's first and last line, or the whole file's header.
    first: int | None = None
    last: int | None = None
    header: bool = False
    used: set[str] = field(default_factory=set)

    def covers(self, rule_id: str, rule_ids: set[str], line: int, whole_file: bool) -> bool:
        if rule_id not in rule_ids:
            return False
        if whole_file:
            return self.header
        return self.first is not None and self.first <= line <= (self.last or self.first)


def find_allows(source: str) -> list[Allow]:
    found = []
    for number, text in enumerate(source.splitlines(), start=1):
        match = _ALLOW.search(text)
        if not match:
            continue
        rest = match.group("rest").strip()
        split = _BECAUSE.search(rest)
        names_text, reason = (rest[: split.start()], rest[split.end():].strip()) if split else (rest, "")
        names = [n for n in re.split(r"[\s,]+", names_text) if n]
        before = text[: match.start()].strip()
        found.append(Allow(number, names, reason, trailing=bool(before) and not before.startswith(("--", "#"))))
    return found


def _code(text: str) -> str:
    """A statement's text from its first line of code (the splitter keeps comments above it)."""
    lines = text.split("\n")
    while len(lines) > 1 and (not lines[0].strip() or lines[0].lstrip().startswith(("--", "#"))):
        lines.pop(0)
    return "\n".join(lines)


def scope(allows: list[Allow], statements: list[ParsedStatement], first_code_line: int | None) -> None:
    """Attach each allow to the statement it is about (see the module docstring)."""
    spans = [(s.line, s.line + _code(s.text).count("\n")) for s in statements]
    for allow in allows:
        allow.header = first_code_line is None or allow.line < first_code_line
        if allow.trailing:
            span = next(((a, b) for a, b in spans if a <= allow.line <= b), None)
        else:
            span = next(((a, b) for a, b in spans if a > allow.line), None)
        if span is not None:
            allow.first, allow.last = span
