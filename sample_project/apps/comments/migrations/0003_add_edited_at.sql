-- modmig: depends blog:0004
-- Comments link to posts by slug in notifications, so they need blog:0004 first.
ALTER TABLE comments_comment ADD COLUMN edited_at TIMESTAMP NULL;
-- modmig: down
ALTER TABLE comments_comment DROP COLUMN edited_at;
