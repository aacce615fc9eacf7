"""The business-API peer of ``bench.outbound`` writes the same table as wxhub: its insert must
name only columns the current schema has (a renamed column once made every peer request a 500)."""

from __future__ import annotations

import re

from bench.peers.notifications_api import INSERT
from libs.common.db.models import Notification


def test_the_peers_insert_names_only_columns_of_the_notifications_table() -> None:
    match = re.search(r"INSERT INTO notifications \(([^)]*)\)", INSERT)
    assert match is not None
    named = {column.strip() for column in match.group(1).split(",")}
    assert named - set(Notification.__table__.columns.keys()) == set()
    # Phones are stored sealed, as wxhub stores them.
    assert "phone_enc" in named
