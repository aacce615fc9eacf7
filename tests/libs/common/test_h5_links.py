"""Signed page links: forgery, expiry, key rotation, and single use shared through the database."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db import make_engine, make_sessionmaker
from libs.common.db.migrate import upgrade_async
from libs.common.h5_links import (
    H5LinkSigner,
    LinkClaims,
    LinkExpired,
    LinkForged,
    LinkUsed,
    is_used,
    record_use,
)
from wxhub.scratch_db import fresh_postgres


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_issued_link_verifies_with_its_claims() -> None:
    signer = H5LinkSigner("key-one", ttl_s=600)
    url = signer.url("https://wx.example.com/", "demo", "oUser1", "bind")

    assert url.startswith("https://wx.example.com/h5/bind?t=")
    claims = signer.verify(url.split("t=", 1)[1], "bind")
    assert (claims.account, claims.openid, claims.page) == ("demo", "oUser1", "bind")
    assert len(claims.nonce) == 32


def test_each_link_has_its_own_nonce() -> None:
    signer = H5LinkSigner("key-one")
    first = signer.verify(signer.issue("demo", "oUser1", "bind"), "bind")
    second = signer.verify(signer.issue("demo", "oUser1", "bind"), "bind")
    assert first.nonce != second.nonce


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "e30" + token[3:],  # another payload under the same signature
        lambda token: token.replace(".", ""),
        lambda token: "",
        lambda token: "x" * 600 + "." + "y",
        lambda token: "!!!.???",
    ],
    ids=["signature", "payload", "no-dot", "empty", "oversized", "garbage"],
)
def test_tampered_links_are_forged(tamper: Any) -> None:
    signer = H5LinkSigner("key-one")
    token = signer.issue("demo", "oUser1", "bind")
    with pytest.raises(LinkForged):
        signer.verify(tamper(token), "bind")


def test_link_signed_with_another_key_or_for_another_page_is_forged() -> None:
    token = H5LinkSigner("someone-elses-key").issue("demo", "oUser1", "bind")
    with pytest.raises(LinkForged):
        H5LinkSigner("key-one").verify(token, "bind")
    own = H5LinkSigner("key-one").issue("demo", "oUser1", "apply")
    with pytest.raises(LinkForged):
        H5LinkSigner("key-one").verify(own, "bind")


def test_link_expires_after_its_ttl() -> None:
    clock = Clock()
    signer = H5LinkSigner("key-one", ttl_s=600, clock=clock)
    token = signer.issue("demo", "oUser1", "bind")
    clock.now += 599
    assert signer.verify(token, "bind").openid == "oUser1"
    clock.now += 1
    with pytest.raises(LinkExpired):
        signer.verify(token, "bind")


def test_links_signed_before_a_key_rotation_still_verify() -> None:
    token = H5LinkSigner("old-key").issue("demo", "oUser1", "bind")
    rotated = H5LinkSigner("new-key", ["old-key"])
    assert rotated.verify(token, "bind").openid == "oUser1"


async def _use(sessions: async_sessionmaker[AsyncSession], claims: LinkClaims) -> bool:
    try:
        async with sessions.begin() as session:
            await record_use(session, claims)
    except LinkUsed:
        return False
    return True


async def test_single_use_on_sqlite(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/links.db"
    await upgrade_async(url)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    signer = H5LinkSigner("key-one")
    claims = signer.verify(signer.issue("demo", "oUser1", "bind"), "bind")
    try:
        async with sessions() as session:
            assert not await is_used(session, claims)
        assert await _use(sessions, claims)
        assert not await _use(sessions, claims)
        async with sessions() as session:
            assert await is_used(session, claims)
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_two_replicas_racing_on_one_link_use_it_once(postgres_url: str) -> None:
    url = await fresh_postgres(postgres_url, "h5_links")
    await upgrade_async(url)
    engines = [make_engine(url) for _ in range(2)]
    signer = H5LinkSigner("key-one")
    claims = signer.verify(signer.issue("demo", "oUser1", "bind"), "bind")
    try:
        results = await asyncio.gather(
            *(_use(make_sessionmaker(engine), claims) for engine in engines for _ in range(4))
        )
    finally:
        for engine in engines:
            await engine.dispose()
    assert sorted(results) == [False] * 7 + [True]
