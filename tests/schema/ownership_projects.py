"""Projects for the ownership tests, and what a real database holds after migrating them.

``CROSS_APP`` is four apps that step on each other's schema the ways the linter cares about::

    users:0001    creates users_user
    audit:0001    (Python) creates audit_log and a trigger on users_user that writes it
    billing:0001  creates billing_invoice with a foreign key to users_user, adds a column to
                  users_user and fills it, indexes billing_invoice
    reports:0001  a view over users_user and billing_invoice
    billing:0002  renames billing_invoice to billing_bill (the view and the key follow it)
    users:0002    drops the column billing added to users_user
"""

from __future__ import annotations

from sqlalchemy import inspect

AUDIT_LOG = '''"""An audit log of user updates, written by a trigger on users_user (the body differs per database)."""

dependencies = ["users:0001"]

TRIGGER = {
    "sqlite": ["CREATE TRIGGER audit_user_update AFTER UPDATE ON users_user "
               "BEGIN INSERT INTO audit_log (user_id) VALUES (NEW.id); END"],
    "mysql": ["CREATE TRIGGER audit_user_update AFTER UPDATE ON users_user FOR EACH ROW "
              "BEGIN INSERT INTO audit_log (user_id) VALUES (NEW.id); END"],
    "postgresql": [
        "CREATE FUNCTION audit_user_update() RETURNS trigger AS $$ BEGIN "
        "INSERT INTO audit_log (user_id) VALUES (NEW.id); RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER audit_user_update AFTER UPDATE ON users_user FOR EACH ROW EXECUTE FUNCTION audit_user_update()",
    ],
}


def upgrade(ctx):
    ctx.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY, user_id INTEGER)")
    for statement in TRIGGER[ctx.dialect]:
        ctx.execute(statement)
'''

CROSS_APP = {
    "users": {
        "0001_create_users.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL);\n",
        "0002_drop_plan.sql": "-- modmig: depends billing:0001\nALTER TABLE users_user DROP COLUMN billing_plan;\n",
    },
    "audit": {"0001_audit_log.py": AUDIT_LOG},
    "billing": {
        "0001_invoices.sql": (
            "-- modmig: depends users:0001\n"
            "CREATE TABLE billing_invoice (\n"
            "    id INTEGER PRIMARY KEY,\n"
            "    user_id INTEGER NOT NULL,\n"
            "    total INTEGER,\n"
            "    CONSTRAINT billing_invoice_user FOREIGN KEY (user_id) REFERENCES users_user (id)\n"
            ");\n"
            "ALTER TABLE users_user ADD COLUMN billing_plan VARCHAR(20);\n"
            "UPDATE users_user SET billing_plan = 'free';\n"
            "CREATE INDEX billing_invoice_total ON billing_invoice (total);\n"
        ),
        "0002_rename.sql": "-- modmig: depends reports:0001\nALTER TABLE billing_invoice RENAME TO billing_bill;\n",
    },
    "reports": {
        "0001_user_invoices.sql": (
            "-- modmig: depends users:0001, billing:0001\n"
            "CREATE VIEW reports_user_invoices AS\n"
            "SELECT u.email, i.total FROM users_user u JOIN billing_invoice i ON i.user_id = u.id;\n"
        ),
    },
}


def database_objects(project) -> dict[str, set[str]]:
    """What the project's database holds, by kind, named as the ownership map names objects."""
    from modmig.schema.compare import _triggers

    found: dict[str, set[str]] = {"table": set(), "column": set(), "view": set(), "index": set(), "foreign key": set(), "trigger": set()}
    with project.connect() as connection:
        inspector = inspect(connection)
        for table in inspector.get_table_names():
            if table.startswith("_schema_"):
                continue
            found["table"].add(table)
            found["column"] |= {f"{table}.{column['name']}" for column in inspector.get_columns(table)}
            found["index"] |= {f"{table}.{index['name']}" for index in inspector.get_indexes(table)}
            found["index"] |= {f"{table}.{unique['name']}" for unique in inspector.get_unique_constraints(table)}
            found["foreign key"] |= {f"{table}.{fk['name']}" for fk in inspector.get_foreign_keys(table) if fk.get("name")}
        found["view"] = set(inspector.get_view_names())
        found["trigger"] = set(_triggers(connection))
    return found


def map_objects(owners) -> dict[str, set[str]]:
    """The ownership map's objects, by the same kinds as ``database_objects``."""
    found: dict[str, set[str]] = {"table": set(), "column": set(), "view": set(), "index": set(), "foreign key": set(), "trigger": set()}
    for obj in owners.objects():
        if obj.kind in ("table", "column", "view", "index"):
            found[obj.kind].add(obj.name)
        elif obj.kind == "constraint" and obj.detail == "foreign key":
            found["foreign key"].add(obj.name)
        elif obj.kind == "trigger":
            found["trigger"].add(obj.name.split(".", 1)[1])
    return found
