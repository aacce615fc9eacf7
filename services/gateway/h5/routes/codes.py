"""What the pages that text a verification code (phone, application) say about it: the code
already sent, and why a code was not accepted."""

from __future__ import annotations

from libs.common.h5_links import LinkClaims
from services.gateway.h5.binding import BindingService
from services.gateway.h5.phone import Checked, CheckResult, PhoneBinding
from services.gateway.h5.texts import Lang, text


def pending_text(masked: str | None, lang: Lang, minutes: int) -> str:
    """The note that a code was sent to ``masked`` and stays valid ``minutes`` (``""``: none)."""
    if not masked:
        return ""
    return text("phone.pending", lang, phone=masked, minutes=minutes)


async def pending_note(
    binding: BindingService, phone: PhoneBinding, claims: LinkClaims, lang: Lang, minutes: int
) -> str:
    """The note a page shows on opening when a code was already texted to this follower."""
    account_id = await binding.account_id(claims.account)
    pending = None if account_id is None else await phone.pending(account_id, claims.openid)
    return pending_text(pending, lang, minutes)


def code_refused(checked: CheckResult, lang: Lang) -> tuple[int, str]:
    """The status and message of a verification code that was not accepted."""
    errors = {
        Checked.WRONG: (422, text("error.code_wrong", lang, tries=checked.tries_left)),
        Checked.NO_TRIES: (403, text("error.code_no_tries", lang)),
        Checked.EXPIRED: (410, text("error.code_expired", lang)),
        Checked.NO_CODE: (400, text("error.code_none", lang)),
    }
    return errors[checked.outcome]
