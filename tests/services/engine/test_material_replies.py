"""Commands answering from the material library (R-EN-12): every reply type, media uploaded to
the WeChat API sandbox once and reused until shortly before WeChat's three days are up."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from libs.common.db.models import Account, Command, Material, MediaUpload, Org
from libs.common.material_storage import DatabaseMaterialStorage
from sandboxes import wechat_api
from sandboxes.server import RunningServer, serve
from tests.services.support import InboundStack
from wxhub.demo.account import DEMO
from wxhub.demo.admin import seed_admin_demo
from wxhub.demo.materials import (
    CREDIT_CARD_GUIDE,
    CREDIT_CARD_MENU_KEY,
    CREDIT_CARD_WORDS,
    seed_materials_demo,
)

_msg_ids = itertools.count(8_400_000_000_000_000_000)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
AMR = b"#!AMR\n" + b"\x3c" + b"\x00" * 31
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 300
THREE_DAYS_S = 3 * 24 * 3600


class Clock:
    """The sandbox's clock, which stamps each upload's ``created_at``."""

    def __init__(self) -> None:
        self.offset_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset_s


@pytest.fixture
def clock() -> Clock:
    """A clock the test can turn back."""
    return Clock()


@pytest.fixture
async def wechat(clock: Clock) -> AsyncIterator[tuple[RunningServer, wechat_api.WeChatApiState]]:
    """The WeChat API sandbox on a loopback port."""
    state = wechat_api.WeChatApiState(clock=clock)
    running = await serve(wechat_api.build_app(state), "127.0.0.1", 0)
    yield running, state
    await running.stop()


async def _library(stack: InboundStack) -> dict[str, int]:
    """Materials of every kind and a command per reply type; returns the material ids."""
    storage = DatabaseMaterialStorage()
    files = {"image": (PNG, "png"), "voice": (AMR, "amr"), "video": (MP4, "mp4")}
    async with stack.resources.sessions.begin() as session:
        org = Org(code="media-test", name="素材测试")
        session.add(org)
        await session.flush()
        ids: dict[str, int] = {}
        for kind, (data, fmt) in files.items():

            async def chunks(data: bytes = data) -> AsyncIterator[bytes]:
                yield data

            key = f"test/{kind}"
            size = await storage.write(session, key, chunks())
            material = Material(
                org_id=org.id,
                kind=kind,
                title=f"{kind} 素材",
                storage_key=key,
                filename=f"{kind}.{fmt}",
                format=fmt,
                size=size,
                sha256=f"sha-{kind}",
            )
            session.add(material)
            await session.flush()
            ids[kind] = material.id
        text = Material(org_id=org.id, kind="text", title="t", text="营业时间：9:00-17:00")
        news = Material(
            org_id=org.id,
            kind="news",
            title="新基金发行",
            articles=[
                {
                    "title": "新基金发行",
                    "digest": "认购期 12 月 8 日起",
                    "content": "<p>…</p>",
                    "cover_material_id": ids["image"],
                    "content_source_url": "https://fund.example/new",
                }
            ],
        )
        session.add_all([text, news])
        await session.flush()
        ids |= {"text": text.id, "news": news.id}
        account_id = await session.scalar(select(Account.id).where(Account.code == DEMO.code))
        assert account_id is not None
        params: dict[str, dict[str, Any]] = {
            "图片": {"reply_type": "image", "material_id": ids["image"]},
            "语音": {"reply_type": "voice", "material_id": ids["voice"]},
            "视频": {
                "reply_type": "video",
                "material_id": ids["video"],
                "title": "开户指南",
                "description": "三分钟看懂",
            },
            "音乐": {
                "reply_type": "music",
                "material_id": ids["image"],
                "title": "晨间播报",
                "music_url": "https://fund.example/a.mp3",
            },
            "图文": {"reply_type": "news", "material_id": ids["news"]},
            "文本": {"reply_type": "text", "material_id": ids["text"]},
            "失踪": {"reply_type": "image", "material_id": 999_999},
            "错类": {"reply_type": "voice", "material_id": ids["image"]},
        }
        for word, p in params.items():
            session.add(
                Command(
                    account_id=account_id,
                    name=word,
                    match_kind="exact",
                    pattern=word,
                    handler="material",
                    params=p,
                )
            )
    return ids


async def _ask(stack: InboundStack, text: str) -> dict[str, Any]:
    response = await stack.post(stack.pusher.text("oMedia", text, msg_id=next(_msg_ids)))
    if response.content == b"success":
        return {}
    return stack.reply_fields(response)


@pytest.fixture
async def media_stack(make_stack: Any, wechat: Any) -> InboundStack:
    """Gateway + engine whose WeChat API is the sandbox."""
    running, _ = wechat
    stack: InboundStack = await make_stack(wechat_api_base=running.url)
    return stack


async def test_every_reply_type_from_the_library(media_stack: InboundStack, wechat: Any) -> None:
    stack, (_, sandbox) = media_stack, wechat
    ids = await _library(stack)

    image = await _ask(stack, "图片")
    assert image["MsgType"] == "image"
    media_id = image["Image"]["MediaId"]
    assert sandbox.media[media_id]["type"] == "image"
    assert sandbox.media[media_id]["filename"] == "image.png"

    voice = await _ask(stack, "语音")
    assert voice["MsgType"] == "voice"
    assert sandbox.media[voice["Voice"]["MediaId"]]["type"] == "voice"

    video = await _ask(stack, "视频")
    assert video["MsgType"] == "video"
    assert (video["Video"]["Title"], video["Video"]["Description"]) == ("开户指南", "三分钟看懂")
    assert sandbox.media[video["Video"]["MediaId"]]["type"] == "video"

    music = await _ask(stack, "音乐")
    assert music["MsgType"] == "music"
    assert music["Music"]["MusicUrl"] == "https://fund.example/a.mp3"
    assert music["Music"]["Title"] == "晨间播报"
    assert sandbox.media[music["Music"]["ThumbMediaId"]]["type"] == "thumb"

    news = await _ask(stack, "图文")
    assert news["MsgType"] == "news"
    article = news["Articles"]["item"]
    article = article[0] if isinstance(article, list) else article
    assert article["Title"] == "新基金发行"
    assert article["Description"] == "认购期 12 月 8 日起"
    assert article["Url"] == "https://fund.example/new"
    assert article["PicUrl"].startswith("http://mmbiz.qpic.cn/sandbox/perm_image_")

    text = await _ask(stack, "文本")
    assert text == {**text, "MsgType": "text", "Content": "营业时间：9:00-17:00"}

    # A material that is gone, or of the wrong kind, answers nothing rather than failing.
    assert await _ask(stack, "失踪") == {}
    assert await _ask(stack, "错类") == {}

    async with stack.resources.sessions() as session:
        stored = {
            (row.material_id, row.media_type): row
            for row in await session.scalars(select(MediaUpload))
        }
    assert stored[ids["image"], "image"].media_id == media_id
    expires = stored[ids["image"], "image"].expires_at
    assert expires is not None
    assert abs((expires - datetime.now(UTC)).total_seconds() - THREE_DAYS_S) < 120
    assert stored[ids["image"], "cover"].expires_at is None  # permanent


async def test_media_is_uploaded_once_and_again_before_it_expires(
    media_stack: InboundStack, wechat: Any, clock: Clock
) -> None:
    stack, (_, sandbox) = media_stack, wechat
    await _library(stack)

    def uploads() -> int:
        return len(sandbox.calls.find("/cgi-bin/media/upload"))

    first = (await _ask(stack, "图片"))["Image"]["MediaId"]
    again = (await _ask(stack, "图片"))["Image"]["MediaId"]
    assert again == first
    assert uploads() == 1

    # Another engine (or this one restarted) finds the stored media id: no upload.
    stack.engine.media.forget()
    assert (await _ask(stack, "图片"))["Image"]["MediaId"] == first
    assert uploads() == 1

    # WeChat dates the next upload 3 days minus 30 minutes ago: inside the refresh margin
    # (an hour) as soon as it is made, so the one after that uploads again.
    clock.offset_s = -(THREE_DAYS_S - 30 * 60)
    stack.engine.media.forget()
    async with stack.resources.sessions.begin() as session:
        for row in await session.scalars(select(MediaUpload)):
            row.expires_at = datetime.now(UTC)  # the stored id has run out
    aged = (await _ask(stack, "图片"))["Image"]["MediaId"]
    assert aged != first
    assert uploads() == 2
    clock.offset_s = 0
    fresh = (await _ask(stack, "图片"))["Image"]["MediaId"]
    assert fresh not in (first, aged)
    assert uploads() == 3
    assert (await _ask(stack, "图片"))["Image"]["MediaId"] == fresh
    assert uploads() == 3


async def test_demo_credit_card_command_answers_with_the_how_to_news(
    media_stack: InboundStack,
) -> None:
    stack = media_stack
    base = "https://pages.example"
    async with stack.resources.sessions.begin() as session:
        await seed_admin_demo(session, stack.resources.secret_box)
        # Seeding twice (every `make run`) adds nothing.
        await seed_materials_demo(session, base)
        await seed_materials_demo(session, base)
    async with stack.resources.sessions() as session:
        guides = (
            await session.scalars(select(Material).where(Material.title == CREDIT_CARD_GUIDE))
        ).all()
        commands = (
            await session.scalars(select(Command).where(Command.handler == "material"))
        ).all()
    assert len(guides) == 1
    assert [(c.pattern, c.params["material_id"]) for c in commands] == [
        (CREDIT_CARD_WORDS, guides[0].id)
    ]

    # A text message's passive reply carries one article (WeChat's limit): the how-to itself.
    news = await _ask(stack, "信用卡")
    assert news["MsgType"] == "news"
    [first] = news["Articles"]["item"]
    assert (first["Title"], first["Url"]) == (
        CREDIT_CARD_GUIDE,
        f"{base}/h5/oauth/{DEMO.code}/apply",
    )
    assert "进度" in first["Description"]
    # The menu key's click (an event) gets every article.
    click = stack.pusher.event(
        "oMedia", "CLICK", create_time=int(time.time()), EventKey=CREDIT_CARD_MENU_KEY
    )
    items = stack.reply_fields(await stack.post(click))["Articles"]["item"]
    assert [(item["Title"], item["Url"]) for item in items] == [
        (CREDIT_CARD_GUIDE, f"{base}/h5/oauth/{DEMO.code}/apply"),
        ("绑定手机，审批结果及时通知", f"{base}/h5/oauth/{DEMO.code}/phone"),
    ]
    # The help text lists it.
    help_text = await _ask(stack, "帮助")
    assert "信用卡：信用卡办理指南（图文）" in help_text["Content"]
