-- A name to show next to posts and comments (blog:0003 needs it).
ALTER TABLE users_user ADD COLUMN display_name VARCHAR(100) NOT NULL DEFAULT '';
-- modmig: down
ALTER TABLE users_user DROP COLUMN display_name;
