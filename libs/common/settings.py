"""Settings shared by every service (12-factor: environment variables with the ``WXHUB_`` prefix).

Each service subclasses :class:`CommonSettings` in its own ``settings.py``. Instances are built on
demand (``Settings()``), never at import time, so tests and the all-in-one dev process can build
as many differently configured instances as they need.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.secret_box import MIN_SECRET_ENTROPY_BITS, estimated_entropy_bits

# Values that are fine on a developer's laptop and must never reach production.
DEV_SECRET_KEY = "wxhub-dev-secret-key-not-for-production"


class CommonSettings(BaseSettings):
    """What every wxhub process needs to know about its surroundings."""

    model_config = SettingsConfigDict(env_prefix="WXHUB_", extra="ignore")

    env: Literal["dev", "test", "prod"] = "dev"
    service_name: str = "wxhub"
    instance_id: str = ""

    # Storage and messaging. No AMQP URL means the in-process bus (the embedded default);
    # no Redis URL means an in-process dedup store (only correct with a single gateway).
    database_url: str = "sqlite+aiosqlite:///./var/wxhub.db"
    amqp_url: str | None = None
    redis_url: str | None = None
    amqp_queue_type: Literal["quorum", "classic"] = "quorum"
    # Prefix for every exchange, queue and ledger key, so isolated stacks can share one broker.
    bus_namespace: str = ""
    amqp_prefetch: int = 256
    # Database pool per process. ``pool_pre_ping`` costs three round trips on every checkout, so
    # it is off: a connection the server closed (a restart) is replaced at checkout anyway, and
    # one that dies unnoticed fails its statement, so the message is retried (see make_engine).
    db_pool_size: int = 10
    db_pool_pre_ping: bool = False

    # Network. Ports are those of docs/architecture.md's embedded default.
    host: str = "127.0.0.1"
    gateway_port: int = 8080
    admin_port: int = 8081
    stats_port: int = 8082
    engine_port: int = 8083
    dispatcher_port: int = 8084
    # Probes and /metrics on their own port (production: keep them off the public listener).
    # Unset: served on the service's port above (the embedded default).
    gateway_ops_port: int | None = None
    admin_ops_port: int | None = None
    stats_ops_port: int | None = None
    engine_ops_port: int | None = None
    dispatcher_ops_port: int | None = None
    wechat_sandbox_port: int = 8090
    sms_sandbox_port: int = 8091
    core_sandbox_port: int = 8092
    # How many calls (and WeChat deliveries) each sandbox keeps in its log (`python -m sandboxes`).
    sandbox_call_log_size: int = 10_000

    # Outside systems.
    wechat_api_base: str = "https://api.weixin.qq.com"
    # Where WeChat's web-authorisation page lives (网页授权, /h5/oauth/…).
    wechat_oauth_base: str = "https://open.weixin.qq.com"
    sms_url: str | None = None
    core_url: str = "http://127.0.0.1:8092"
    core_timeout_s: float = 2.0

    # Secrets. The key encrypts secrets at rest and signs admin tokens (a key per purpose, by
    # HKDF). On rotation the old keys stay here (a JSON list) until `wxhub rotate-secrets` ran.
    secret_key: str = DEV_SECRET_KEY
    previous_secret_keys: tuple[str, ...] = ()

    # Second-level pages (/h5/…, R-EN-5): the public base URL chat links point to (HTTPS in
    # production; the gateway serves the pages) and how long a signed page link stays valid.
    h5_base_url: str = "http://127.0.0.1:8080"
    h5_link_ttl_s: float = 600.0
    # Tracked short links (R-ST-3): the public base URL of the stats service's /r/<code>
    # (HTTPS in production); empty: http://{host}:{stats_port}.
    stats_public_url: str = ""
    # Extra answer plug-ins: "package.module" or "package.module:function", each given the
    # registry. The engine answers with them; the admin API accepts the names they register.
    plugins: list[str] = Field(default_factory=list)

    # Observability.
    log_level: str = "INFO"
    log_json: bool = False
    # One line per HTTP request with a request id (costs about as much as a callback: opt-in).
    log_access: bool = False
    heartbeat_interval_s: float = 10.0

    @model_validator(mode="after")
    def _refuse_weak_secrets_in_prod(self) -> CommonSettings:
        if self.env != "prod":
            return self
        if self.secret_key == DEV_SECRET_KEY or DEV_SECRET_KEY in self.previous_secret_keys:
            raise ValueError("WXHUB_SECRET_KEY must be set to a real secret when WXHUB_ENV=prod")
        if estimated_entropy_bits(self.secret_key) < MIN_SECRET_ENTROPY_BITS:
            raise ValueError(
                "WXHUB_SECRET_KEY is too weak for WXHUB_ENV=prod: it needs at least "
                f"{MIN_SECRET_ENTROPY_BITS // 8} random bytes, e.g. the output of "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return self

    @property
    def short_link_base(self) -> str:
        """Where short links point: ``stats_public_url`` or the local stats service."""
        return (self.stats_public_url or f"http://{self.host}:{self.stats_port}").rstrip("/")

    @property
    def uses_amqp(self) -> bool:
        """True when the services talk through RabbitMQ rather than the in-process bus."""
        return bool(self.amqp_url)
