-- The user accounts every other app refers to.
CREATE TABLE users_user (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- modmig: down
DROP TABLE users_user;
