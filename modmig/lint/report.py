"""What a lint returns: the findings, and their renderings for people, pipelines and code review.

``describe()`` is the text the CLI prints (one line per finding: ``file:line: ID level: message``),
``as_dict()`` the ``--json`` document (``modmig/schemas/lint.schema.json``), ``as_sarif()`` a SARIF
2.1.0 log for code scanning, and ``github_annotations()`` the ``::error file=...`` workflow
commands GitHub Actions turns into annotations on a pull request.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..version import __version__
from .rule import ERROR, WARNING

DOCS_URL = "https://modmig.readthedocs.io/en/latest/"


@dataclass
class Finding:
    """One problem a rule found: which rule, at which level, where (file and line), about what."""

    rule: str
    slug: str
    level: str
    app: str
    #: ``shop:0002_add_index``
    migration: str
    path: str
    line: int
    #: The table, column, index... at fault.
    object: str
    message: str
    #: The reason an ``allow`` gave, when one suppressed this finding.
    suppressed: str | None = None

    def describe(self) -> str:
        return f"{self.path}:{self.line}: {self.rule} {self.level}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "rule": self.rule, "slug": self.slug, "level": self.level, "app": self.app,
            "migration": self.migration, "path": self.path, "line": self.line, "object": self.object,
            "message": self.message, "suppressed": self.suppressed,
        }


@dataclass
class LintReport:
    """What ``Project.lint`` returns: the findings that remain (``findings``), the ones an inline
    allow suppressed (``suppressed``), and what was linted; ``ok`` is False when an error remains."""

    dialect: str
    #: ``pending``, ``all``, ``changed since REF``, or ``files``.
    selection: str
    #: Labels of the migrations linted, in graph order.
    files: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    #: Metadata of every rule that ran (id -> ``Rule.info()``).
    rules: dict[str, dict] = field(default_factory=dict)
    #: What the lint could not do, and why (e.g. rules that had nothing to read).
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARNING]

    @property
    def ok(self) -> bool:
        """No finding at error level remains (``modmig lint`` exits 1 otherwise)."""
        return not self.errors

    def summary(self) -> str:
        files = f"{len(self.files)} migration{'s' if len(self.files) != 1 else ''}"
        parts = [f"{len(self.errors)} error(s)", f"{len(self.warnings)} warning(s)"]
        if self.suppressed:
            parts.append(f"{len(self.suppressed)} suppressed")
        return f"Linted {files} ({self.selection}, {self.dialect}): {', '.join(parts)}."

    def describe(self) -> str:
        lines = [finding.describe() for finding in self.findings]
        return "\n".join([*lines, *(f"Note: {note}" for note in self.notes), self.summary()])

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "dialect": self.dialect,
            "selection": self.selection,
            "files": list(self.files),
            "counts": {"error": len(self.errors), "warning": len(self.warnings), "suppressed": len(self.suppressed)},
            "findings": [f.as_dict() for f in self.findings],
            "suppressed": [f.as_dict() for f in self.suppressed],
            "rules": [self.rules[r] for r in sorted(self.rules)],
            "notes": list(self.notes),
        }

    def as_sarif(self) -> dict:
        """A SARIF 2.1.0 log: one run, the rules that ran, one result per finding (paths relative
        to the git repository's root, as code scanning wants them)."""
        ids = sorted(self.rules)
        rules = [
            {
                "id": rule_id,
                "name": self.rules[rule_id]["slug"],
                "shortDescription": {"text": self.rules[rule_id]["title"]},
                "helpUri": DOCS_URL + self.rules[rule_id]["docs"].removesuffix(".md") + "/",
                "defaultConfiguration": {"level": _sarif_level(self.rules[rule_id]["level"])},
            }
            for rule_id in ids
        ]
        results = []
        for finding in [*self.findings, *self.suppressed]:
            result = {
                "ruleId": finding.rule,
                "ruleIndex": ids.index(finding.rule) if finding.rule in ids else -1,
                "level": _sarif_level(finding.level),
                "message": {"text": finding.message},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": repository_path(finding.path)},
                    "region": {"startLine": finding.line},
                }}],
            }
            if finding.suppressed is not None:
                result["suppressions"] = [{"kind": "inSource", "justification": finding.suppressed}]
            results.append(result)
        return {
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "modmig", "version": __version__,
                                    "informationUri": DOCS_URL + "lint/", "rules": rules}},
                "results": results,
            }],
        }

    def github_annotations(self) -> str:
        """GitHub Actions workflow commands: each finding becomes an annotation on its line (paths
        relative to the git repository's root, so they land on the pull request's files)."""
        lines = []
        for finding in self.findings:
            command = "error" if finding.level == ERROR else "warning"
            title = _escape_property(f"{finding.rule} {finding.slug}")
            lines.append(f"::{command} file={_escape_property(repository_path(finding.path))},line={finding.line},title={title}::"
                         f"{_escape_data(finding.message)}")
        lines.append(self.summary())
        return "\n".join(lines)


def repository_path(path: str) -> str:
    """``path`` (as shown: relative to the current folder, or absolute) relative to the root of
    the git repository it is in, with ``/``; unchanged outside a repository."""
    here = Path.cwd()
    root = _repository_root(str(here))
    absolute = (here / path).resolve()
    if root is not None:
        try:
            return absolute.relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()


@lru_cache(maxsize=16)
def _repository_root(cwd: str) -> Path | None:
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:
        return None
    return Path(done.stdout.strip()).resolve() if done.returncode == 0 and done.stdout.strip() else None


def _sarif_level(level: str) -> str:
    return "error" if level == ERROR else "warning"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
