"""Publishing with review: branch drafts, head-office approval, quota ledger, bus dispatch."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from libs.common.bus import DISPATCHER_BULK
from libs.common.db.models import Customer, CustomerProfile, Notification, ShortLink, utcnow
from libs.common.schemas.outbound import OutboundRequested
from services.admin_api.publishing.scheduler import run_due
from tests.services.admin_api.support import AdminStack, queued_messages

URL = "/api/v1/publications"


async def _followers(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    async with stack.sessions.begin() as session:
        rows = [Customer(account_id=acc, openid=f"oVip{i}") for i in range(3)]
        rows.append(Customer(account_id=acc, openid="oGone", subscribed=False))
        session.add_all(rows)
        await session.flush()
        session.add_all(
            CustomerProfile(customer_id=c.id, category="vip", region="上海", tags=["基金"])
            for c in rows
        )


async def _collect(stack: AdminStack) -> list[OutboundRequested]:
    return await queued_messages(stack, DISPATCHER_BULK, polls=100)


async def _mass_draft(stack: AdminStack, user: str = "sh_editor", **extra: object) -> int:
    response = await stack.call(
        user,
        "POST",
        URL,
        json={
            "account_id": stack.ids["demo_account"],
            "kind": "mass",
            "title": "十一月基金周报",
            "text": "本周基金净值上涨",
            "audience": {"category": "vip", "region": "上海"},
            **extra,
        },
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


async def test_branch_mass_send_approved_by_head_office_goes_out_by_openid_list(
    stack: AdminStack,
) -> None:
    await _followers(stack)
    live = await stack.call(
        "sh_editor", "GET", "/api/v1/customers/count?category=vip&region=上海&subscribed=true"
    )
    assert live.json() == {"count": 3}
    pid = await _mass_draft(stack)
    submitted = await stack.call("sh_editor", "POST", f"{URL}/{pid}/submit")
    assert submitted.json()["status"] == "submitted"
    assert submitted.json()["recipient_count"] == 3
    # The branch editor cannot approve (no permission); the approver can.
    assert (
        await stack.call("sh_editor", "POST", f"{URL}/{pid}/approve", json={})
    ).status_code == 403
    assert (await stack.call("sh_editor", "GET", f"{URL}/{pid}")).json()["status"] == "submitted"
    approved = await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={"comment": "ok"})
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "scheduled"
    assert await run_due(stack.state) == 3
    done = (await stack.call("approver", "GET", f"{URL}/{pid}")).json()
    assert (done["status"], done["sent_count"]) == ("done", 3)
    messages = await _collect(stack)
    # One mass-API job for the whole chunk, not one customer-service message per follower.
    assert len(messages) == 1
    assert messages[0].openid is None
    assert sorted(messages[0].mass_openids or []) == ["oVip0", "oVip1", "oVip2"]
    assert messages[0].custom_message == {
        "msgtype": "text",
        "text": {"content": "本周基金净值上涨"},
    }
    assert messages[0].priority == "bulk"
    recipients = (await stack.call("sh_editor", "GET", f"{URL}/{pid}/recipients")).json()
    assert recipients["total"] == 3
    assert {r["status"] for r in recipients["items"]} == {"queued"}
    assert {r["message_id"] for r in recipients["items"]} == {messages[0].message_id}
    actions = (
        await stack.call(
            "admin", "GET", f"/api/v1/audit?entity=publication&entity_id={pid}&sort=id"
        )
    ).json()
    assert [a["action"] for a in actions["items"]] == [
        "publication.create",
        "publication.submit",
        "publication.approve",
        "publication.schedule",
    ]


async def test_author_cannot_approve_own_and_rejection_needs_comment(stack: AdminStack) -> None:
    await _followers(stack)
    pid = await _mass_draft(stack, user="admin")
    await stack.call("admin", "POST", f"{URL}/{pid}/submit")
    own = await stack.call("admin", "POST", f"{URL}/{pid}/approve", json={})
    assert own.status_code == 403
    assert own.json()["code"] == "permission_denied"
    assert own.json()["detail"] == "the approver cannot be the author"
    bare = await stack.call("approver", "POST", f"{URL}/{pid}/reject", json={"comment": " "})
    assert bare.status_code == 422
    # Neither refusal reviewed anything.
    unreviewed = (await stack.call("admin", "GET", f"{URL}/{pid}")).json()
    assert (unreviewed["status"], unreviewed["reviewer_id"]) == ("submitted", None)
    rejected = await stack.call(
        "approver", "POST", f"{URL}/{pid}/reject", json={"comment": "改标题"}
    )
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["review_comment"] == "改标题"
    again = await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={})
    assert again.status_code == 409
    assert again.json()["code"] == "invalid_state"
    assert (await stack.call("admin", "GET", f"{URL}/{pid}")).json()["status"] == "rejected"
    edited = await stack.call("admin", "PATCH", f"{URL}/{pid}", json={"title": "新标题"})
    assert edited.json()["status"] == "draft"


async def test_quota_ledger_refuses_a_fifth_mass_send_and_cancel_releases(
    stack: AdminStack,
) -> None:
    await _followers(stack)
    later = (utcnow() + timedelta(days=1)).isoformat()
    ids = [await _mass_draft(stack, scheduled_at=later) for _ in range(5)]
    for pid in ids:
        await stack.call("sh_editor", "POST", f"{URL}/{pid}/submit")
    for pid in ids[:4]:
        ok = await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={})
        assert ok.status_code == 200, ok.text
    refused = await stack.call("approver", "POST", f"{URL}/{ids[4]}/approve", json={})
    assert refused.status_code == 409
    assert refused.json()["code"] == "quota_exceeded"
    assert refused.json()["details"]["used"] == 4
    assert (await stack.call("approver", "GET", f"{URL}/{ids[4]}")).json()["status"] == "submitted"
    quota = await stack.call(
        "approver", "GET", f"{URL}/quota?account_id={stack.ids['demo_account']}&period={later[:7]}"
    )
    assert quota.json()["used"] == 4  # the refused approval claimed nothing
    assert [e["publication_id"] for e in quota.json()["entries"]] == ids[:4]
    cancelled = await stack.call("sh_editor", "POST", f"{URL}/{ids[0]}/cancel")
    assert cancelled.json()["status"] == "cancelled"
    assert (
        await stack.call("approver", "POST", f"{URL}/{ids[4]}/approve", json={})
    ).status_code == 200
    # the ledger: the cancelled send's claim is gone, the last approval's is added
    ledger = (
        await stack.call(
            "sh_editor",
            "GET",
            f"{URL}/quota?account_id={stack.ids['demo_account']}&period={later[:7]}",
        )
    ).json()["entries"]
    assert [e["publication_id"] for e in ledger] == ids[1:]
    assert all(e["amount"] == 1 and e["title"] for e in ledger)
    # Scheduled for tomorrow: nothing is due yet.
    assert await run_due(stack.state) == 0


async def test_single_and_list_sends_and_branch_scope(stack: AdminStack) -> None:
    acc = stack.ids["demo_account"]
    single = await stack.call(
        "sh_editor",
        "POST",
        URL,
        json={"account_id": acc, "kind": "single", "text": "您好", "audience": {"openid": "oOne"}},
    )
    assert single.status_code == 201
    listed = await stack.call(
        "sh_editor", "POST", URL, json={"account_id": acc, "kind": "list", "text": "名单通知"}
    )
    lid = listed.json()["id"]
    bad = await stack.call(
        "sh_editor",
        "PUT",
        f"{URL}/{lid}/recipients",
        files={"file": ("r.csv", b"openid\noA1\nnot an openid!\n", "text/csv")},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["file", "line", 3]
    assert (await stack.call("sh_editor", "GET", f"{URL}/{lid}")).json()["audience"] == {}
    good = await stack.call(
        "sh_editor",
        "PUT",
        f"{URL}/{lid}/recipients",
        files={"file": ("r.csv", b"openid\noA1\noA2\noA1\n", "text/csv")},
    )
    assert good.json()["audience"] == {"openids": ["oA1", "oA2"]}
    # Branch users publish only to granted accounts: the BJ account is "not found" for SH.
    other = await stack.call(
        "sh_editor",
        "POST",
        URL,
        json={
            "account_id": stack.ids["bj_account"],
            "kind": "single",
            "text": "x",
            "audience": {"openid": "o"},
        },
    )
    assert other.status_code == 404
    on_bj = await stack.call("admin", "GET", f"{URL}?account_id={stack.ids['bj_account']}")
    assert on_bj.json()["total"] == 0
    await stack.call("sh_editor", "POST", f"{URL}/{lid}/submit")
    await stack.call("approver", "POST", f"{URL}/{lid}/approve", json={})
    assert await run_due(stack.state) == 2
    quota = await stack.call("sh_editor", "GET", f"{URL}/quota?account_id={acc}")
    assert quota.json()["used"] == 0  # only mass sends count against the quota


async def test_outcome_shows_the_reach_wechat_reported_for_a_mass_send(stack: AdminStack) -> None:
    await _followers(stack)
    pid = await _mass_draft(stack)
    await stack.call("sh_editor", "POST", f"{URL}/{pid}/submit")
    await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={})
    stack.state.settings.dispatch_chunk_size = 2
    # 3 followers in chunks of 2: one mass job of 2, then a single customer-service message.
    assert await run_due(stack.state) == 3
    messages = await _collect(stack)
    [job] = [m for m in messages if m.mass_openids]
    before = (await stack.call("sh_editor", "GET", f"{URL}/{pid}/outcome")).json()
    assert before["reach"] is None
    async with stack.sessions.begin() as session:
        # The dispatcher's row of the job, moved on by WeChat's MASSSENDJOBFINISH.
        session.add(
            Notification(
                id=job.message_id,
                account_id=stack.ids["demo_account"],
                event_type="publication",
                deadline_at=utcnow() + timedelta(hours=1),
                status="confirmed",
                channel="wechat_mass",
                wechat_msgid="1000001",
                reach_total=2,
                reach_filtered=2,
                reach_sent=1,
                reach_errors=1,
            )
        )
    outcome = (await stack.call("sh_editor", "GET", f"{URL}/{pid}/outcome")).json()
    assert outcome["reach"] == {
        "jobs": 1,
        "reported": 1,
        "total": 2,
        "filtered": 2,
        "sent": 1,
        "errors": 1,
    }
    assert outcome["delivery"]["confirmed"] == 2


async def test_a_tracking_account_publishes_its_links_as_short_links(stack: AdminStack) -> None:
    await _followers(stack)
    acc = stack.ids["demo_account"]
    patched = await stack.call(
        "admin", "PATCH", f"/api/v1/accounts/{acc}", json={"track_clicks": True}
    )
    assert patched.json()["track_clicks"] is True
    pid = await _mass_draft(stack, text="本周周报：https://fund.example.com/weekly?w=48。")
    await stack.call("sh_editor", "POST", f"{URL}/{pid}/submit")
    await stack.call("approver", "POST", f"{URL}/{pid}/approve", json={})
    assert await run_due(stack.state) == 3
    [message] = await _collect(stack)
    assert message.custom_message is not None
    content = message.custom_message["text"]["content"]
    prefix = f"{stack.state.settings.short_link_base}/r/"
    assert content.startswith(f"本周周报：{prefix}")
    assert content.endswith("。")
    async with stack.sessions() as session:
        links = list(await session.scalars(select(ShortLink)))
    assert [(lk.url, lk.publication_id, lk.openid) for lk in links] == [
        ("https://fund.example.com/weekly?w=48", pid, None)
    ]
