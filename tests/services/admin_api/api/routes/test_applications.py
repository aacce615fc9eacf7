"""Applications of prospects in the admin API: listed within the data scope with the phone
masked; the status moves as the workflow allows, behind ``application.manage``, audited."""

from __future__ import annotations

from libs.common.bus import DISPATCHER_ALERT
from libs.common.db.models import Application
from tests.services.admin_api.support import AdminStack, queued_messages

PHONE = "13700001234"


async def _applications(stack: AdminStack) -> dict[str, int]:
    box = stack.state.secret_box
    async with stack.sessions.begin() as session:
        rows = {
            "demo": Application(
                account_id=stack.ids["demo_account"],
                openid="o_apply_demo",
                name="王小二",
                phone_enc=box.encrypt(PHONE),
                product="credit_card",
                product_name="标准信用卡",
            ),
            "bj": Application(
                account_id=stack.ids["bj_account"],
                openid="o_apply_bj",
                name="赵六",
                phone_enc=box.encrypt(PHONE),
                product="platinum_card",
                product_name="白金信用卡",
            ),
        }
        session.add_all(rows.values())
        await session.flush()
        return {key: row.id for key, row in rows.items()}


async def test_list_masks_phones_filters_and_keeps_to_the_scope(stack: AdminStack) -> None:
    ids = await _applications(stack)
    every = await stack.call("admin", "GET", "/api/v1/applications")
    assert every.status_code == 200, every.text
    assert PHONE not in every.text
    items = {item["id"]: item for item in every.json()["items"]}
    assert set(items) == set(ids.values())
    demo = items[ids["demo"]]
    assert demo["phone"] == "137****1234"
    assert demo["status"] == "submitted"
    assert demo["status_label"] == "已提交，等待受理"
    assert demo["reference"].startswith("AP")
    assert demo["reference"].endswith(f"{ids['demo']:06d}")
    assert demo["next_statuses"] == ["reviewing", "approved", "rejected", "withdrawn"]

    by_product = await stack.call("admin", "GET", "/api/v1/applications?product=platinum_card")
    assert [i["id"] for i in by_product.json()["items"]] == [ids["bj"]]
    searched = await stack.call("admin", "GET", "/api/v1/applications?q=王小")
    assert [i["id"] for i in searched.json()["items"]] == [ids["demo"]]
    # The Shanghai editor reads the demo account's applications, not Beijing's.
    scoped = await stack.call("sh_editor", "GET", "/api/v1/applications")
    assert ids["bj"] not in [i["id"] for i in scoped.json()["items"]]
    hidden = await stack.call("sh_editor", "GET", f"/api/v1/applications/{ids['bj']}")
    assert hidden.status_code == 404
    denied = await stack.call("noperm", "GET", "/api/v1/applications")
    assert denied.status_code == 403
    assert denied.json()["details"]["permission"] == "application.read"


async def test_status_moves_as_the_workflow_allows_and_is_audited(stack: AdminStack) -> None:
    ids = await _applications(stack)
    url = f"/api/v1/applications/{ids['demo']}/status"
    note = "资料已收到，预计 3 个工作日内完成审核"
    moved = await stack.call("admin", "POST", url, json={"status": "reviewing", "note": note})
    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "reviewing"
    assert moved.json()["status_note"] == note
    assert moved.json()["next_statuses"] == ["approved", "rejected", "withdrawn"]

    back = await stack.call("admin", "POST", url, json={"status": "submitted"})
    assert back.status_code == 409
    assert back.json()["code"] == "invalid_state"
    done = await stack.call("admin", "POST", url, json={"status": "approved", "note": "已寄出"})
    assert done.status_code == 200
    assert done.json()["next_statuses"] == []
    final = await stack.call("admin", "POST", url, json={"status": "rejected"})
    assert final.status_code == 409

    # The applicant was told of each change in chat, not of the refused ones.
    told = await queued_messages(stack, DISPATCHER_ALERT)
    assert [m.openid for m in told] == ["o_apply_demo", "o_apply_demo"]
    assert {m.account for m in told} == {"demo"}
    assert {m.origin for m in told} == {"application"}
    texts = [m.custom_message["text"]["content"] for m in told if m.custom_message]
    assert texts[0].startswith(
        f"您的标准信用卡申请（编号 {moved.json()['reference']}）有新进度：审核中"
    )
    assert f"说明：{note}" in texts[0]
    assert "已通过" in texts[1]
    assert PHONE not in "".join(texts)

    audit = await stack.call("admin", "GET", "/api/v1/audit?action=application.status")
    entries = sorted(audit.json()["items"], key=lambda e: e["id"])
    assert [(e["before"]["status"], e["after"]["status"]) for e in entries] == [
        ("submitted", "reviewing"),
        ("reviewing", "approved"),
    ]
    assert entries[0]["after"]["note"] == note
    assert entries[0]["username"] == "admin"
    assert entries[0]["entity_id"] == str(ids["demo"])
    assert PHONE not in audit.text
    async with stack.sessions() as session:
        row = await session.get(Application, ids["demo"])
    assert row is not None
    assert (row.status, row.status_note) == ("approved", "已寄出")


async def test_bad_status_changes_are_refused_and_change_nothing(stack: AdminStack) -> None:
    ids = await _applications(stack)
    url = f"/api/v1/applications/{ids['demo']}/status"
    for body in (
        {"status": "done"},
        {"status": "reviewing", "note": "长" * 201},
        {"status": "reviewing", "extra": 1},
        {},
    ):
        refused = await stack.call("admin", "POST", url, json=body)
        assert refused.status_code == 422, body
    # Reading applications does not allow changing them.
    denied = await stack.call("sh_editor", "POST", url, json={"status": "reviewing"})
    assert denied.status_code == 403
    assert denied.json()["details"]["permission"] == "application.manage"
    missing = await stack.call("admin", "POST", "/api/v1/applications/999999/status", json={})
    assert missing.status_code in (404, 422)
    async with stack.sessions() as session:
        row = await session.get(Application, ids["demo"])
    assert row is not None
    assert row.status == "submitted"
    audit = await stack.call("admin", "GET", "/api/v1/audit?action=application.status")
    assert audit.json()["total"] == 0
    assert await queued_messages(stack, DISPATCHER_ALERT) == []
