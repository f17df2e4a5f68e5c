"""The blog app's tables as SQLAlchemy models (``blog_post_listing`` is a view: not a model).

The foreign key names ``users_user.id``, a table of the users app: ``modmig makemigrations``
writes ``-- modmig: depends users:0001`` for it, the migration that created that table.
"""

from datetime import datetime

from sqlalchemy import TIMESTAMP, ForeignKey, Index, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Post(Base):
    __tablename__ = "blog_post"
    __table_args__ = (Index("blog_post_published", "published_at"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    author_id: Mapped[int] = mapped_column(ForeignKey("users_user.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(TIMESTAMP)
    slug: Mapped[str | None] = mapped_column(String(200))
