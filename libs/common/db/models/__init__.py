"""ORM models shared by every service; import from here so Alembic sees all tables."""

from libs.common.db.models._base import Base, Timestamped, UtcDateTime, utcnow
from libs.common.db.models.account import Account
from libs.common.db.models.command import Command, MenuAction
from libs.common.db.models.customer import Customer
from libs.common.db.models.location import Location
from libs.common.db.models.notification import (
    AccessToken,
    BusinessSystem,
    Notification,
    NotificationEvent,
    NotificationJob,
    ReminderType,
    ServiceWindow,
)

__all__ = [
    "AccessToken",
    "Account",
    "Base",
    "BusinessSystem",
    "Command",
    "Customer",
    "Location",
    "MenuAction",
    "Notification",
    "NotificationEvent",
    "NotificationJob",
    "ReminderType",
    "ServiceWindow",
    "Timestamped",
    "UtcDateTime",
    "utcnow",
]
