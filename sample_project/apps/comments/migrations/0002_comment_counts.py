"""Keep a per-post comment count up to date with a trigger.

Each database writes trigger bodies its own way (note the ';' inside each body: modmig sends
every statement whole), so this migration branches on ``ctx.dialect``.
"""

STATS = (
    "CREATE TABLE comments_post_stats ("
    " post_id INTEGER PRIMARY KEY,"
    " comment_count INTEGER NOT NULL DEFAULT 0)"
)

TRIGGER = {
    "sqlite": [
        """CREATE TRIGGER comments_count_insert AFTER INSERT ON comments_comment
        BEGIN
            INSERT OR IGNORE INTO comments_post_stats (post_id, comment_count) VALUES (NEW.post_id, 0);
            UPDATE comments_post_stats SET comment_count = comment_count + 1 WHERE post_id = NEW.post_id;
        END""",
    ],
    "mysql": [
        """CREATE TRIGGER comments_count_insert AFTER INSERT ON comments_comment FOR EACH ROW
        BEGIN
            INSERT IGNORE INTO comments_post_stats (post_id, comment_count) VALUES (NEW.post_id, 0);
            UPDATE comments_post_stats SET comment_count = comment_count + 1 WHERE post_id = NEW.post_id;
        END""",
    ],
    "postgresql": [
        """CREATE FUNCTION comments_count_insert() RETURNS trigger AS $$
        BEGIN
            INSERT INTO comments_post_stats (post_id, comment_count) VALUES (NEW.post_id, 0)
                ON CONFLICT (post_id) DO NOTHING;
            UPDATE comments_post_stats SET comment_count = comment_count + 1 WHERE post_id = NEW.post_id;
            RETURN NEW;
        END
        $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER comments_count_insert AFTER INSERT ON comments_comment
        FOR EACH ROW EXECUTE FUNCTION comments_count_insert()""",
    ],
}

DROP = {
    "sqlite": ["DROP TRIGGER comments_count_insert"],
    "mysql": ["DROP TRIGGER comments_count_insert"],
    "postgresql": [
        "DROP TRIGGER comments_count_insert ON comments_comment",
        "DROP FUNCTION comments_count_insert()",
    ],
}


def upgrade(ctx):
    ctx.execute(STATS)
    for statement in TRIGGER[ctx.dialect]:
        ctx.execute(statement)


def downgrade(ctx):
    for statement in DROP[ctx.dialect]:
        ctx.execute(statement)
    ctx.execute("DROP TABLE comments_post_stats")
