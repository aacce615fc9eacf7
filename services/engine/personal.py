"""What personal answers need besides the core system: who is bound, their applications, and
links to the pages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.customer_numbers import opened
from libs.common.db.models import Application, Customer
from libs.common.h5_links import (
    APPLY_PAGE,
    BIND_PAGE,
    PHONE_PAGE,
    SUBSCRIPTIONS_PAGE,
    TRANSFER_PAGE,
    UNBIND_PAGE,
    H5LinkSigner,
)
from libs.common.secret_box import SecretBox


class CustomerDirectory:
    """Bindings as stored by the gateway's binding page; read on each personal question only."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], box: SecretBox) -> None:
        self._sessions = sessions
        self._box = box

    async def bound_customer_no(self, account_id: int, openid: str) -> str | None:
        """The customer number of a bound follower, ``None`` when unbound or suspended."""
        async with self._sessions() as session:
            row = await session.execute(
                select(Customer.customer_no_enc, Customer.binding_state).where(
                    Customer.account_id == account_id, Customer.openid == openid
                )
            )
            found = row.first()
        if found is None or found.binding_state != "bound":
            return None
        return opened(self._box, found.customer_no_enc)

    async def applications(self, account_id: int, openid: str, limit: int) -> list[Application]:
        """The follower's latest applications (``/h5/apply``), newest first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(Application)
                .where(Application.account_id == account_id, Application.openid == openid)
                .order_by(Application.created_at.desc(), Application.id.desc())
                .limit(limit)
            )
            return list(rows)


@dataclass(frozen=True, slots=True)
class PageLinks:
    """Signed links to the gateway's second-level pages at the public base URL."""

    signer: H5LinkSigner
    base_url: str

    @property
    def ttl_minutes(self) -> int:
        """How long a link stays valid, in whole minutes (as chat answers state it)."""
        return max(1, round(self.signer.ttl_s / 60))

    def bind_url(self, account: str, openid: str) -> str:
        """A fresh single-use link to the binding page for this follower."""
        return self.signer.url(self.base_url, account, openid, BIND_PAGE)

    def unbind_url(self, account: str, openid: str) -> str:
        """A fresh single-use link to the page confirming an unbind."""
        return self.signer.url(self.base_url, account, openid, UNBIND_PAGE)

    def subscriptions_url(self, account: str, openid: str) -> str:
        """A fresh single-use link to the page choosing the reminder types received."""
        return self.signer.url(self.base_url, account, openid, SUBSCRIPTIONS_PAGE)

    def phone_url(self, account: str, openid: str) -> str:
        """A fresh single-use link to the phone binding page."""
        return self.signer.url(self.base_url, account, openid, PHONE_PAGE)

    def transfer_url(self, account: str, openid: str) -> str:
        """A fresh link to the page leading into mobile banking for transfers."""
        return self.signer.url(self.base_url, account, openid, TRANSFER_PAGE)

    def apply_url(self, account: str, openid: str) -> str:
        """A fresh single-use link to the application page of prospects."""
        return self.signer.url(self.base_url, account, openid, APPLY_PAGE)
