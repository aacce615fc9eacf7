"""Storing notifications: ids."""

from __future__ import annotations

from services.gateway.notifications.persistence import new_notification_id


def test_notification_ids_are_32_hex_and_time_ordered() -> None:
    ids = [new_notification_id() for _ in range(50)]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert len(set(ids)) == 50
    assert [i[:12] for i in ids] == sorted(i[:12] for i in ids)
