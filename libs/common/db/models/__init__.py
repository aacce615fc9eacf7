"""ORM models shared by every service; import from here so Alembic sees all tables."""

from libs.common.db.models._base import Base, Timestamped, UtcDateTime, utcnow
from libs.common.db.models.account import Account
from libs.common.db.models.application import Application
from libs.common.db.models.command import Command, MenuAction
from libs.common.db.models.content import (
    ConfigDocument,
    ConfigVersion,
    Material,
    MaterialChunk,
    Menu,
)
from libs.common.db.models.cs import (
    CsAgent,
    CsCannedReply,
    CsConfig,
    CsFeedItem,
    CsMessage,
    CsSession,
    CsTicket,
)
from libs.common.db.models.customer import Customer, ReminderOptOut
from libs.common.db.models.customer_admin import CustomerProfile, Handover, SavedAudience
from libs.common.db.models.follower_sync import FollowerSyncJob
from libs.common.db.models.heartbeat import ServiceHeartbeat
from libs.common.db.models.identity import BindingFailure, H5LinkUse, OperationCount, PhoneCode
from libs.common.db.models.location import Location
from libs.common.db.models.media_upload import MediaUpload
from libs.common.db.models.notification import (
    AccessToken,
    BusinessSystem,
    Notification,
    NotificationEvent,
    NotificationJob,
    ReminderType,
    ServiceWindow,
)
from libs.common.db.models.operators import (
    AccountGrant,
    AdminUser,
    AuditEntry,
    AuthSession,
    Org,
    Role,
    user_roles,
)
from libs.common.db.models.publication import MassQuotaEntry, Publication, PublicationRecipient
from libs.common.db.models.short_link import ShortLink
from libs.common.db.models.stats import (
    CS_DURATION_BOUNDS_MS,
    LATENCY_BOUNDS_MS,
    ROLLUP_TABLES,
    StatsEvent,
    StatsRollupDay,
    StatsRollupHour,
    StatsRollupMinute,
)

__all__ = [
    "CS_DURATION_BOUNDS_MS",
    "LATENCY_BOUNDS_MS",
    "ROLLUP_TABLES",
    "AccessToken",
    "Account",
    "AccountGrant",
    "AdminUser",
    "Application",
    "AuditEntry",
    "AuthSession",
    "Base",
    "BindingFailure",
    "BusinessSystem",
    "Command",
    "ConfigDocument",
    "ConfigVersion",
    "CsAgent",
    "CsCannedReply",
    "CsConfig",
    "CsFeedItem",
    "CsMessage",
    "CsSession",
    "CsTicket",
    "Customer",
    "CustomerProfile",
    "FollowerSyncJob",
    "H5LinkUse",
    "Handover",
    "Location",
    "MassQuotaEntry",
    "Material",
    "MaterialChunk",
    "MediaUpload",
    "Menu",
    "MenuAction",
    "Notification",
    "NotificationEvent",
    "NotificationJob",
    "OperationCount",
    "Org",
    "PhoneCode",
    "Publication",
    "PublicationRecipient",
    "ReminderOptOut",
    "ReminderType",
    "Role",
    "SavedAudience",
    "ServiceHeartbeat",
    "ServiceWindow",
    "ShortLink",
    "StatsEvent",
    "StatsRollupDay",
    "StatsRollupHour",
    "StatsRollupMinute",
    "Timestamped",
    "UtcDateTime",
    "user_roles",
    "utcnow",
]
