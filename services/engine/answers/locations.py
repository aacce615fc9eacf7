"""``nearest_locations``: service centres, branches and events near the user's location (R-EN-3)."""

from __future__ import annotations

from libs.common.wechat import Article, NewsReply, Reply, TextReply
from services.engine.geo import format_distance
from services.engine.locations import NearbyPlace
from services.engine.registry import AnswerContext, AnswerRegistry, AnswerRequest

KIND_NAMES = {"branch": "网点", "atm": "自助终端", "promotion": "活动"}
ASK_FOR_LOCATION = (
    "请点击输入框旁的“+”，选择“位置”发送您的当前位置，我们将为您查找附近的理财中心和网点。"
)


def _line(nearby: NearbyPlace) -> str:
    place = nearby.place
    kind = KIND_NAMES.get(place.kind, place.kind)
    return f"[{kind}] {place.name}（{format_distance(nearby.distance_km)}）{place.address}"


async def nearest_locations_answer(ctx: AnswerContext, request: AnswerRequest) -> Reply:
    """A news reply listing the nearest places, nearest first, each with its distance."""
    latitude = getattr(request.message, "latitude", None)
    longitude = getattr(request.message, "longitude", None)
    if latitude is None or longitude is None:
        return TextReply(content=ASK_FOR_LOCATION)
    kinds = request.params.get("kinds")
    radius = request.params.get("radius_km")
    nearby = await ctx.locations.nearest(
        request.account.id,
        float(latitude),
        float(longitude),
        kinds=set(kinds) if kinds else None,
        radius_km=float(radius) if radius else None,
    )
    if not nearby:
        km = float(radius) if radius else ctx.locations.radius_km
        return TextReply(content=f"您附近 {km:g} 公里内暂无理财中心或网点，请换个位置再试。")
    if request.is_user_message:
        # A passive reply to a user's message may carry one article only: list the rest inside it.
        first = nearby[0].place
        return NewsReply(
            articles=(
                Article(
                    title=f"离您最近：{first.name}（{format_distance(nearby[0].distance_km)}）",
                    description="\n".join(_line(n) for n in nearby),
                    pic_url=first.pic_url,
                    url=first.url,
                ),
            ),
            max_articles=1,
        )
    return NewsReply(
        articles=tuple(
            Article(
                title=_line(n),
                description=f"{n.place.opening_hours} {n.place.phone}".strip(),
                pic_url=n.place.pic_url,
                url=n.place.url,
            )
            for n in nearby[:8]
        ),
        max_articles=8,
    )


def register(registry: AnswerRegistry) -> None:
    """Register this module's answers."""
    registry.add("nearest_locations", nearest_locations_answer)
