"""Data migration: every installation starts with an administrator account."""

transaction = True

ADMIN_EMAIL = "admin@example.com"


def upgrade(ctx):
    ctx.execute(
        "INSERT INTO users_user (email, display_name) VALUES (:email, :name)",
        {"email": ADMIN_EMAIL, "name": "Administrator"},
    )


def downgrade(ctx):
    ctx.execute("DELETE FROM users_user WHERE email = :email", {"email": ADMIN_EMAIL})
