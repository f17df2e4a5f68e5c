-- modmig: depends users:0001
CREATE TABLE blog_post (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users_user(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    published_at TEXT
);
-- modmig: down
DROP TABLE blog_post;
