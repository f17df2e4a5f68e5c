"""The front page lists posts newest first: index them by publication date.

A Python migration because dropping an index is spelled differently: MySQL needs the table
(``DROP INDEX name ON table``), SQLite and PostgreSQL refuse it.
"""

INDEX = "blog_post_published"


def upgrade(ctx):
    ctx.execute(f"CREATE INDEX {INDEX} ON blog_post (published_at)")


def downgrade(ctx):
    on_table = " ON blog_post" if ctx.dialect == "mysql" else ""
    ctx.execute(f"DROP INDEX {INDEX}{on_table}")
