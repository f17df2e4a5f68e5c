"""The bookkeeping SQL compiled once per dialect (modmig.run.bookkeeping_tables): each schema's copy
names that schema, quoted as its dialect needs, and nothing else changes."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from modmig.run.bookkeeping_tables import PLACEHOLDER, Compiled

URLS = {"sqlite": "sqlite://", "postgresql": "postgresql+psycopg://u@h/d", "mysql": "mysql+pymysql://u@h/"}
QUOTED = {"sqlite": '"Tenant-1"', "postgresql": '"Tenant-1"', "mysql": "`Tenant-1`"}


@pytest.mark.parametrize("dialect", sorted(URLS))
def test_every_statement_names_the_schema_it_is_for(dialect):
    engine = create_engine(URLS[dialect])
    keys = ["target_app", "version", "name", "checksum", "updated_at"]
    for schema, prefix in (("tenant_7", "tenant_7."), ("Tenant-1", QUOTED[dialect] + ".")):
        update = Compiled.write("set_version", engine.dialect, keys, schema).sql
        created = Compiled.create_tables(engine.dialect, schema)
        assert update.startswith(f"UPDATE {prefix}_schema_versions SET ")
        assert [sql.split("(")[0].strip() for sql in created] == [
            f"CREATE TABLE {prefix}_schema_versions", f"CREATE TABLE {prefix}_schema_history",
        ]
        assert PLACEHOLDER not in update + "".join(created)
    unqualified = Compiled.write("set_version", engine.dialect, keys, None).sql
    assert unqualified.startswith("UPDATE _schema_versions SET ")


def test_a_version_row_clears_the_dirty_mark_with_constants():
    engine = create_engine(URLS["postgresql"])
    prepared = Compiled.write("set_version", engine.dialect, ["target_app", "version", "name", "checksum", "updated_at"], "t")
    assert "dirty=false" in prepared.sql and "dirty_session=NULL" in prepared.sql
    assert sorted(prepared.names) == ["checksum", "name", "target_app", "updated_at", "version"]
