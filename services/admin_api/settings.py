"""Admin API settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from pydantic import Field, IPvAnyNetwork

from libs.common.cs.settings import CsSettings


class AdminSettings(CsSettings):
    """What the admin API needs beyond the common settings."""

    service_name: str = "admin_api"
    # Identity (R-AD-1): short-lived access tokens, longer refresh tokens, lock-out policy.
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 7 * 24 * 3600
    lockout_threshold: int = 5
    lockout_s: int = 15 * 60
    # Per client address, across users (guessing many usernames): N failures per window → 429.
    login_ip_max_failures: int = 20
    login_ip_window_s: int = 60
    # Per username, across addresses (one name guessed from many addresses, existing or not).
    login_user_max_failures: int = 10
    login_user_window_s: int = 15 * 60
    min_password_length: int = 10
    # Peers whose X-Forwarded-For is believed (load balancers, ingress): the client address is
    # the right-most hop not in these networks. Anyone else's header is ignored. None by default:
    # trusting whole private ranges would let any caller inside them pick its own address.
    # Set it to the load balancers' addresses, e.g. WXHUB_TRUSTED_PROXIES='["10.0.3.0/24"]'.
    trusted_proxies: tuple[IPvAnyNetwork, ...] = ()
    # Mass sends per account per calendar month (service accounts: 4 per follower, §8.4).
    mass_quota_per_month: int = 4
    # How often the scheduler looks for approved publications that are due.
    scheduler_interval_s: float = 5.0
    # Recipients queued per committed batch: a crash re-sends at most this many on resume.
    dispatch_chunk_size: int = 100
    # A publication left in "sending" untouched this long is taken over (its sender died).
    sending_stale_s: float = 120.0
    # Openids per user/info/batchget call of a follower sync (WeChat takes at most 100); each
    # chunk is committed with the job's progress.
    follower_sync_batch_size: int = Field(100, ge=1, le=100)
    # Largest CSV (locations, recipient lists) accepted in one upload.
    max_csv_bytes: int = 5 * 1024 * 1024
    # Customer-service text of the "follow head office" hand-over; {account} is its name.
    handover_text: str = "您好，该问题请关注总部公众号「{account}」咨询，我们将在那里为您服务。"
    # WeChat user simulator: the gateway it posts signed callbacks to ("" → this host's
    # gateway_port), and the only accounts it may act on in production (test accounts).
    gateway_url: str = ""
    simulator_accounts: tuple[str, ...] = ()
    # The built admin app (web/admin/dist); "" → the build folder of this source tree.
    spa_dir: str = ""

    @property
    def gateway_base(self) -> str:
        """Base URL of the gateway's WeChat callback endpoint."""
        return (self.gateway_url or f"http://{self.host}:{self.gateway_port}").rstrip("/")

    # Customer-service console sockets: a ping this often; silent for three pings, closed.
    cs_ws_heartbeat_s: float = 20.0
    # A console gone this long (no replica holds a socket of the agent) releases the agent's
    # sessions back to the head of the queue; checked every cs_console_check_s.
    cs_console_grace_s: float = 60.0
    cs_console_check_s: float = 10.0
