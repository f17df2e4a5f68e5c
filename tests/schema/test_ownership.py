"""The ownership map on every database: who created each object, who changed it, what each migration did.

Each project is also migrated for real on the test's database, and the map must name exactly
what the database then holds (tables, columns, views, triggers, foreign-key names; its indexes
must exist there): the map is read from the files, the database is the judge.
"""

from __future__ import annotations

import pytest

from modmig.api import Project
from modmig.schema.ownership import build_ownership

from .ownership_projects import CROSS_APP, database_objects, map_objects


def labels(refs) -> list[str]:
    return [ref.label for ref in refs]


def assert_map_matches_the_database(project: Project, owners) -> None:
    project.upgrade()
    held, mapped = database_objects(project), map_objects(owners)
    for kind in ("table", "column", "view", "trigger"):
        assert mapped[kind] == held[kind], kind
    assert mapped["index"] <= held["index"]
    if project.dialect() != "sqlite":  # SQLite's foreign keys have no names
        assert mapped["foreign key"] == held["foreign key"]


def test_the_sample_project_map_names_each_apps_objects(sample_project, database_url):
    with Project.load(sample_project, database=database_url) as project:
        owners = project.owners().map
        assert owners.dialect == project.dialect()
        assert {obj.app for obj in owners.objects()} == {"users", "blog", "comments"}
        assert owners.owner_of("table", "users_user") == "users"
        assert owners.owner_of("column", "users_user.display_name") == "users"
        assert owners.owner_of("column", "blog_post.slug") == "blog"
        assert owners.owner_of("view", "blog_post_listing") == "blog"
        assert owners.get("column", "blog_post.slug").created_by.label == "blog:0004_add_slug"

        users = owners.get("table", "users_user")
        assert labels(users.changed_by) == ["users:0002_add_display_name"]
        assert labels(users.written_by) == ["users:0003_seed_admin"]  # the Python data migration
        # Python migrations, replayed: an index, a table, a trigger
        assert owners.get("index", "blog_post_published").created_by.label == "blog:0002_index_posts_by_date"
        assert owners.owner_of("table", "comments_post_stats") == "comments"
        trigger = owners.get("trigger", "comments_count_insert")
        assert (trigger.app, trigger.table) == ("comments", "comments_comment")
        assert labels(owners.get("table", "comments_comment").changed_by) == ["comments:0002_comment_counts", "comments:0003_add_edited_at"]
        assert owners.incomplete == [] and owners.replayed_on
        assert owners.migration("users:0003_seed_admin").analysis == "replayed"

        referred = {(t.name, t.owner) for t in owners.migration("comments:0001_create_comments").referred}
        assert {("users_user", "users"), ("blog_post", "blog")} <= referred
        view = owners.get("view", "blog_post_listing")
        assert set(view.references) == {("table", "blog_post"), ("table", "users_user")}
        assert view in owners.referrers("table", "users_user")
        assert_map_matches_the_database(project, owners)


def test_cross_app_alterations_renames_drops_views_and_triggers_are_attributed(make_project):
    project = make_project(CROSS_APP)
    owners = project.owners().map

    users = owners.get("table", "users_user")
    assert users.app == "users"
    assert labels(users.changed_by) == ["audit:0001_audit_log", "billing:0001_invoices", "users:0002_drop_plan"]
    assert labels(users.written_by) == ["billing:0001_invoices"]
    invoices = owners.migration("billing:0001_invoices")
    assert ("users_user", "users") in {(t.name, t.owner) for t in invoices.altered}
    assert [(t.name, t.owner, t.line) for t in invoices.wrote] == [("users_user", "users", 9)]
    assert ("users_user", "users") in {(t.name, t.owner) for t in invoices.referred}  # its foreign key

    # a column one app added to another's table, dropped by the owner of the table
    assert owners.owner_of("column", "users_user.billing_plan") is None
    [plan] = owners.history("column", "users_user.billing_plan")
    assert (plan.app, plan.dropped_by.label, plan.exists) == ("billing", "users:0002_drop_plan", False)
    [dropped] = owners.migration("users:0002_drop_plan").dropped
    assert (dropped.name, dropped.owner, dropped.line) == ("users_user.billing_plan", "billing", 2)

    # the rename: same object, new name; its columns, key, index and the view follow it
    bills = owners.get("table", "billing_bill")
    assert (bills.app, bills.renamed_from, labels(bills.changed_by)) == ("billing", ["billing_invoice"], ["billing:0002_rename"])
    assert owners.get("table", "billing_invoice") is None
    assert owners.owner_of("index", "billing_invoice_total") == "billing"
    key = owners.get("constraint", "billing_bill.billing_invoice_user")
    assert (key.app, key.references) == ("billing", [("table", "users_user"), ("column", "users_user.id")])
    view = owners.get("view", "reports_user_invoices")
    assert (view.app, view.references) == ("reports", [("table", "users_user"), ("table", "billing_bill")])
    assert {obj.name for obj in owners.referrers("table", "users_user")} == {"billing_bill.billing_invoice_user", "reports_user_invoices"}
    [renamed] = owners.migration("billing:0002_rename").renamed
    assert (renamed.name, renamed.new_name, renamed.referred_by) == ("billing_invoice", "billing_bill", (("view", "reports_user_invoices", "reports"),))

    # a Python migration creating a table and a trigger on another app's table
    audit_log = owners.get("table", "audit_log")
    assert (audit_log.app, audit_log.created_by.label) == ("audit", "audit:0001_audit_log")
    trigger = owners.get("trigger", "audit_user_update")
    assert (trigger.app, trigger.table) == ("audit", "users_user")
    body = trigger.references if project.dialect() != "postgresql" else owners.get("function", "audit_user_update").references
    assert ("table", "audit_log") in body
    assert owners.migration("audit:0001_audit_log").analysis == "replayed"
    assert_map_matches_the_database(project, owners)


def test_what_a_python_migration_that_cannot_be_replayed_made_is_unknown_not_misattributed(make_project):
    broken = "def upgrade(ctx):\n    raise RuntimeError('needs the production secrets')\n"
    project = make_project({
        "legacy": {"0001_import.py": broken},
        "shop": {"0001_orders.sql": "-- modmig: depends legacy:0001\nALTER TABLE legacy_customers ADD COLUMN tier INTEGER;\n"},
    })
    owners = project.owners().map
    record = owners.migration("legacy:0001_import")
    assert record.analysis == "opaque" and "needs the production secrets" in record.note
    customers = owners.get("table", "legacy_customers")
    assert (customers.app, customers.origin, labels(customers.possible_creators)) == (None, "unknown", ["legacy:0001_import"])
    assert owners.owner_of("table", "legacy_customers") is None
    assert owners.owner_of("column", "legacy_customers.tier") == "shop"  # what the parsed file did is still known
    assert [r.migration.label for r in owners.incomplete] == ["legacy:0001_import"]


def test_a_table_no_migration_could_have_made_is_external(tmp_path, make_project):
    project = make_project({"shop": {"0001_orders.sql": "CREATE VIEW shop_orders AS SELECT * FROM erp_orders;\nSELECT 1;\n"}})
    owners = build_ownership(project.graph, project.dialect(), cache=None)
    erp = owners.get("table", "erp_orders")
    assert (erp.app, erp.origin, erp.possible_creators) == (None, "external", [])
    assert owners.owner_of("view", "shop_orders") == "shop"


def test_a_statement_nobody_can_read_is_listed_and_makes_later_strangers_unknown(tmp_path, make_project):
    project = make_project({"shop": {
        "0001_magic.sql": "CREATE TABLE shop_order (id INTEGER PRIMARY KEY);\nFROBNICATE shop_order INTO shop_archive;\n",
        "0002_archive.sql": "ALTER TABLE shop_archive ADD COLUMN note VARCHAR(10);\n",
    }})
    owners = build_ownership(project.graph, project.dialect(), cache=None)
    [statement] = owners.migration("shop:0001_magic").unknown_statements
    assert (statement.line, statement.text) == (2, "FROBNICATE shop_order INTO shop_archive")
    assert ("shop_order", "shop") in {(t.name, t.owner) for t in owners.migration("shop:0001_magic").touched("mentioned")}
    archive = owners.get("table", "shop_archive")
    assert (archive.origin, labels(archive.possible_creators)) == ("unknown", ["shop:0001_magic"])


def test_the_map_is_the_same_built_twice_from_the_cache_or_from_a_copy_written_in_another_order(tmp_path, database_url):
    from ..conftest import ProjectBuilder

    first = ProjectBuilder(tmp_path, database_url)
    second = ProjectBuilder(tmp_path, database_url)
    try:
        project = first(CROSS_APP, folder="one")
        reversed_apps = {app: dict(reversed(list(files.items()))) for app, files in reversed(list(CROSS_APP.items()))}
        copy = second(reversed_apps, folder="two")
        built = project.owners().as_dict()
        assert project.owners().as_dict() | {"cache": None} == built | {"cache": None}  # from the cache
        assert project.owners(cache=False).as_dict() | {"cache": None} == built | {"cache": None}
        assert copy.owners().as_dict() | {"cache": None} == built | {"cache": None}
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("app", ["billing", "audit"])
def test_asking_about_one_app_lists_what_it_owns_and_its_migrations(make_project, app):
    report = make_project(CROSS_APP).owners(app)
    assert report.objects and {obj.app for obj in report.objects} == {app}
    assert {record.migration.app for record in report.migrations} == {app}
    assert report.as_dict()["app"] == app


def test_a_drop_says_which_other_apps_objects_still_referred_to_what_it_dropped(make_project):
    project = make_project({
        "users": {
            "0001_users.sql": "CREATE TABLE users_user (id INTEGER PRIMARY KEY);\n",
            "0002_drop.sql": "-- modmig: depends billing:0001, reports:0001\nDROP TABLE users_user;\n",
        },
        "billing": {"0001_bills.sql": "-- modmig: depends users:0001\nCREATE TABLE billing_bill (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users_user (id));\n"},
        "reports": {"0001_view.sql": "-- modmig: depends users:0001\nCREATE VIEW reports_users AS SELECT id FROM users_user;\n"},
    })
    owners = build_ownership(project.graph, project.dialect(), cache=None)
    dropped = owners.migration("users:0002_drop").touched("dropped", implied=False)
    assert [(t.name, t.owner) for t in dropped] == [("users_user", "users")]
    [key] = [obj.name for obj in owners.objects("billing") if obj.detail == "foreign key"]  # named as the database names it
    assert dropped[0].referred_by == (("constraint", key, "billing"), ("view", "reports_users", "reports"))
    parts = {t.name for t in owners.migration("users:0002_drop").dropped if t.implied}  # its column and primary key
    assert "users_user.id" in parts and {obj.kind for obj in owners.history("table", "users_user")} == {"table"}
    assert all(not obj.exists for obj in owners.objects(include_dropped=True) if obj.table == "users_user")


def test_catalog_queries_a_python_migration_makes_are_not_objects_of_the_project(make_project):
    inspects = (
        "from sqlalchemy import inspect\n\n\ndef upgrade(ctx):\n"
        "    if 'shop_order' in inspect(ctx.connection).get_table_names():\n"
        "        ctx.execute('ALTER TABLE shop_order ADD COLUMN note VARCHAR(10)')\n"
    )
    project = make_project({"shop": {"0001_orders.sql": "CREATE TABLE shop_order (id INTEGER PRIMARY KEY);\n", "0002_note.py": inspects}})
    owners = project.owners(cache=False).map
    assert owners.owner_of("column", "shop_order.note") == "shop"
    assert {obj.app for obj in owners.objects()} == {"shop"}  # no catalog table without an owner


def test_postgresql_enum_types_and_sequences_have_owners_as_the_database_has_them(tmp_path, postgres_url):
    from sqlalchemy import inspect

    from ..conftest import ProjectBuilder

    builder = ProjectBuilder(tmp_path, postgres_url)
    try:
        project = builder({
            "moods": {
                "0001_mood.sql": "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE SEQUENCE moods_ticket START 100;\n"
                "CREATE TABLE moods_entry (id SERIAL PRIMARY KEY, feeling mood NOT NULL, n BIGINT GENERATED ALWAYS AS IDENTITY);\n",
            },
            "cheer": {"0001_happy.sql": "-- modmig: depends moods:0001\nALTER TYPE mood ADD VALUE 'happy';\nALTER SEQUENCE moods_ticket RESTART WITH 1;\n"},
        })
        owners = project.owners().map
        mood = owners.get("type", "mood")
        assert (mood.app, labels(mood.changed_by)) == ("moods", ["cheer:0001_happy"])
        assert owners.get("column", "moods_entry.feeling").references == [("type", "mood")]
        assert [obj.name for obj in owners.referrers("type", "mood")] == ["moods_entry.feeling"]
        assert labels(owners.get("sequence", "moods_ticket").changed_by) == ["cheer:0001_happy"]
        project.upgrade()
        with project.connect() as connection:
            inspector = inspect(connection)
            sequences = {name for name in inspector.get_sequence_names() if not name.startswith("_schema_")}  # modmig's own
            enums = {enum["name"] for enum in inspector.get_enums()}
        assert {obj.name for obj in owners.objects() if obj.kind == "sequence"} == sequences
        assert {obj.name for obj in owners.objects() if obj.kind == "type"} == enums
        assert {obj.app for obj in owners.objects() if obj.kind in ("sequence", "type")} == {"moods"}
    finally:
        builder.close()
