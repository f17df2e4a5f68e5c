"""The users app's tables as SQLAlchemy models.

``modmig makemigrations users`` compares them with what ``migrations/`` builds and writes the
next migration when they differ; ``modmig makemigrations --check`` fails CI when they do.
"""

from datetime import datetime

from sqlalchemy import TIMESTAMP, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users_user"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, server_default=func.current_timestamp())
    display_name: Mapped[str] = mapped_column(String(100), server_default="")
