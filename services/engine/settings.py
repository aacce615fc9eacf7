"""Engine settings (``WXHUB_`` environment variables)."""

from __future__ import annotations

from pydantic import Field

from libs.common.cs.settings import CsSettings


class EngineSettings(CsSettings):
    """What the engine needs beyond the common settings."""

    service_name: str = "engine"
    # Nearest-location search (R-EN-3).
    nearby_radius_km: float = 5.0
    nearby_max_results: int = 8
    # How long command/menu configuration is cached; admin changes show up within this time.
    config_cache_s: float = 5.0
    # Answer used when no command matches a text message (a chatbot plug-in can take this over).
    fallback_answer: str = "help"
    # Personal services (R-EN-4/5): words answered when no configured command matches them (a
    # configured command of the same text wins), the menu key that asks for the binding link,
    # and how many transactions "明细" lists.
    personal_commands: dict[str, str] = Field(
        default_factory=lambda: {
            "绑定": "bind_link",
            "余额": "balance",
            "查询余额": "balance",
            "明细": "transactions",
            "交易明细": "transactions",
            "解绑": "unbind_link",
            "订阅": "subscriptions_link",
            "服务订阅": "subscriptions_link",
            "绑定手机": "phone_link",
        }
    )
    bind_menu_key: str = "BIND"
    # Message kind → the answer that gets such messages: an image-recognition or speech-to-text
    # plug-in of WXHUB_PLUGINS, e.g. {"image": "ocr", "voice": "speech"} (kinds: image, voice,
    # video, shortvideo). A voice whose Recognition matches a command still gets the command.
    media_answers: dict[str, str] = Field(default_factory=dict)
    transactions_count: int = 5
    # inbound.handled events go out in batches this often (statistics and service windows).
    event_batch_interval_s: float = 1.0
    # Material replies (R-EN-12): a temporary media id is uploaded again this long before it
    # expires (WeChat keeps temporary media 3 days); uploads may take this long.
    media_refresh_margin_s: float = 3600.0
    media_upload_timeout_s: float = 10.0
    # Followers who interacted are written to ``customers`` (new rows, last_interaction_at) in
    # one upsert this often, or as soon as this many are waiting.
    interaction_flush_interval_s: float = 5.0
    interaction_flush_max: int = 500
    # last_interaction_at is kept to this precision: a follower written within it is not noted.
    interaction_resolution_s: float = 60.0
    # How often idle customer-service sessions are looked for and closed.
    cs_sweep_interval_s: float = 5.0
