ALTER TABLE blog_post ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX blog_post_slug ON blog_post (slug);
-- modmig: down
DROP INDEX blog_post_slug;
ALTER TABLE blog_post DROP COLUMN slug;
