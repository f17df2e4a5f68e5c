"""Write the lint rules' docs pages from the rules' own metadata, so the pages cannot drift.

    python scripts/lint_docs.py          # (re)write docs/lint/rules/*.md and the nav in mkdocs.yml
    python scripts/lint_docs.py --check  # exit 1, naming the files, if they are not what it writes

Each rule (``modmig/lint/rules/``) carries its title, why it hurts, the safe way and its two
examples; the test suite runs those examples (tests/lint/test_rule_examples.py) and runs this
script with ``--check`` (tests/lint/test_lint_docs.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from modmig.lint.engine import RULES
from modmig.lint.rule import DIALECT_NAMES, Rule

RULES_DIR = REPO / "docs" / "lint" / "rules"
MKDOCS = REPO / "mkdocs.yml"
BEGIN = "      # lint rule pages: written by scripts/lint_docs.py (begin)"
END = "      # lint rule pages: written by scripts/lint_docs.py (end)"
FAMILIES = {
    "MM": "The linter itself", "PG": "PostgreSQL", "MY": "MySQL / MariaDB", "SQ": "SQLite",
    "DS": "Every database: drops and renames", "DM": "Every database: data, down sections, transactions",
    "XA": "Across apps",
}


def page(rule: Rule) -> str:
    databases = ", ".join(DIALECT_NAMES[d] for d in rule.dialects)
    parts = [
        f"# {rule.id} {rule.slug}",
        "",
        f"**{rule.title}.** Level: **{rule.level}**. Databases: {databases}.",
        "",
        "## Why it hurts",
        "",
        rule.why.strip(),
        "",
        "## The safe way",
        "",
        rule.fix.strip(),
        "",
        "## Example",
        "",
    ]
    if rule.setup:
        parts += ["Earlier migrations:" if len(rule.setup) > 1 else "An earlier migration:", ""]
        for app, text in rule.setup:
            label = f" (app `{app}`)" if app != rule.app or len({a for a, _ in rule.setup}) > 1 else ""
            parts += [f"```sql{_title(label)}", text.rstrip(), "```", ""]
    parts += [f"Reported by {rule.id}:", "", "```sql", rule.bad.rstrip(), "```", "",
              "The safe way:", "", "```sql", rule.safe.rstrip(), "```", ""]
    parts += [
        "## Configure or suppress",
        "",
        "In `modmig.yaml` ([Linting migrations](../../lint.md#configuration)):",
        "",
        "```yaml",
        "lint:",
        f"  levels: {{{rule.id}: {'warning' if rule.level == 'error' else 'error'}}}   # or off",
        f"  # disable: [{rule.id}]",
        "```",
        "",
        "For one statement, with the reason (required):",
        "",
        "```sql",
        f"-- modmig: allow {rule.id} because ...",
        "```",
        "",
    ]
    return "\n".join(parts)


def _title(label: str) -> str:
    return f' title="{label.strip(" ()")}"' if label else ""


def index() -> str:
    lines = ["# Lint rules", "",
             f"{len(RULES)} rules. Each id is stable: configuration and `-- modmig: allow` use it in every release.",
             "See [Linting migrations](../../lint.md) for how to run, configure and suppress them.", ""]
    for prefix, family in FAMILIES.items():
        chosen = [RULES[i] for i in sorted(RULES) if i.startswith(prefix)]
        if not chosen:
            continue
        lines += [f"## {family}", "", "| id | rule | level | databases |", "| --- | --- | --- | --- |"]
        for rule in chosen:
            databases = ", ".join(DIALECT_NAMES[d] for d in rule.dialects)
            lines.append(f"| [{rule.id}]({rule.id}.md) | {rule.slug}: {rule.title} | {rule.level} | {databases} |")
        lines.append("")
    return "\n".join(lines)


def nav_block() -> str:
    lines = [BEGIN, "      - All rules: lint/rules/index.md"]
    lines += [f"      - {rule_id} {RULES[rule_id].slug}: lint/rules/{rule_id}.md" for rule_id in sorted(RULES)]
    return "\n".join([*lines, END])


def expected() -> dict[Path, str]:
    files = {RULES_DIR / f"{rule_id}.md": page(RULES[rule_id]) for rule_id in sorted(RULES)}
    files[RULES_DIR / "index.md"] = index()
    text = MKDOCS.read_text()
    start, end = text.index(BEGIN), text.index(END) + len(END)
    files[MKDOCS] = text[:start] + nav_block() + text[end:]
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only compare; exit 1 when something differs.")
    args = parser.parse_args()
    files = expected()
    stale = sorted({*RULES_DIR.glob("*.md")} - set(files)) if RULES_DIR.is_dir() else []
    differ = [path for path, text in files.items() if not path.is_file() or path.read_text() != text]
    if args.check:
        for path in [*differ, *stale]:
            print(f"out of date: {path.relative_to(REPO)} (run python scripts/lint_docs.py)")
        return 1 if differ or stale else 0
    RULES_DIR.mkdir(parents=True, exist_ok=True)
    for path in differ:
        path.write_text(files[path])
    for path in stale:
        path.unlink()
    print(f"wrote {len(differ)} file(s), removed {len(stale)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
