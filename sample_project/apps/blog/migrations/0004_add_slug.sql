-- Posts get a URL slug (comments:0003 links to posts by slug).
ALTER TABLE blog_post ADD COLUMN slug VARCHAR(200);
-- modmig: down
ALTER TABLE blog_post DROP COLUMN slug;
