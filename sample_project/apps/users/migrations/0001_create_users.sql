-- The user accounts every other app refers to.
-- Portable across SQLite, PostgreSQL and MySQL: VARCHAR for indexed text (MySQL cannot index
-- TEXT without a prefix length), TIMESTAMP with CURRENT_TIMESTAMP, and ids given by the inserter
-- (each database spells auto-increment differently).
CREATE TABLE users_user (
    id INTEGER PRIMARY KEY,
    email VARCHAR(254) NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
-- modmig: down
DROP TABLE users_user;
