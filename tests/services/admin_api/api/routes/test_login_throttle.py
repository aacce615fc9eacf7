"""Login throttling per client address, on top of the per-user lock-out."""

from __future__ import annotations

from ipaddress import ip_network
from types import SimpleNamespace

from sqlalchemy import select
from starlette.requests import Request

from libs.common.db.models import AuditEntry
from services.admin_api.api.deps import client_ip
from services.admin_api.settings import AdminSettings
from tests.services.admin_api.support import PASSWORDS, AdminStack


async def _login(
    stack: AdminStack, username: str, password: str, ip: str
) -> tuple[int, dict[str, str], dict[str, object]]:
    response = await stack.client.post(
        "/api/v1/auth/login",
        data={"username": username, "password": password},
        headers={"X-Forwarded-For": ip},
    )
    return response.status_code, dict(response.headers), response.json()


async def test_failures_across_usernames_throttle_the_address_only(stack: AdminStack) -> None:
    stack.state.settings.login_ip_max_failures = 3
    stack.state.settings.login_ip_window_s = 60
    # Guessing several usernames: no single user reaches the lock-out, the address does.
    for name in ("admin", "approver", "nobody"):
        status, _, _ = await _login(stack, name, "wrong-guess", "203.0.113.7")
        assert status == 401
    status, headers, body = await _login(stack, "admin", PASSWORDS["admin"], "203.0.113.7")
    assert status == 429
    assert body["code"] == "too_many_requests"
    assert 1 <= int(headers["retry-after"]) <= 60
    # Another address is unaffected, and the user is not locked.
    status, _, _ = await _login(stack, "admin", PASSWORDS["admin"], "198.51.100.2")
    assert status == 200
    async with stack.sessions() as session:
        throttled = list(
            await session.scalars(
                select(AuditEntry.ip).where(AuditEntry.action == "auth.login_throttled")
            )
        )
    assert throttled == ["203.0.113.7"]


async def test_the_window_slides(stack: AdminStack) -> None:
    stack.state.settings.login_ip_max_failures = 2
    for _ in range(2):
        await _login(stack, "nobody", "x", "203.0.113.8")
    assert (await _login(stack, "admin", PASSWORDS["admin"], "203.0.113.8"))[0] == 429
    # Failures older than the window no longer count.
    stack.state.settings.login_ip_window_s = 0
    assert (await _login(stack, "admin", PASSWORDS["admin"], "203.0.113.8"))[0] == 200


def _address_seen(stack: AdminStack, peer: str, forwarded: str | None) -> str:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    app = SimpleNamespace(state=SimpleNamespace(admin=stack.state))
    scope = {"type": "http", "headers": headers, "client": (peer, 40000), "app": app}
    return client_ip(Request(scope))


async def test_one_username_guessed_from_many_addresses_is_throttled(stack: AdminStack) -> None:
    stack.state.settings.login_user_max_failures = 3
    # A name that does not exist is throttled like one that does (no user enumeration), and
    # rotating addresses does not help.
    for i in range(3):
        assert (await _login(stack, "ghost", "guess", f"203.0.113.{20 + i}"))[0] == 401
    status, headers, body = await _login(stack, "ghost", "guess", "203.0.113.30")
    assert status == 429
    assert body["code"] == "too_many_requests"
    assert int(headers["retry-after"]) >= 1
    # Other users, from those same addresses, still log in.
    assert (await _login(stack, "admin", PASSWORDS["admin"], "203.0.113.20"))[0] == 200
    async with stack.sessions() as session:
        throttled = list(
            await session.scalars(
                select(AuditEntry.username).where(AuditEntry.action == "auth.login_throttled")
            )
        )
    assert throttled == ["ghost"]


def test_no_proxy_is_trusted_unless_configured() -> None:
    assert AdminSettings().trusted_proxies == ()


async def test_forwarded_for_counts_only_from_a_trusted_proxy(stack: AdminStack) -> None:
    stack.state.settings.trusted_proxies = (ip_network("10.0.0.0/8"),)
    # A caller on the internet cannot choose the address its failures are counted against.
    assert _address_seen(stack, "203.0.113.50", "10.9.9.9") == "203.0.113.50"
    # Behind the load balancer the client is the right-most hop the proxies did not add; hops
    # further left were written by the client itself.
    assert _address_seen(stack, "10.0.0.5", "1.2.3.4, 198.51.100.7") == "198.51.100.7"
    assert _address_seen(stack, "10.0.0.5", "198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert _address_seen(stack, "10.0.0.5", None) == "10.0.0.5"
    stack.state.settings.trusted_proxies = (ip_network("192.0.2.0/24"),)
    assert _address_seen(stack, "10.0.0.5", "198.51.100.7") == "10.0.0.5"
    assert _address_seen(stack, "192.0.2.1", "198.51.100.7") == "198.51.100.7"
    # With no trusted proxy at all (the default), the header never counts.
    stack.state.settings.trusted_proxies = ()
    assert _address_seen(stack, "127.0.0.1", "198.51.100.7") == "127.0.0.1"
