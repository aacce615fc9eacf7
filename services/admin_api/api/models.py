"""Shared pieces of the HTTP models: ORM-readable base and common bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

# Database ids are 32-bit on every backend: bigger numbers are a 422, never a driver error.
MAX_ID = 2_147_483_647
IdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="对象 ID · object id")]


class ReadModel(BaseModel):
    """Base of every ``XRead`` model: built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


class WriteModel(BaseModel):
    """Base of every ``XCreate``/``XUpdate`` model: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Deleted(BaseModel):
    """Answer of a delete."""

    deleted: bool = Field(True, description="已删除 · deleted")
    id: str = Field(description="被删除对象的标识 · id of the deleted object")
