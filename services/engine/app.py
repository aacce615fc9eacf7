"""Wiring: ``build(settings, resources)`` returns the engine as a runnable :class:`Service`."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from libs.common.bus import ENGINE_INBOUND, EVENTS, Subscription, typed_handler
from libs.common.bus.batcher import EventBatcher
from libs.common.h5_links import H5LinkSigner
from libs.common.http_errors import install_error_handlers
from libs.common.material_storage import DatabaseMaterialStorage
from libs.common.observability.health import probe_routes
from libs.common.observability.heartbeat import Heartbeat
from libs.common.periodic import Periodic
from libs.common.resources import Resources
from libs.common.schemas.events import InboundHandled, InboundHandledBatch
from libs.common.schemas.inbound import InboundReceived
from libs.common.short_links import ROUTE_PREFIX
from services.engine.answers import default_registry
from services.engine.config import AccountConfigCache
from services.engine.core_system import HttpCoreSystem
from services.engine.customer_service import CustomerService
from services.engine.handlers import InboundHandler
from services.engine.interactions import InteractionBook
from services.engine.locations import LocationFinder
from services.engine.media_replies import MediaReplies
from services.engine.personal import CustomerDirectory, PageLinks
from services.engine.registry import AnswerContext
from services.engine.responder import Responder
from services.engine.settings import EngineSettings

# How "help" describes the built-in personal commands.
PERSONAL_HELP = {
    "bind_link": "绑定身份后可查询本人账户",
    "balance": "查询本人账户余额（需先绑定）",
    "transactions": "查询最近交易明细（需先绑定）",
    "unbind_link": "解除身份绑定",
    "subscriptions_link": "选择接收的业务提醒（需先绑定）",
    "phone_link": "短信验证绑定手机号",
}


def _personal_help(commands: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """One help line per built-in answer: its first word (the others are synonyms)."""
    first: dict[str, str] = {}
    for word, handler in commands.items():
        if handler in PERSONAL_HELP:
            first.setdefault(handler, word)
    return tuple((word, PERSONAL_HELP[handler]) for handler, word in first.items())


# Message kinds WXHUB_MEDIA_ANSWERS may route to a plug-in.
MEDIA_KINDS = frozenset({"image", "voice", "video", "shortvideo"})


def check_media_answers(media_answers: dict[str, str], known: list[str]) -> None:
    """Refuse to start with a media route to an unknown kind or an answer nobody registered."""
    for kind, answer in media_answers.items():
        if kind not in MEDIA_KINDS:
            raise ValueError(f"WXHUB_MEDIA_ANSWERS: {kind!r} is not one of {sorted(MEDIA_KINDS)}")
        if answer not in known:
            raise ValueError(
                f"WXHUB_MEDIA_ANSWERS: {kind} → {answer!r}, an answer no plug-in registers"
            )


class EngineService:
    """Consumes ``engine.inbound`` and answers; probes and metrics over HTTP."""

    name = "engine"

    def __init__(self, settings: EngineSettings, resources: Resources) -> None:
        self.settings = settings
        self.port = settings.engine_port
        self.ops_port = settings.engine_ops_port
        self.resources = resources
        # Answers first: a plug-in setting that names nothing stops the engine before it opens
        # anything.
        self.registry = default_registry()
        self.registry.load_plugins(settings.plugins)
        check_media_answers(settings.media_answers, self.registry.names())
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.core_timeout_s),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )
        # WeChat uploads (material replies) may take longer than a core-system question.
        self.wechat_http = httpx.AsyncClient(timeout=httpx.Timeout(settings.media_upload_timeout_s))
        self.media = MediaReplies(
            sessions=resources.sessions,
            storage=DatabaseMaterialStorage(),
            http=self.wechat_http,
            box=resources.secret_box,
            api_base=settings.wechat_api_base,
            refresh_margin_s=settings.media_refresh_margin_s,
        )
        self.configs = AccountConfigCache(resources.sessions, ttl_s=settings.config_cache_s)
        context = AnswerContext(
            core=HttpCoreSystem(self.http, settings.core_url),
            locations=LocationFinder(
                resources.sessions,
                radius_km=settings.nearby_radius_km,
                max_results=settings.nearby_max_results,
                ttl_s=settings.config_cache_s,
            ),
            customers=CustomerDirectory(resources.sessions, resources.secret_box),
            links=PageLinks(
                H5LinkSigner(
                    settings.secret_key,
                    settings.previous_secret_keys,
                    ttl_s=settings.h5_link_ttl_s,
                ),
                settings.h5_base_url,
            ),
            builtin_help=_personal_help(settings.personal_commands),
            media=self.media,
        )
        self.events: EventBatcher[InboundHandled, InboundHandledBatch] = EventBatcher(
            resources.bus,
            EVENTS,
            "inbound.handled",
            lambda items: InboundHandledBatch(items=items),
            interval_s=settings.event_batch_interval_s,
        )
        self.customer_service = CustomerService(
            sessions=resources.sessions, bus=resources.bus, settings=settings
        )
        self.idle_sweeper = Periodic(
            self.customer_service.close_idle,
            interval_s=settings.cs_sweep_interval_s,
            name="customer-service idle sweeper",
        )
        self.interactions = InteractionBook(
            resources.sessions,
            interval_s=settings.interaction_flush_interval_s,
            max_entries=settings.interaction_flush_max,
            resolution_s=settings.interaction_resolution_s,
        )
        self.handler = InboundHandler(
            bus=resources.bus,
            ledger=resources.ledger,
            sessions=resources.sessions,
            configs=self.configs,
            responder=Responder(
                self.registry,
                context,
                fallback_answer=settings.fallback_answer,
                builtin_commands=settings.personal_commands,
                builtin_params={"transactions": {"limit": settings.transactions_count}},
                bind_menu_key=settings.bind_menu_key,
                media_answers=settings.media_answers,
            ),
            events=self.events,
            customer_service=self.customer_service,
            short_link_prefix=settings.short_link_base + ROUTE_PREFIX,
            interactions=self.interactions,
        )
        self.heartbeat = Heartbeat(
            resources.bus,
            service=self.name,
            instance_id=settings.instance_id or "engine",
            interval_s=settings.heartbeat_interval_s,
        )
        self.app = Starlette(
            routes=probe_routes(
                self.name, {"bus": resources.bus.ping, "ledger": resources.ledger.ping}
            )
        )
        install_error_handlers(self.app)
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        """Start consuming inbound messages and the heartbeat."""
        self._subscription = await self.resources.bus.consume(
            ENGINE_INBOUND, typed_handler(InboundReceived, self.handler)
        )
        await self.events.start()
        await self.interactions.start()
        await self.heartbeat.start()
        await self.idle_sweeper.start()

    async def stop(self) -> None:
        """Stop consuming (unacked messages go back to the queue), then close the HTTP client."""
        if self._subscription is not None:
            await self._subscription.cancel()
        await self.idle_sweeper.stop()
        await self.heartbeat.stop()
        await self.events.stop()
        await self.interactions.stop()
        await self.http.aclose()
        await self.wechat_http.aclose()


def build(settings: EngineSettings, resources: Resources) -> EngineService:
    """Assemble the engine on the given connections."""
    return EngineService(settings, resources)
