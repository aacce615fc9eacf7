"""Material uploads: streamed to shared storage, limited by content (size, format, duration), 422
naming the limit; any replica serves and sends what another stored."""

from __future__ import annotations

import hashlib

import httpx
from sqlalchemy import select

from libs.common.callback_ledger import MemoryCallbackLedger
from libs.common.db.models import Account, Material
from libs.common.material_storage import CHUNK_BYTES, media_url
from libs.common.resources import open_resources
from services.admin_api.publishing.content import upload_media
from services.stats.app import StatsService
from services.stats.settings import StatsSettings
from tests.services.admin_api.support import (
    SECRET_KEY,
    AdminStack,
    another_instance,
    mp3_bytes,
    wav_bytes,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


async def _upload(stack: AdminStack, kind: str, name: str, data: bytes, user: str = "admin"):
    return await stack.call(
        user,
        "POST",
        f"/api/v1/materials/upload?kind={kind}&filename={name}",
        content=data,
        headers={"Content-Type": "application/octet-stream"},
    )


async def test_image_upload_is_stored_and_downloadable(stack: AdminStack) -> None:
    response = await _upload(stack, "image", "logo.dat", PNG)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["kind"], body["format"], body["size"]) == ("image", "png", len(PNG))
    assert [(seq, size) for _, seq, size in await stack.stored_chunks()] == [(0, len(PNG))]
    download = await stack.call("admin", "GET", f"/api/v1/materials/{body['id']}/file")
    assert download.content == PNG
    assert download.headers["content-type"] == "image/png"


async def test_file_name_does_not_decide_the_format(stack: AdminStack) -> None:
    response = await _upload(stack, "image", "fake.png", b"<script>alert(1)</script>" * 4)
    assert response.status_code == 422
    assert response.json()["code"] == "limit_exceeded"
    assert response.json()["details"]["limit"] == "image_format"
    assert await stack.stored_chunks() == []


async def test_image_over_2mb_is_refused_while_streaming(stack: AdminStack) -> None:
    async def body():
        yield PNG
        for _ in range(40):
            yield b"\x00" * 65536  # 2.5 MB in total, without a Content-Length header

    response = await stack.call(
        "admin",
        "POST",
        "/api/v1/materials/upload?kind=image&filename=big.png",
        content=body(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 422
    assert response.json()["details"] == {"limit": "image_max_bytes", "max": 2 * 1024 * 1024}
    assert await stack.stored_chunks() == []


async def test_voice_duration_limit(stack: AdminStack) -> None:
    ok = await _upload(stack, "voice", "hello.mp3", mp3_bytes(200))
    assert ok.status_code == 201, ok.text
    assert abs(ok.json()["duration_s"] - 200 * 1152 / 44100) < 1e-6
    too_long = await _upload(stack, "voice", "long.wav", wav_bytes(61))
    assert too_long.status_code == 422
    assert too_long.json()["details"]["limit"] == "voice_duration"
    image_as_voice = await _upload(stack, "voice", "x.mp3", PNG)
    assert image_as_voice.json()["details"]["limit"] == "voice_format"


async def test_text_and_news_character_limits(stack: AdminStack) -> None:
    ok = await stack.call("admin", "POST", "/api/v1/materials/text", json={"text": "好" * 600})
    assert ok.status_code == 201
    long = await stack.call("admin", "POST", "/api/v1/materials/text", json={"text": "好" * 601})
    assert long.status_code == 422
    assert long.json()["details"]["limit"] == "text_max_chars"
    cover = (await _upload(stack, "image", "c.png", PNG)).json()["id"]
    article = {"title": "标题", "content": "字" * 10_000, "cover_material_id": cover}
    news = await stack.call(
        "admin", "POST", "/api/v1/materials/news", json={"articles": [article, article]}
    )
    assert news.status_code == 422
    assert news.json()["details"]["limit"] == "news_max_chars"
    fine = await stack.call("admin", "POST", "/api/v1/materials/news", json={"articles": [article]})
    assert fine.status_code == 201
    not_image = await stack.call(
        "admin",
        "POST",
        "/api/v1/materials/news",
        json={"articles": [{**article, "cover_material_id": ok.json()["id"]}]},
    )
    assert not_image.status_code == 422
    # Only the three accepted materials exist: the text, the cover and the short news.
    listed = (await stack.call("admin", "GET", "/api/v1/materials?sort=id")).json()
    assert [m["kind"] for m in listed["items"]] == ["text", "image", "news"]


async def test_branch_sees_only_its_own_materials(stack: AdminStack) -> None:
    await stack.call("admin", "POST", "/api/v1/materials/text", json={"text": "总行"})
    await stack.call("sh_editor", "POST", "/api/v1/materials/text", json={"text": "上海"})
    mine = (await stack.call("sh_editor", "GET", "/api/v1/materials")).json()
    assert [m["text"] for m in mine["items"]] == ["上海"]
    everything = (await stack.call("admin", "GET", "/api/v1/materials?sort=id")).json()
    assert [m["text"] for m in everything["items"]] == ["总行", "上海"]


def big_png(size: int) -> bytes:
    """A PNG-headed file of ``size`` bytes with content that differs at every chunk boundary."""
    body = bytes(i * 7 % 251 for i in range(size - len(PNG)))
    return PNG + body


async def test_a_file_uploaded_on_one_replica_is_served_and_sent_by_another(
    stack: AdminStack,
) -> None:
    data = big_png(2 * 1024 * 1024 - 5)  # just under the image limit: 8 chunks, the last short
    response = await _upload(stack, "image", "海报.png", data)
    assert response.status_code == 201, response.text
    material_id = response.json()["id"]
    chunks = await stack.stored_chunks()
    assert [seq for _, seq, _ in chunks] == list(range(8))
    assert {size for _, _, size in chunks[:-1]} == {CHUNK_BYTES}
    assert sum(size for _, _, size in chunks) == len(data)
    async with another_instance(stack) as other:
        download = await other.call("admin", "GET", f"/api/v1/materials/{material_id}/file")
        assert download.status_code == 200
        assert download.content == data
        assert download.headers["content-type"] == "image/png"
        assert download.headers["content-length"] == str(len(data))
        assert "%E6%B5%B7%E6%8A%A5.png" in download.headers["content-disposition"]
        # Publishing from the other replica uploads the same bytes to WeChat as temporary media.
        async with other.sessions() as session:
            material = await session.get(Material, int(material_id))
            account = await session.scalar(select(Account).where(Account.code == "demo"))
        assert material is not None
        assert account is not None
        media_id = await upload_media(other.state, account, material)
    uploaded = stack.sandbox.media_store.media[media_id]
    assert uploaded["sha256"] == hashlib.sha256(data).hexdigest()
    assert uploaded["filename"] == "海报.png"


async def test_deleting_a_material_deletes_its_file(stack: AdminStack) -> None:
    response = await _upload(stack, "image", "gone.png", big_png(300_000))
    material_id = response.json()["id"]
    assert len(await stack.stored_chunks()) == 2
    deleted = await stack.call("admin", "DELETE", f"/api/v1/materials/{material_id}")
    assert deleted.status_code == 200, deleted.text
    assert await stack.stored_chunks() == []


async def test_the_presentation_routes_serve_media_with_caching_headers(stack: AdminStack) -> None:
    uploaded = (await _upload(stack, "image", "banner.png", PNG)).json()
    digest = uploaded["sha256"]
    # The stats service on the same database, reading only.
    settings = StatsSettings(
        database_url=stack.state.settings.database_url,
        secret_key=SECRET_KEY,
        heartbeat_interval_s=3600,
        stats_store_events=False,
    )
    resources = await open_resources(settings, bus=stack.state.bus, ledger=MemoryCallbackLedger())
    service = StatsService(settings, resources)
    transport = httpx.ASGITransport(app=service.app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://stats.test") as http:
            url = media_url("", digest, uploaded["format"])
            # The admin API names the file's public URL (on the stats service's public address).
            assert uploaded["media_url"] == media_url(
                stack.state.settings.short_link_base, digest, "png"
            )
            first = await http.get(url)
            assert first.status_code == 200, first.text
            assert first.content == PNG
            assert first.headers["content-type"] == "image/png"
            assert first.headers["etag"] == f'"{digest}"'
            assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
            # Without the extension too; a cache revalidating gets 304 and no body.
            assert (await http.get(f"/m/{digest}")).content == PNG
            again = await http.get(url, headers={"If-None-Match": f'W/"x", "{digest}"'})
            assert (again.status_code, again.content) == (304, b"")
            assert again.headers["etag"] == f'"{digest}"'
            other = await http.get(url, headers={"If-None-Match": '"0000"'})
            assert other.status_code == 200
            head = await http.head(url)
            assert (head.status_code, head.headers["content-length"]) == (200, str(len(PNG)))
            # Unknown hashes, wrong extensions and anything that is not a hash: 404, not cached.
            for bad in (f"/m/{'0' * 64}", f"/m/{digest}.mp3", f"/m/{digest}/more", "/m/abc"):
                missing = await http.get(bad)
                assert missing.status_code == 404, bad
                assert missing.headers["cache-control"] == "no-store"
    finally:
        await resources.close()
