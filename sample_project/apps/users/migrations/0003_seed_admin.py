"""Data migration: every installation starts with an administrator account."""

transaction = True

ADMIN_EMAIL = "admin@example.com"


def upgrade(ctx):
    ctx.execute(
        "INSERT INTO users_user (id, email, display_name) "
        "SELECT COALESCE(MAX(id), 0) + 1, :email, :name FROM users_user",
        {"email": ADMIN_EMAIL, "name": "Administrator"},
    )


def downgrade(ctx):
    ctx.execute("DELETE FROM users_user WHERE email = :email", {"email": ADMIN_EMAIL})
