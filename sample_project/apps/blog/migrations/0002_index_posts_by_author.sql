-- Author pages list a user's posts, newest first.
CREATE INDEX blog_post_author_published ON blog_post (author_id, published_at);
-- modmig: down
DROP INDEX blog_post_author_published;
