"""What a draft may refer to and contain: content and saved audiences in the author's scope, and
recipient files of well-formed openids. Checks only; the workflow applies the changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from libs.common.db.models import Material, Publication, SavedAudience
from services.admin_api.errors import FieldError, FieldErrors
from services.admin_api.scope import Principal, by_org

# Only group and mass sends may target a saved audience.
SAVED_AUDIENCE_KINDS = frozenset({"group", "mass"})


async def check_content(
    session: AsyncSession, principal: Principal, material_id: int | None
) -> None:
    """The material (when given) exists within the caller's scope."""
    if material_id is not None:
        await by_org(session, principal, Material, material_id, "material")


async def saved_audience_id(
    session: AsyncSession, principal: Principal, account_id: int, audience: dict[str, Any]
) -> int | None:
    """The id of the saved audience ``audience`` targets, checked against scope and account."""
    audience_id = audience.get("audience_id")
    if audience_id is None:
        return None
    saved = await by_org(session, principal, SavedAudience, audience_id, "audience")
    if saved.account_id != account_id:
        raise FieldErrors(
            "the saved audience belongs to another account",
            [FieldError("body.audience.audience_id", "not an audience of this account")],
        )
    return saved.id


async def checked_changes(
    session: AsyncSession, principal: Principal, publication: Publication, changes: dict[str, Any]
) -> dict[str, Any]:
    """``changes`` to a draft after checking what they refer to (the audience without empty
    criteria, plus the saved audience it resolves to)."""
    changes = dict(changes)
    if "material_id" in changes:
        await check_content(session, principal, changes["material_id"])
    if "audience" in changes and changes["audience"] is not None:
        changes["audience"] = {k: v for k, v in changes["audience"].items() if v is not None}
        if "audience_id" in changes["audience"] and publication.kind not in SAVED_AUDIENCE_KINDS:
            raise FieldErrors(
                "only group and mass sends target a saved audience",
                [FieldError("body.audience.audience_id", "not allowed for this kind")],
            )
        changes["saved_audience_id"] = await saved_audience_id(
            session, principal, publication.account_id, changes["audience"]
        )
    return changes


def parse_recipient_file(raw: bytes) -> list[str]:
    """The distinct openids of a recipient file (one per line, or a CSV's first column, an
    ``openid`` header skipped); every malformed line is reported as a field error."""
    openids: list[str] = []
    errors: list[FieldError] = []
    for number, line in enumerate(raw.decode("utf-8-sig", errors="replace").splitlines(), 1):
        value = line.split(",")[0].strip().strip('"')
        if not value or value.lower() == "openid":
            continue
        if not value.replace("-", "").replace("_", "").isalnum() or len(value) > 64:
            errors.append(FieldError(f"file.line[{number}]", f"not an openid: {value[:40]!r}"))
        else:
            openids.append(value)
    if errors:
        raise FieldErrors("the recipient file has malformed lines", errors[:100])
    return list(dict.fromkeys(openids))
