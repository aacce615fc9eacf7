"""Migration 0022: stored customer numbers become ciphertext + lookup token
under the environment's platform key, and come back in clear on downgrade, on both backends."""

from __future__ import annotations

import asyncio

from libs.common.customer_numbers import PURPOSE, opened
from libs.common.secret_box import SecretBox
from tests.libs.common.db.support import SealingRoundTrip, execute


class TestMigration0022(SealingRoundTrip):
    revision = "0022"
    parent = "0021"
    key = "migration-0019-test-key"
    database = "wxhub_mig_custno"

    def seed(self, url: str) -> None:
        for openid, number in (("oBound", "C00000042"), ("oPlain", None)):
            asyncio.run(
                execute(
                    url,
                    "INSERT INTO customers (account_id, openid, subscribed, subscribe_scene,"
                    " binding_state, customer_no, created_at, updated_at)"
                    " SELECT id, :openid, true, '', 'bound', :no, CURRENT_TIMESTAMP,"
                    " CURRENT_TIMESTAMP FROM accounts WHERE code = 'm'",
                    openid=openid,
                    no=number,
                )
            )

    def check_sealed(self, url: str, box: SecretBox) -> None:
        rows = asyncio.run(
            execute(
                url,
                "SELECT openid, customer_no_enc, customer_no_token FROM customers ORDER BY openid",
            )
        )
        bound = rows[0]
        assert bound[0] == "oBound"
        assert "C00000042" not in bound[1]
        assert opened(box, bound[1]) == "C00000042"
        assert bound[2] == box.token("C00000042", PURPOSE)
        assert tuple(rows[1]) == ("oPlain", None, None)

    def check_opened(self, url: str) -> None:
        back = asyncio.run(
            execute(url, "SELECT openid, customer_no FROM customers ORDER BY openid")
        )
        assert [tuple(r) for r in back] == [("oBound", "C00000042"), ("oPlain", None)]
