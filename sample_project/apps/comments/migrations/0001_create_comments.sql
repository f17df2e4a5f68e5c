-- modmig: depends blog:0001, users:0001
CREATE TABLE comments_comment (
    id INTEGER PRIMARY KEY,
    post_id INTEGER NOT NULL REFERENCES blog_post(id),
    author_id INTEGER NOT NULL REFERENCES users_user(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- modmig: down
DROP TABLE comments_comment;
