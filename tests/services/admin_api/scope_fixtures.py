"""Objects that belong to the Beijing branch, outside the Shanghai user's data scope."""

from __future__ import annotations

from typing import Any

from libs.common.db.models import (
    Application,
    Command,
    ConfigDocument,
    CsCannedReply,
    CsSession,
    CsTicket,
    Customer,
    Location,
    Material,
    Menu,
    MenuAction,
    Publication,
    ReminderType,
    SavedAudience,
)
from tests.services.admin_api.support import AdminStack


async def out_of_scope_objects(stack: AdminStack) -> dict[str, Any]:
    """Path parameter name → id of an object the SH user must not see (BJ account/org)."""
    ids = stack.ids
    bj = ids["bj_account"]
    async with stack.sessions.begin() as session:
        objects: dict[str, Any] = {
            "command_id": Command(
                account_id=bj, name="c", match_kind="exact", pattern="x", handler="help"
            ),
            "menu_action_id": MenuAction(account_id=bj, key="K", handler="help"),
            "location_id": Location(
                account_id=bj, kind="atm", name="a", latitude=39.9, longitude=116.3
            ),
            "reminder_type_id": ReminderType(account_id=bj, event_type="e", name="n"),
            "menu_id": Menu(account_id=bj, kind="conditional", buttons=[]),
            "customer_id": Customer(account_id=bj, openid="o_bj_customer"),
            "material_id": Material(org_id=ids["org_bj"], kind="text", text="bj"),
            "document_id": ConfigDocument(name="bj.yaml", format="yaml", org_id=ids["org_bj"]),
            "session_id": CsSession(
                account_id=bj, openid="o_bj_cs", group="default", state="closed"
            ),
            "reply_id": CsCannedReply(account_id=bj, title="bj", content="bj"),
            "ticket_id": CsTicket(account_id=bj, openid="o_bj_cs", content="bj"),
            "application_id": Application(
                account_id=bj,
                openid="o_bj_applicant",
                name="bj",
                phone_enc="-",
                product="credit_card",
                product_name="bj",
            ),
        }
        session.add_all(objects.values())
        await session.flush()
        objects["publication_id"] = Publication(
            org_id=ids["org_bj"], account_id=bj, author_id=ids["user_bj_user"], kind="single"
        )
        objects["audience_id"] = SavedAudience(
            org_id=ids["org_bj"], account_id=bj, name="bj audience", criteria={}
        )
        session.add_all([objects["publication_id"], objects["audience_id"]])
        await session.flush()
        result: dict[str, Any] = {name: obj.id for name, obj in objects.items()}
    return result | {
        "org_id": ids["org_bj"],
        "user_id": ids["user_bj_user"],
        "role_id": ids["bj_role"],
        "account_id": bj,
        "version": 1,
    }
