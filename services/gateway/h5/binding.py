"""Identity binding (R-EN-5): a verified link + a verified identity → a bound customer.

The ID number, card number and query password go to the core system and nowhere else: not to the
database, the bus, a log line or the page. On success the customer row of (account, openid) gets
the customer number and ``binding_state=bound`` in the same transaction that uses the link up;
then ``customer.bound`` goes to ``wx.events`` and a confirmation to the user goes out through the
dispatcher as a customer-service message. Failed checks are counted per openid in the database
(every replica sees them); enough of them in the window lock binding, which is audited and
announced as ``customer.binding_locked``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.bus import EVENTS, OUTBOUND, Bus
from libs.common.customer_numbers import sealed
from libs.common.db.models import Account, AuditEntry, BindingFailure, Customer
from libs.common.h5_links import LinkClaims, LinkUsed, purge_expired, record_use
from libs.common.observability.logging import get_logger
from libs.common.operation_limits import BIND_ATTEMPT
from libs.common.schemas.events import CustomerBindingLocked, CustomerBound, CustomerUnbound
from libs.common.schemas.outbound import OutboundRequested
from libs.common.secret_box import SecretBox
from libs.common.wechat import TextReply
from services.gateway.h5.forms import Identity
from services.gateway.h5.limits import DailyLimits, LimitReached

log = get_logger(__name__)

CONFIRMATION = (
    "您已成功绑定身份，现在可以发送“余额”或“明细”查询本人账户。如非本人操作，请立即联系客服。"
)


UNBIND_CONFIRMATION = (
    "您已解除身份绑定，将无法在公众号内查询本人账户。如需查询，请发送“绑定”重新绑定。"
)


class _NotBound(Exception):
    """Rolls the unbind transaction back: there was no binding to remove."""


def _audit(action: str, claims: LinkClaims, client_ip: str, **details: object) -> AuditEntry:
    """An audit row for a change the follower made on a page (no personal data in it)."""
    return AuditEntry(
        username="customer",
        action=action,
        entity="customer",
        entity_id=claims.openid,
        after={"account": claims.account, **details},
        ip=client_ip[:64],
    )


class Outcome(enum.Enum):
    """How one binding attempt ended."""

    BOUND = "bound"
    MISMATCH = "mismatch"
    LOCKED = "locked"
    USED = "used"
    UNKNOWN_ACCOUNT = "unknown_account"
    UNAVAILABLE = "unavailable"
    LIMITED = "limited"
    UNBOUND = "unbound"
    NOT_BOUND = "not_bound"


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome and, after a mismatch, how many tries are left (the cap when limited)."""

    outcome: Outcome
    tries_left: int = 0
    limit: LimitReached | None = None


class CoreIdentity:
    """The core system's ``POST /v1/identity/verify`` (see ``sandboxes/core_system/``)."""

    def __init__(self, http: httpx.AsyncClient, base_url: str) -> None:
        self._http = http
        self._url = base_url.rstrip("/") + "/v1/identity/verify"

    async def verify(self, identity: Identity) -> str | None:
        """The customer number these belong to, ``None`` on a mismatch; raises on failures."""
        payload = {
            "id_number": identity.id_number,
            "card_no": identity.card_no,
            "password": identity.password,
        }
        response = await self._http.post(self._url, json=payload)
        if response.status_code == 422:
            return None
        response.raise_for_status()
        customer_no = response.json().get("customer_no")
        if not isinstance(customer_no, str) or not customer_no:
            raise ValueError("core system verified an identity without a customer number")
        return customer_no


class BindingService:
    """Runs binding attempts against the database, the core system and the bus."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        bus: Bus,
        core: CoreIdentity,
        max_failures: int,
        failure_window_s: float,
        limits: DailyLimits,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._bus = bus
        self._core = core
        self._max_failures = max_failures
        self._window = timedelta(seconds=failure_window_s)
        self._limits = limits

    async def account_id(self, code: str) -> int | None:
        """The enabled account's id, ``None`` for an unknown or disabled one."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(Account.id).where(Account.code == code, Account.enabled)
            )
        return int(found) if found is not None else None

    async def failures(self, account_id: int, openid: str) -> int:
        """Failed checks of this openid within the window."""
        async with self._sessions() as session:
            return await self._count_failures(session, account_id, openid)

    async def locked(self, account_id: int, openid: str) -> bool:
        """Whether binding is locked for this openid."""
        return await self.failures(account_id, openid) >= self._max_failures

    async def attempt(self, claims: LinkClaims, identity: Identity, client_ip: str) -> Result:
        """Check the identity and bind, or count the failure."""
        account_id = await self.account_id(claims.account)
        if account_id is None:
            return Result(Outcome.UNKNOWN_ACCOUNT)
        if await self.locked(account_id, claims.openid):
            return Result(Outcome.LOCKED)
        reached = await self._limits.take(account_id, claims.openid, BIND_ATTEMPT)
        if reached is not None:
            return Result(Outcome.LIMITED, limit=reached)
        try:
            customer_no = await self._core.verify(identity)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "binding_core_unavailable", account=claims.account, error=type(exc).__name__
            )
            return Result(Outcome.UNAVAILABLE)
        if customer_no is None:
            return await self._fail(account_id, claims, client_ip)
        try:
            async with self._sessions.begin() as session:
                await record_use(session, claims)
                await self._bind(session, account_id, claims.openid, customer_no)
                session.add(_audit("customer.bound", claims, client_ip))
        except LinkUsed:
            return Result(Outcome.USED)
        await self._announce(claims)
        return Result(Outcome.BOUND)

    async def unbind(self, claims: LinkClaims, client_ip: str) -> Outcome:
        """Remove the follower's binding (confirmed on the page), using the link up."""
        account_id = await self.account_id(claims.account)
        if account_id is None:
            return Outcome.UNKNOWN_ACCOUNT
        try:
            async with self._sessions.begin() as session:
                customer = await session.scalar(
                    select(Customer).where(
                        Customer.account_id == account_id, Customer.openid == claims.openid
                    )
                )
                if customer is None or customer.binding_state not in ("bound", "suspended"):
                    raise _NotBound
                await record_use(session, claims)
                customer.binding_state = "unbound"
                customer.customer_no_enc = customer.customer_no_token = None
                session.add(_audit("customer.unbound", claims, client_ip))
        except LinkUsed:
            return Outcome.USED
        except _NotBound:
            return Outcome.NOT_BOUND
        event = CustomerUnbound(account=claims.account, openid=claims.openid)
        await self._publish_quietly(EVENTS, "customer.unbound", event.to_bytes())
        await self._confirm(claims, f"unbound:{claims.nonce}", UNBIND_CONFIRMATION)
        return Outcome.UNBOUND

    async def purge(self) -> None:
        """Drop used-link records past their expiry and failures that left the window."""
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            links = await purge_expired(session, now)
            result = await session.execute(
                delete(BindingFailure).where(BindingFailure.at <= now - self._window)
            )
        failures = int(getattr(result, "rowcount", 0) or 0)
        if links or failures:
            log.info("h5_purged", link_uses=links, binding_failures=failures)

    async def _count_failures(self, session: AsyncSession, account_id: int, openid: str) -> int:
        since = datetime.now(UTC) - self._window
        count = await session.scalar(
            select(func.count())
            .select_from(BindingFailure)
            .where(
                BindingFailure.account_id == account_id,
                BindingFailure.openid == openid,
                BindingFailure.at > since,
            )
        )
        return int(count or 0)

    async def _fail(self, account_id: int, claims: LinkClaims, client_ip: str) -> Result:
        async with self._sessions.begin() as session:
            session.add(BindingFailure(account_id=account_id, openid=claims.openid))
            await session.flush()
            failures = await self._count_failures(session, account_id, claims.openid)
            just_locked = failures == self._max_failures
            if just_locked:
                session.add(
                    _audit(
                        "customer.binding_locked",
                        claims,
                        client_ip,
                        failures=failures,
                        window_s=self._window.total_seconds(),
                    )
                )
        log.info("binding_mismatch", account=claims.account, failures=failures)
        if failures < self._max_failures:
            return Result(Outcome.MISMATCH, tries_left=self._max_failures - failures)
        if just_locked:
            event = CustomerBindingLocked(
                account=claims.account,
                openid=claims.openid,
                failures=failures,
                window_s=self._window.total_seconds(),
            )
            await self._publish_quietly(EVENTS, "customer.binding_locked", event.to_bytes())
        return Result(Outcome.LOCKED)

    async def _bind(
        self, session: AsyncSession, account_id: int, openid: str, customer_no: str
    ) -> None:
        customer = await session.scalar(
            select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
        )
        if customer is None:
            customer = Customer(account_id=account_id, openid=openid)
            session.add(customer)
        stored = sealed(self._box, customer_no)
        customer.customer_no_enc = stored["customer_no_enc"]
        customer.customer_no_token = stored["customer_no_token"]
        customer.binding_state = "bound"
        customer.last_interaction_at = datetime.now(UTC)

    async def _announce(self, claims: LinkClaims) -> None:
        event = CustomerBound(account=claims.account, openid=claims.openid)
        await self._publish_quietly(EVENTS, "customer.bound", event.to_bytes())
        await self._confirm(claims, f"bound:{claims.nonce}", CONFIRMATION)

    async def _confirm(self, claims: LinkClaims, message_id: str, text: str) -> None:
        confirmation = OutboundRequested(
            # One confirmation per link: a republish carries the same id (the dispatcher dedups).
            message_id=message_id,
            account=claims.account,
            openid=claims.openid,
            priority="alert",
            origin="binding",
            custom_message=TextReply(content=text).to_custom_message(claims.openid),
        )
        await self._publish_quietly(
            OUTBOUND, "alert.wechat", confirmation.to_bytes(), message_id=confirmation.message_id
        )

    async def _publish_quietly(
        self, exchange: str, routing_key: str, body: bytes, *, message_id: str | None = None
    ) -> None:
        # The binding is committed; a bus hiccup must not turn the user's success into an error.
        try:
            await self._bus.publish(exchange, routing_key, body, message_id=message_id)
        except Exception as exc:
            log.error("binding_publish_failed", routing_key=routing_key, error=type(exc).__name__)
