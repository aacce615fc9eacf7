"""Phone binding (绑定手机, R-EN-5): a 6-digit code by SMS proves the follower holds the number.

::

    send:   number valid → no code sent within the resend interval → today's cap of code sends
            not reached (limits.py) → new code (hash stored, number encrypted, TTL) committed
            → SMS through the gateway (a failed SMS drops it)
    verify: a pending code → not expired → tries left → matches → in one transaction: the
            link used up, the number stored encrypted on the customer, the code deleted, audited

Only a keyed hash of the code is stored (HMAC with a key of its own, bound to the account and
openid), so the database never holds a usable code. A wrong code costs a try, committed before
the answer; after the last try the code is dead and only a new one (after the resend interval)
helps. The application page (``applications.py``) sends and checks codes the same way
(:meth:`PhoneBinding.check_code`) and keeps the number on the application instead; a follower
has one pending code, whichever page asked for it. The number never appears in a log line, an
event or an audit row unmasked.
"""

from __future__ import annotations

import enum
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from hashlib import sha256

import httpx
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from libs.common.db.models import AuditEntry, Customer, PhoneCode
from libs.common.h5_links import LinkClaims, LinkUsed, record_use
from libs.common.masking import mask_phone
from libs.common.observability.logging import get_logger
from libs.common.operation_limits import CODE_SEND
from libs.common.secret_box import SecretBox, derive_key
from libs.common.sms_gateway import SmsNotSent, send_sms
from services.gateway.h5.limits import DailyLimits, LimitReached

log = get_logger(__name__)

KEY_PURPOSE = "phone-code"
CODE_DIGITS = 6


class Sent(enum.Enum):
    """How asking for a code ended."""

    SENT = "sent"
    THROTTLED = "throttled"
    LIMITED = "limited"
    UNAVAILABLE = "unavailable"


class Checked(enum.Enum):
    """How entering a code ended."""

    BOUND = "bound"
    WRONG = "wrong"
    EXPIRED = "expired"
    NO_TRIES = "no_tries"
    NO_CODE = "no_code"
    USED = "used"


@dataclass(frozen=True, slots=True)
class SendResult:
    """The outcome, the masked number, how long until a new code may be asked for, and the
    daily cap that refused it."""

    outcome: Sent
    masked: str = ""
    wait_s: int = 0
    limit: LimitReached | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome and, after a wrong code, how many tries are left."""

    outcome: Checked
    tries_left: int = 0
    masked: str = ""


@dataclass(frozen=True, slots=True)
class CodeRules:
    """Validity, tries, resend interval and the SMS text of verification codes."""

    ttl_s: float = 300.0
    max_tries: int = 5
    resend_s: float = 60.0
    sms_text: str = "验证码 {code}，{minutes} 分钟内有效。"


class PhoneBinding:
    """Sends verification codes and binds verified numbers."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        box: SecretBox,
        secret_key: str,
        http: httpx.AsyncClient,
        sms_url: str | None,
        rules: CodeRules,
        limits: DailyLimits,
    ) -> None:
        self._sessions = sessions
        self._box = box
        self._key = derive_key(secret_key, KEY_PURPOSE)
        self._http = http
        self._sms_url = sms_url
        self._rules = rules
        self._limits = limits

    async def pending(self, account_id: int, openid: str) -> str | None:
        """The masked number a live code was sent to, if any."""
        async with self._sessions() as session:
            row = await _code(session, account_id, openid)
        if row is None or row.expires_at <= datetime.now(UTC):
            return None
        return mask_phone(self._box.decrypt(row.phone_enc))

    async def send(
        self,
        claims: LinkClaims,
        account_id: int,
        phone: str | None,
        sms_text: str | None = None,
    ) -> SendResult:
        """Send a new code to ``phone`` (or again to the pending number when ``None``); the
        SMS says ``sms_text`` (``{code}``, ``{minutes}``) or the phone page's text."""
        async with self._sessions() as session:
            row = await _code(session, account_id, claims.openid)
            wait_s = self._wait_s(row)
            if wait_s:
                return SendResult(Sent.THROTTLED, wait_s=wait_s)
            if row is not None:
                phone = phone or self._box.decrypt(row.phone_enc)
        if phone is None:
            raise ValueError("no number to send a code to")
        reached = await self._limits.take(account_id, claims.openid, CODE_SEND)
        if reached is not None:
            return SendResult(Sent.LIMITED, limit=reached)
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        now = datetime.now(UTC)
        async with self._sessions.begin() as session:
            row = await _code(session, account_id, claims.openid, lock=True)
            wait_s = self._wait_s(row)
            if wait_s:
                return SendResult(Sent.THROTTLED, wait_s=wait_s)  # another request just sent one
            if row is None:
                row = PhoneCode(account_id=account_id, openid=claims.openid)
                session.add(row)
            row.phone_enc = self._box.encrypt(phone)
            row.code_hash = self._hash(account_id, claims.openid, code)
            row.sent_at = now
            row.expires_at = now + timedelta(seconds=self._rules.ttl_s)
            row.tries = 0
        minutes = max(1, round(self._rules.ttl_s / 60))
        try:
            if not self._sms_url:
                raise SmsNotSent("no SMS gateway configured")
            await send_sms(
                self._http,
                self._sms_url,
                message_id=uuid.uuid4().hex,
                phone=phone,
                text=(sms_text or self._rules.sms_text).format(code=code, minutes=minutes),
            )
        except SmsNotSent as exc:
            log.warning("phone_code_not_sent", account=claims.account, error=str(exc))
            # Never sent: the follower may ask again at once.
            async with self._sessions.begin() as session:
                await session.execute(
                    delete(PhoneCode).where(
                        PhoneCode.account_id == account_id, PhoneCode.openid == claims.openid
                    )
                )
            return SendResult(Sent.UNAVAILABLE)
        return SendResult(Sent.SENT, masked=mask_phone(phone) or "")

    async def verify(
        self, claims: LinkClaims, account_id: int, code: str, client_ip: str
    ) -> CheckResult:
        """Check ``code``; on a match store the number on the customer and use the link up."""
        try:
            async with self._sessions.begin() as session:
                row = await self.check_code(session, account_id, claims.openid, code)
                if isinstance(row, CheckResult):
                    return row
                await record_use(session, claims)
                masked = mask_phone(self._box.decrypt(row.phone_enc)) or ""
                await _store_phone(session, account_id, claims.openid, row.phone_enc)
                await session.delete(row)
                session.add(
                    AuditEntry(
                        username="customer",
                        action="customer.phone_bound",
                        entity="customer",
                        entity_id=claims.openid,
                        after={"account": claims.account, "phone": masked},
                        ip=client_ip[:64],
                    )
                )
        except LinkUsed:
            return CheckResult(Checked.USED)
        return CheckResult(Checked.BOUND, masked=masked)

    async def check_code(
        self, session: AsyncSession, account_id: int, openid: str, code: str
    ) -> PhoneCode | CheckResult:
        """The pending code's row (locked) when ``code`` matches it, else why not.

        Runs in the caller's transaction, which must commit even when the code is wrong: the
        spent try is written there. On a match the caller uses the number and deletes the row.
        """
        row = await _code(session, account_id, openid, lock=True)
        if row is None:
            return CheckResult(Checked.NO_CODE)
        if row.expires_at <= datetime.now(UTC):
            await session.delete(row)
            return CheckResult(Checked.EXPIRED)
        if row.tries >= self._rules.max_tries:
            return CheckResult(Checked.NO_TRIES)
        if not hmac.compare_digest(row.code_hash, self._hash(account_id, openid, code)):
            # Committed with the answer: a try is spent whatever happens next.
            row.tries += 1
            left = self._rules.max_tries - row.tries
            return CheckResult(Checked.WRONG if left else Checked.NO_TRIES, left)
        return row

    def decrypt(self, phone_enc: str) -> str:
        """A stored number in clear (for masking it on a page)."""
        return self._box.decrypt(phone_enc)

    async def purge(self, now: datetime) -> int:
        """Drop codes that expired; returns how many."""
        async with self._sessions.begin() as session:
            result = await session.execute(delete(PhoneCode).where(PhoneCode.expires_at <= now))
        return int(getattr(result, "rowcount", 0) or 0)

    def _wait_s(self, row: PhoneCode | None) -> int:
        """Seconds until a new code may be sent (0: now)."""
        if row is None:
            return 0
        since = (datetime.now(UTC) - row.sent_at).total_seconds()
        return 0 if since >= self._rules.resend_s else int(self._rules.resend_s - since) + 1

    def _hash(self, account_id: int, openid: str, code: str) -> str:
        message = f"{account_id}|{openid}|{code}".encode()
        return hmac.new(self._key, message, sha256).hexdigest()


async def _code(
    session: AsyncSession, account_id: int, openid: str, *, lock: bool = False
) -> PhoneCode | None:
    query = select(PhoneCode).where(PhoneCode.account_id == account_id, PhoneCode.openid == openid)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def _store_phone(session: AsyncSession, account_id: int, openid: str, phone_enc: str) -> None:
    customer = await session.scalar(
        select(Customer).where(Customer.account_id == account_id, Customer.openid == openid)
    )
    if customer is None:
        customer = Customer(account_id=account_id, openid=openid)
        session.add(customer)
    customer.phone_enc = phone_enc
    # A plain number from before would otherwise outlive the one just verified.
    customer.phone = None
