"""Migration 0024: the numbers stored on notifications become ciphertext under the environment's
platform key, and come back in clear on downgrade, on both backends."""

from __future__ import annotations

import asyncio

from libs.common.secret_box import SecretBox
from tests.libs.common.db.support import SealingRoundTrip, execute

RECIPIENTS = (
    ("n1", "C00000042", "13800000042"),
    ("n2", None, "13900000007"),
    ("n3", None, None),
)


class TestMigration0024(SealingRoundTrip):
    revision = "0024"
    parent = "0023"
    key = "migration-0024-test-key"
    database = "wxhub_mig_notif_recipients"

    def seed(self, url: str) -> None:
        for nid, number, phone in RECIPIENTS:
            asyncio.run(
                execute(
                    url,
                    "INSERT INTO notifications (id, account_id, event_type, priority, openid,"
                    " customer_no, phone, data, fallback, deadline_at, status, attempts,"
                    " created_at, updated_at)"
                    " SELECT :id, id, 'e', 'alert', 'o', :no, :phone, '{}', 'sms',"
                    " CURRENT_TIMESTAMP, 'accepted', 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP"
                    " FROM accounts WHERE code = 'm'",
                    id=nid,
                    no=number,
                    phone=phone,
                )
            )

    def check_sealed(self, url: str, box: SecretBox) -> None:
        rows = asyncio.run(
            execute(url, "SELECT id, customer_no_enc, phone_enc FROM notifications ORDER BY id")
        )
        n1, n2, n3 = rows
        assert "C00000042" not in n1[1]
        assert "13800000042" not in n1[2]
        assert (box.decrypt(n1[1]), box.decrypt(n1[2])) == ("C00000042", "13800000042")
        assert n2[1] is None
        assert box.decrypt(n2[2]) == "13900000007"
        assert tuple(n3) == ("n3", None, None)

    def check_opened(self, url: str) -> None:
        back = asyncio.run(
            execute(url, "SELECT id, customer_no, phone FROM notifications ORDER BY id")
        )
        assert [tuple(r) for r in back] == list(RECIPIENTS)
