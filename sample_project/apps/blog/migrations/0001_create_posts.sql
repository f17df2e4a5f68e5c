-- modmig: depends users:0001
CREATE TABLE blog_post (
    id INTEGER PRIMARY KEY,
    author_id INTEGER NOT NULL REFERENCES users_user(id),
    title VARCHAR(200) NOT NULL,
    body TEXT,
    published_at TIMESTAMP NULL
);
-- modmig: down
DROP TABLE blog_post;
