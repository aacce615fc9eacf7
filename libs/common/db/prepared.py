"""Statements built once per dialect and executed with parameters.

Building a statement (``insert().values()``, ``where()``, ``on_conflict_do_update()``) and
computing its cache key costs more Python than the round trip on a message's hot path; a
statement object written with :func:`sqlalchemy.bindparam` placeholders is built once, its cache
key memoised on the object, and each execution only binds values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, Generic, TypeVar

from sqlalchemy import Column, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

S = TypeVar("S", bound=Executable)


class Prepared(Generic[S]):
    """A statement built by ``build(dialect)`` the first time a session of that dialect asks.

    ``build`` receives ``sqlalchemy.dialects.postgresql`` or ``…sqlite`` (for their ``insert``
    with ``ON CONFLICT``); the two databases the platform runs on.
    """

    def __init__(self, build: Callable[[ModuleType], S]) -> None:
        self._build = build
        self._built: dict[str, S] = {}

    def for_session(self, session: AsyncSession) -> S:
        """The statement for ``session``'s database."""
        name = session.get_bind().dialect.name
        statement = self._built.get(name)
        if statement is None:
            statement = self._built[name] = self._build(
                postgresql if name == "postgresql" else sqlite
            )
        return statement


def insert_unless_taken(
    table: Table,
    *,
    key: Column[Any],
    returning: Column[Any],
    bound: Iterable[str],
    **values: Any,
) -> Prepared[Executable]:
    """An INSERT into ``table`` that skips the row when its ``key`` is taken, in the statement
    itself (no savepoint), and returns the inserted row's ``returning`` (no row when skipped).

    Each column named in ``bound`` takes the parameter of its name; ``values`` sets the others
    (constants, or a :func:`~sqlalchemy.bindparam` that several columns share).
    """
    row = {name: bindparam(name) for name in bound} | values
    return Prepared(
        lambda dialect: (
            dialect.insert(table)
            .values(**row)
            .on_conflict_do_nothing(index_elements=[key])
            .returning(returning)
        )
    )
