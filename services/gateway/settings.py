"""Gateway settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from libs.common.operation_limits import DEFAULT_DAILY_LIMITS
from libs.common.settings import CommonSettings

# A product code as stored on an application (applications.product).
_PRODUCT_CODE = re.compile(r"^[a-z0-9_]{1,32}$")


class GatewaySettings(CommonSettings):
    """What the gateway needs beyond the common settings."""

    service_name: str = "gateway"
    max_body_bytes: int = 1_048_576
    # WeChat gives up after 5 s; answer before that with whatever we have.
    reply_deadline_s: float = 4.5
    # Freshness window for the query's timestamp (WeChat documents none; 0 disables the check).
    timestamp_tolerance_s: int = 300
    account_refresh_s: float = 5.0

    # Business-system notification API (R-OUT-1).
    # Signed requests older or newer than this are refused as replays.
    api_timestamp_tolerance_s: int = 300
    api_max_body_bytes: int = 4 * 1024 * 1024
    # Systems, accounts and reminder types are re-read at most this often (hot path: no DB).
    api_config_ttl_s: float = 5.0
    batch_max: int = 1000
    csv_max_bytes: int = 10 * 1024 * 1024
    csv_max_rows: int = 100_000
    csv_chunk_rows: int = 500
    # Publishes in flight per batch; the AMQP confirm channel pipelines them.
    publish_concurrency: int = 256
    # Accepted rows that may never have reached the bus are republished (see sweeper.py).
    # It starts soon (an alert's deadline is 30 s) and pages through a backlog in one sweep.
    republish_interval_s: float = 5.0
    republish_after_s: float = 10.0
    republish_batch: int = 500
    republish_max_pages: int = 20
    # A retry with a known idempotency key republishes its row if it is still ``accepted`` and
    # was stored (or republished) at least this long ago (its gateway may have died unpublished).
    republish_duplicate_after_s: float = 1.0

    # Identity binding on the second-level page /h5/bind (R-EN-5): this many failed checks of one
    # openid within the window lock binding for it until the oldest failure leaves the window.
    bind_max_failures: int = 5
    bind_failure_window_s: float = 86_400.0
    h5_max_form_bytes: int = 4096
    # Phone binding (绑定手机, /h5/phone): a 6-digit code by SMS (WXHUB_SMS_URL), valid this
    # long, this many wrong entries per code, a new code no sooner than this after the last; the
    # text has {code} and {minutes}.
    # Daily caps per customer and operation (R-EN-10; operations in
    # libs/common/operation_limits.py), unless the account sets its own in the admin API.
    operation_daily_limits: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_DAILY_LIMITS)
    )
    phone_code_ttl_s: float = 300.0
    phone_code_max_tries: int = 5
    phone_code_resend_s: float = 60.0
    phone_code_sms_text: str = (
        "您正在绑定手机号，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。"
    )
    # Applications of prospects (/h5/apply, R-EN-8): product code → the name shown, and the SMS
    # proving the applicant's number ({code}, {minutes}; validity and tries as for phones).
    application_products: dict[str, str] = Field(
        default_factory=lambda: {
            "credit_card": "标准信用卡",
            "platinum_card": "白金信用卡",
            "fund_account": "基金理财开户",
        }
    )
    application_code_sms_text: str = (
        "您正在提交业务申请，验证码 {code}，{minutes} 分钟内有效。如非本人操作，请忽略本短信。"
    )
    # Transfers (转账汇款, R-EN-9) are never done in chat: /h5/transfer leads into mobile banking
    # at this address (HTTPS; the company's app or its download page).
    mobile_banking_transfer_url: str = "https://mobile-banking.example.com/transfer"
    # Used-link records past their expiry and failures out of the window are deleted this often.
    h5_purge_interval_s: float = 3600.0

    @field_validator("application_products")
    @classmethod
    def _products_fit_the_applications_table(cls, value: dict[str, str]) -> dict[str, str]:
        for code, name in value.items():
            if not _PRODUCT_CODE.match(code) or not 1 <= len(name) <= 64:
                raise ValueError(
                    "application products: codes of 1-32 lower-case letters, digits or _, "
                    "names of 1-64 characters"
                )
        return value
