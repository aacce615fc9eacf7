"""Database access: engines, session factories, models and migrations."""

from libs.common.db.engine import is_sqlite, make_engine, make_sessionmaker

__all__ = ["is_sqlite", "make_engine", "make_sessionmaker"]
