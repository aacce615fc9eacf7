"""Applications of prospects on ``/h5/apply`` (R-EN-8): name, a phone number proven by SMS code,
and the product applied for.

::

    send:   as on the phone page (phone.py): throttled, today's cap of code sends, SMS
    submit: in one transaction: the code matches (a wrong one spends a try, committed)
            → no open application of this follower for the product → today's cap of
            applications not reached → the link used up → the application stored
            (``submitted``, the number encrypted as the code row held it) → the code deleted
            → audited with the number masked

Only a submitted application counts against the day's cap. Staff move the status on through the
admin API (``libs/common/applications.py``); "进度" in chat shows it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.applications import OPEN_STATUSES, SUBMITTED, reference
from libs.common.db.models import Application, AuditEntry
from libs.common.h5_links import LinkClaims, LinkUsed, record_use
from libs.common.masking import mask_phone
from libs.common.operation_limits import APPLICATION
from services.gateway.h5.forms import ApplicationForm
from services.gateway.h5.limits import DailyLimits, LimitReached
from services.gateway.h5.phone import CheckResult, PhoneBinding


class Applied(enum.Enum):
    """How submitting an application ended."""

    SUBMITTED = "submitted"
    CODE_REFUSED = "code_refused"
    DUPLICATE = "duplicate"
    LIMITED = "limited"
    USED = "used"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """The outcome, the reference number told to the applicant, why the code was refused, and
    the daily cap that refused it."""

    outcome: Applied
    reference: str = ""
    checked: CheckResult | None = None
    limit: LimitReached | None = None


class Applications:
    """Stores applications whose phone number passed the SMS code."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        phone: PhoneBinding,
        limits: DailyLimits,
    ) -> None:
        self._sessions = sessions
        self._phone = phone
        self._limits = limits

    async def submit(
        self,
        claims: LinkClaims,
        account_id: int,
        form: ApplicationForm,
        code: str,
        client_ip: str,
    ) -> ApplyResult:
        """Check the code and store the application; see the module docstring for the order."""
        openid = claims.openid
        try:
            async with self._sessions.begin() as session:
                row = await self._phone.check_code(session, account_id, openid, code)
                if isinstance(row, CheckResult):
                    return ApplyResult(Applied.CODE_REFUSED, checked=row)
                pending = await session.scalar(
                    select(Application.id).where(
                        Application.account_id == account_id,
                        Application.openid == openid,
                        Application.product == form.product,
                        Application.status.in_(OPEN_STATUSES),
                    )
                )
                if pending is not None:
                    return ApplyResult(Applied.DUPLICATE)
                reached = await self._limits.take_in(session, account_id, openid, APPLICATION)
                if reached is not None:
                    return ApplyResult(Applied.LIMITED, limit=reached)
                await record_use(session, claims)
                application = Application(
                    account_id=account_id,
                    openid=openid,
                    name=form.name,
                    phone_enc=row.phone_enc,
                    product=form.product,
                    product_name=form.product_name,
                    status=SUBMITTED,
                )
                session.add(application)
                await session.delete(row)
                await session.flush()
                masked = mask_phone(self._phone.decrypt(row.phone_enc)) or ""
                session.add(
                    AuditEntry(
                        username="customer",
                        action="application.submitted",
                        entity="application",
                        entity_id=str(application.id),
                        after={"account": claims.account, "product": form.product, "phone": masked},
                        ip=client_ip[:64],
                    )
                )
                number = reference(application)
        except LinkUsed:
            return ApplyResult(Applied.USED)
        return ApplyResult(Applied.SUBMITTED, reference=number)
