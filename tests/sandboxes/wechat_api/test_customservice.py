"""The WeChat API sandbox: Customer-service agents."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_online_kf_list(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(
        "/cgi-bin/customservice/getonlinekflist", params={"access_token": token}
    )

    assert response.json()["kf_online_list"][0]["kf_account"].startswith("agent1@")
