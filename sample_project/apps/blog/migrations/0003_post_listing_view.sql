-- modmig: depends users:0002
-- The front page reads this view; it shows the author's display name (users:0002).
CREATE VIEW blog_post_listing AS
SELECT p.id, p.title, p.published_at, u.display_name AS author
FROM blog_post AS p JOIN users_user AS u ON u.id = p.author_id;
-- modmig: down
DROP VIEW blog_post_listing;
