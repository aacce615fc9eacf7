"""Passive replies (§7.1): render as callback XML, travel as JSON, or become a CS message (§8.2).

``reply.to_dict()`` / ``reply_from_dict(d)`` round-trip through plain JSON types, keyed by
``type`` (the reply's MsgType). ``reply.to_custom_message(openid)`` gives the body for
``/cgi-bin/message/custom/send`` when the answer could not go back passively in time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from libs.common.wechat.errors import InvalidReply
from libs.common.wechat.xml import build_xml

if TYPE_CHECKING:
    from libs.common.wechat.messages import InboundMessage

MAX_NEWS_ARTICLES_FOR_MESSAGE = 1
MAX_NEWS_ARTICLES_FOR_EVENT = 8

_R = TypeVar("_R", bound="Reply")
_REPLIES: dict[str, type[Reply]] = {}


def _register(cls: type[_R]) -> type[_R]:
    _REPLIES[cls.MSG_TYPE] = cls
    return cls


def max_news_articles(trigger: InboundMessage) -> int:
    """How many news articles a passive reply to ``trigger`` may carry (1 or 8)."""
    return MAX_NEWS_ARTICLES_FOR_EVENT if trigger.is_event else MAX_NEWS_ARTICLES_FOR_MESSAGE


@dataclass(frozen=True, slots=True)
class Reply:
    """Base of every passive reply."""

    MSG_TYPE: ClassVar[str] = ""

    def _body(self) -> dict[str, Any]:
        raise NotImplementedError

    def _custom(self) -> dict[str, Any]:
        raise InvalidReply(f"{self.MSG_TYPE} replies cannot be sent as customer-service messages")

    def render(self, to_user: str, from_user: str, create_time: int) -> bytes:
        """Passive reply XML; ``to_user`` is the user's OpenID, ``from_user`` our gh_ id."""
        return build_xml(
            {
                "ToUserName": to_user,
                "FromUserName": from_user,
                "CreateTime": create_time,
                "MsgType": self.MSG_TYPE,
                **self._body(),
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, restored by :func:`reply_from_dict`."""
        return {"type": self.MSG_TYPE, **asdict(self)}

    def to_custom_message(self, openid: str) -> dict[str, Any]:
        """The customer-service API body sending this reply to ``openid``."""
        return {"touser": openid, "msgtype": self.MSG_TYPE, self.MSG_TYPE: self._custom()}


@_register
@dataclass(frozen=True, slots=True)
class TextReply(Reply):
    """A text reply."""

    MSG_TYPE = "text"
    content: str

    def _body(self) -> dict[str, Any]:
        return {"Content": self.content}

    def _custom(self) -> dict[str, Any]:
        return {"content": self.content}


@_register
@dataclass(frozen=True, slots=True)
class ImageReply(Reply):
    """An image reply (media uploaded beforehand)."""

    MSG_TYPE = "image"
    media_id: str

    def _body(self) -> dict[str, Any]:
        return {"Image": {"MediaId": self.media_id}}

    def _custom(self) -> dict[str, Any]:
        return {"media_id": self.media_id}


@_register
@dataclass(frozen=True, slots=True)
class VoiceReply(Reply):
    """A voice reply (media uploaded beforehand)."""

    MSG_TYPE = "voice"
    media_id: str

    def _body(self) -> dict[str, Any]:
        return {"Voice": {"MediaId": self.media_id}}

    def _custom(self) -> dict[str, Any]:
        return {"media_id": self.media_id}


@_register
@dataclass(frozen=True, slots=True)
class VideoReply(Reply):
    """A video reply; ``thumb_media_id`` is only used by the customer-service API."""

    MSG_TYPE = "video"
    media_id: str
    title: str | None = None
    description: str | None = None
    thumb_media_id: str | None = None

    def _body(self) -> dict[str, Any]:
        return {
            "Video": {
                "MediaId": self.media_id,
                "Title": self.title,
                "Description": self.description,
            }
        }

    def _custom(self) -> dict[str, Any]:
        return {
            "media_id": self.media_id,
            "thumb_media_id": self.thumb_media_id or "",
            "title": self.title or "",
            "description": self.description or "",
        }


@_register
@dataclass(frozen=True, slots=True)
class MusicReply(Reply):
    """A music reply."""

    MSG_TYPE = "music"
    thumb_media_id: str
    title: str = ""
    description: str = ""
    music_url: str = ""
    hq_music_url: str = ""

    def _body(self) -> dict[str, Any]:
        return {
            "Music": {
                "Title": self.title,
                "Description": self.description,
                "MusicUrl": self.music_url,
                "HQMusicUrl": self.hq_music_url,
                "ThumbMediaId": self.thumb_media_id,
            }
        }

    def _custom(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "musicurl": self.music_url,
            "hqmusicurl": self.hq_music_url,
            "thumb_media_id": self.thumb_media_id,
        }


@dataclass(frozen=True, slots=True)
class Article:
    """One news article."""

    title: str
    description: str = ""
    pic_url: str = ""
    url: str = ""


@_register
@dataclass(frozen=True, slots=True)
class NewsReply(Reply):
    """A news (articles) reply; ``max_articles`` is 1 for user messages, 8 for events."""

    MSG_TYPE = "news"
    articles: tuple[Article, ...]
    max_articles: int = MAX_NEWS_ARTICLES_FOR_EVENT

    def __post_init__(self) -> None:
        if not 1 <= self.max_articles <= MAX_NEWS_ARTICLES_FOR_EVENT:
            raise InvalidReply(f"max_articles must be 1..{MAX_NEWS_ARTICLES_FOR_EVENT}")
        if not 1 <= len(self.articles) <= self.max_articles:
            raise InvalidReply(
                f"news reply needs 1..{self.max_articles} articles, got {len(self.articles)}"
            )

    def _body(self) -> dict[str, Any]:
        return {
            "ArticleCount": len(self.articles),
            "Articles": {
                "item": [
                    {
                        "Title": a.title,
                        "Description": a.description,
                        "PicUrl": a.pic_url,
                        "Url": a.url,
                    }
                    for a in self.articles
                ]
            },
        }

    def _custom(self) -> dict[str, Any]:
        # The customer-service API allows a single article (45008 otherwise).
        first = self.articles[0]
        return {
            "articles": [
                {
                    "title": first.title,
                    "description": first.description,
                    "url": first.url,
                    "picurl": first.pic_url,
                }
            ]
        }


@_register
@dataclass(frozen=True, slots=True)
class TransferCustomerServiceReply(Reply):
    """Hand the conversation to human agents, optionally to one ``kf_account``."""

    MSG_TYPE = "transfer_customer_service"
    kf_account: str | None = None

    def _body(self) -> dict[str, Any]:
        if self.kf_account is None:
            return {}
        return {"TransInfo": {"KfAccount": self.kf_account}}


def _news_from_dict(data: Mapping[str, Any]) -> dict[str, Any]:
    articles = data.get("articles")
    if not isinstance(articles, list | tuple):
        raise InvalidReply("news reply needs a list of articles")
    try:
        return {**data, "articles": tuple(Article(**article) for article in articles)}
    except TypeError as exc:
        raise InvalidReply(f"bad article: {exc}") from exc


_DECODERS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {"news": _news_from_dict}


def reply_from_dict(data: Mapping[str, Any]) -> Reply:
    """Rebuild a reply from :meth:`Reply.to_dict` output (raises InvalidReply)."""
    reply_type = data.get("type")
    cls = _REPLIES.get(reply_type) if isinstance(reply_type, str) else None
    if cls is None:
        raise InvalidReply(f"unknown reply type {reply_type!r}")
    values = {key: value for key, value in data.items() if key != "type"}
    decode = _DECODERS.get(cls.MSG_TYPE)
    if decode is not None:
        values = decode(values)
    known = {f.name for f in fields(cls)}
    try:
        return cls(**{key: value for key, value in values.items() if key in known})
    except TypeError as exc:
        raise InvalidReply(f"bad {reply_type} reply: {exc}") from exc
