"""The comments app's tables as SQLAlchemy models (the trigger keeping the counts is not a model)."""

from datetime import datetime

from sqlalchemy import TIMESTAMP, ForeignKey, Text, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Comment(Base):
    __tablename__ = "comments_comment"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    post_id: Mapped[int] = mapped_column(ForeignKey("blog_post.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users_user.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(TIMESTAMP, server_default=func.current_timestamp())
    edited_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)


class PostStats(Base):
    """One row per post with comments, kept up to date by the ``comments_count_insert`` trigger."""

    __tablename__ = "comments_post_stats"

    post_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    comment_count: Mapped[int] = mapped_column(server_default="0")
