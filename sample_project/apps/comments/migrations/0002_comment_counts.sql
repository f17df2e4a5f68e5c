-- Keep a per-post comment count up to date with a trigger (note the ';' inside its body).
CREATE TABLE comments_post_stats (
    post_id INTEGER PRIMARY KEY,
    comment_count INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER comments_count_insert AFTER INSERT ON comments_comment
BEGIN
    INSERT OR IGNORE INTO comments_post_stats (post_id, comment_count) VALUES (NEW.post_id, 0);
    UPDATE comments_post_stats SET comment_count = comment_count + 1 WHERE post_id = NEW.post_id;
END;
-- modmig: down
DROP TRIGGER comments_count_insert;
DROP TABLE comments_post_stats;
