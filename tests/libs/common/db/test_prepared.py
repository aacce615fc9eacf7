"""A prepared statement is built once per database dialect and bound afresh on each execution."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, select
from sqlalchemy.sql import Executable

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.prepared import Prepared

_METADATA = MetaData()
_ITEMS = Table(
    "prepared_statement_probe",
    _METADATA,
    Column("id", Integer, primary_key=True),
    Column("name", String),
)


async def test_built_once_per_dialect_and_bound_per_execution(
    tmp_path: Path, postgres_url: str
) -> None:
    built: list[str] = []

    def build(dialect: ModuleType) -> Executable:
        built.append(dialect.__name__.rsplit(".", 1)[-1])
        statement: Executable = (
            dialect.insert(_ITEMS)
            .values(id=bindparam("id"), name=bindparam("name"))
            .on_conflict_do_nothing(index_elements=[_ITEMS.c.id])
        )
        return statement

    upsert = Prepared(build)
    for url in (f"sqlite+aiosqlite:///{tmp_path / 'p.db'}", postgres_url):
        engine = make_engine(url)
        try:
            async with engine.begin() as connection:
                await connection.run_sync(_METADATA.drop_all)
                await connection.run_sync(_METADATA.create_all)
            sessions = make_sessionmaker(engine)
            async with sessions.begin() as session:
                for id_, name in ((1, "a"), (2, "b"), (1, "taken")):
                    await session.execute(upsert.for_session(session), {"id": id_, "name": name})
            async with sessions() as session:
                rows = (await session.execute(select(_ITEMS).order_by(_ITEMS.c.id))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "b")]
            async with engine.begin() as connection:
                await connection.run_sync(_METADATA.drop_all)
        finally:
            await engine.dispose()
    assert built == ["sqlite", "postgresql"]
