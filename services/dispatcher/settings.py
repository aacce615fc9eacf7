"""Dispatcher settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from libs.common.settings import CommonSettings

# WeChat publishes daily caps only (docs/wechat-protocol.md §10: custom 500,000/day, template
# 100,000/day base); per-second ceilings are unpublished and signalled by 45011. These defaults
# are the sustained rates we allow ourselves per account and API; operators tune them per account.
DEFAULT_API_RATES: dict[str, float] = {
    "wechat_custom": 2000.0,
    "wechat_template": 2000.0,
    "sms": 1000.0,
}

# The channels this dispatcher can use: name → factory (``"package.module:function"`` taking a
# ``ChannelContext``); see services/dispatcher/channels/__init__.py.
DEFAULT_CHANNELS: dict[str, str] = {
    "wechat_custom": "services.dispatcher.channels.wechat:build_custom",
    "wechat_template": "services.dispatcher.channels.wechat:build_template",
    "wechat_mass": "services.dispatcher.channels.wechat:build_mass",
    "sms": "services.dispatcher.channels.sms:build_sms",
}


class DispatcherSettings(CommonSettings):
    """What the dispatcher needs beyond the common settings."""

    service_name: str = "dispatcher"

    # Concurrency budgets per priority class: separate consumers, prefetch and HTTP pools, so a
    # bulk flood can never occupy what alerts need (R-OUT-3). A delivery mostly waits (HTTP, the
    # shared commit), so these are deliveries in flight, not CPU slots: at 1,000/s and ~50 ms
    # each, 50 are busy; the headroom absorbs slow WeChat answers.
    alert_concurrency: int = 512
    bulk_concurrency: int = 256
    interactions_concurrency: int = 32
    # Keep-alive HTTP connections per priority class and network; sends beyond this wait for a
    # slot before entering the HTTP client (its pool bookkeeping is linear in connections and
    # waiting requests, per request).
    http_connections: int = 32

    # Channels (R-OUT-8): the registry, the order a notification tries them in, and the channel
    # it falls back to when the plan cannot deliver (a reminder type and the request must allow
    # it). Per-channel options (URLs, credentials) of plug-in channels go in channel_options.
    channels: dict[str, str] = DEFAULT_CHANNELS
    channel_plan: list[str] = Field(default_factory=lambda: ["wechat_custom", "wechat_template"])
    fallback_channel: str = "sms"
    channel_options: dict[str, dict[str, Any]] = Field(default_factory=dict)

    # Database: connections per process, and the most claims/finishes written in one commit.
    db_pool_size: int = 8
    # No pre-ping (the default): it would cost round trips on every claim and finish batch. A
    # connection that died meanwhile fails its statement instead; the delivery then requeues its
    # bus message (``Retry``) and the pool replaces the connection.
    db_pool_pre_ping: bool = False
    batch_max: int = 200
    # A claim owns a notification this long, renewed every third of it while its run goes on:
    # another dispatcher takes over a dead worker's notifications after at most this.
    claim_lease_s: float = 10.0
    # delivery.<status> events are published in batches this often.
    events_interval_s: float = 0.2
    # WeChat's job-finish report can overtake our own record of the msgid (the send's answer
    # is committed a moment later): an unmatched report is retried after report_retry_s, then
    # less and less often, until it is report_wait_s old; then it is dropped (it named a
    # message sent by someone else).
    report_wait_s: float = 60.0
    report_retry_s: float = 1.0

    # Rate control (R-OUT-4): token buckets per account and per (account, API). The account
    # bucket is the sum of what its APIs may use.
    account_rate_per_s: float = 5000.0
    api_rates_per_s: dict[str, float] = DEFAULT_API_RATES
    rate_burst_s: float = 1.0
    # With WXHUB_REDIS_URL set the rates above hold for all dispatcher replicas together (GCRA in
    # Redis). While Redis is unreachable each replica paces itself at rate / rate_limit_replicas:
    # set it to the number of dispatcher replicas (the HPA's maximum when autoscaled).
    rate_limit_replicas: int = Field(default=1, ge=1)

    # Retries (docs/wechat-protocol.md §9): exponential backoff with full jitter, bounded by the
    # message's deadline; 45011 waits longer because the limit is per minute.
    max_attempts: int = 5
    backoff_base_s: float = 0.2
    backoff_max_s: float = 5.0
    throttle_backoff_s: float = 10.0

    # Access tokens (R-OUT-5): refresh this long before expiry, under a lease of this length.
    token_refresh_margin_s: float = 300.0
    token_lease_s: float = 15.0
    prefer_stable_token: bool = True

    # Delay budget from acceptance to delivery before falling back (R-PERF-6).
    default_deadline_s: float = 30.0
    http_timeout_s: float = 5.0
    # Outbound HTTP proxy (http://[user:password@]host:port) for WeChat and the SMS gateway.
    # Unset: HTTPS_PROXY/HTTP_PROXY from the environment; NO_PROXY exempts hosts either way.
    http_proxy: str | None = None

    # Customer-service windows (docs/wechat-protocol.md §8.2), config because WeChat changes them.
    message_window_s: float = 48 * 3600.0
    message_window_quota: int = 5
    event_window_s: float = 60.0
    event_window_quota: int = 3

    # Reminder types / accounts are re-read from the database after this long.
    config_cache_s: float = 5.0
