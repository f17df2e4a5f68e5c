"""A property of makemigrations, on every database: random model edits round-trip.

For a random table and a random edit of its model (columns added, dropped, retyped, made
nullable or not, defaults and indexes added or removed): makemigrations writes a file, upgrade
applies it, ``makemigrations --check`` is then clean, and downgrading restores the schema from
before the edit. Hypothesis picks the tables and edits; a few examples per database keep it
well under a minute.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from ..databases import provision
from .autogen_projects import ModelProject, schema

#: Column types and, for each, defaults that suit it (None: no default).
TYPES = {
    "sa.Integer": ["0", "7"],
    "sa.BigInteger": ["0"],
    "sa.String(20)": ["''", "'x'"],
    "sa.String(40)": ["'x'"],
    "sa.Text": [],
    "sa.Boolean": ["sa.true()", "sa.false()"],
    "sa.Numeric(8, 2)": ["0"],
    "sa.Date": [],
}
#: What a column may be retyped to: a conversion every database can make of any value (numbers
#: to numbers, text to text; a date to text). Others (a date to a number) fail the replay, rightly.
FAMILIES = [["sa.Integer", "sa.BigInteger", "sa.Numeric(8, 2)"], ["sa.String(20)", "sa.String(40)", "sa.Text"], ["sa.Boolean"], ["sa.Date", "sa.String(40)"]]
NAMES = [f"c{i}" for i in range(6)]
EXAMPLES = {"sqlite": 12, "postgresql": 3, "mysql": 3}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool
    default: str | None
    indexed: bool

    def source(self) -> str:
        default = ""
        if self.default is not None:
            value = self.default if self.default.startswith("sa.") else f'"{self.default.strip(chr(39))}"'
            default = f", server_default={value}"
        index = ", index=True" if self.indexed else ""
        return f"    {self.name}: Mapped[object] = mapped_column({self.type}, nullable={self.nullable}{default}{index})\n"


@st.composite
def columns(draw, name: str) -> Column:
    kind = draw(st.sampled_from(sorted(TYPES)))
    default = draw(st.sampled_from([None, *TYPES[kind]]))
    return Column(name, kind, draw(st.booleans()), default, draw(st.booleans()) and kind != "sa.Text")


@st.composite
def tables(draw) -> dict[str, Column]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
    return {name: draw(columns(name)) for name in names}


@st.composite
def edited(draw, table: dict[str, Column]) -> dict[str, Column]:
    """The table after one to three edits; never the same table."""
    result = dict(table)
    for _ in range(draw(st.integers(1, 3))):
        edit = draw(st.sampled_from(["add", "drop", "retype", "nullable", "default", "index"]))
        free = [name for name in NAMES if name not in result]
        if edit == "add" and free or not result:
            name = draw(st.sampled_from(free))
            result[name] = draw(columns(name))
            continue
        name = draw(st.sampled_from(sorted(result)))
        column = result[name]
        if edit == "drop" and len(result) > 1:
            del result[name]
        elif edit == "retype":
            kind = draw(st.sampled_from(sorted({t for family in FAMILIES if column.type in family for t in family})))
            result[name] = replace(column, type=kind, default=None, indexed=column.indexed and kind != "sa.Text")
        elif edit == "nullable":
            result[name] = replace(column, nullable=not column.nullable)
        elif edit == "default":
            result[name] = replace(column, default=draw(st.sampled_from([None, *TYPES[column.type]])))
        elif edit == "index" and column.type != "sa.Text":
            result[name] = replace(column, indexed=not column.indexed)
    return result


def model(table: dict[str, Column]) -> str:
    body = "class Item(Base):\n    __tablename__ = \"shop_item\"\n    id: Mapped[int] = mapped_column(primary_key=True)\n"
    return body + "".join(table[name].source() for name in sorted(table))


@pytest.mark.parametrize("backend", sorted(EXAMPLES))
def test_random_model_edits_generate_upgrade_check_clean_and_downgrade_back(backend, tmp_path_factory):
    @settings(
        max_examples=EXAMPLES[backend], deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None,
        phases=[Phase.explicit, Phase.generate],  # no shrinking: each example migrates real databases
    )
    @given(st.data())
    def example(data):
        before_table = data.draw(tables(), label="table")
        after_table = data.draw(edited(before_table), label="edited")
        root = tmp_path_factory.mktemp("property")
        with provision(backend, root) as url:
            build = ModelProject(root, url)
            try:
                project = build({}, {"shop": model(before_table)}, folder=f"p{uuid.uuid4().hex[:8]}")
                project.makemigrations()
                project.upgrade()
                before = schema(project)
                build.edit("shop", model(after_table))
                result = project.makemigrations(allow_destructive=True)
                if not result.changed:
                    return
                project.upgrade()
                left = project.makemigrations(check=True)
                assert not left.changed, [str(c) for app in left.apps for c in app.changes]
                project.downgrade("shop", to=1)
                assert schema(project) == before
            finally:
                build.close()

    example()
