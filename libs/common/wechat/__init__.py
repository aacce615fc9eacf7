"""The WeChat Official Account protocol: signatures, AES mode, XML, messages, replies, API.

Split the way wechatpy splits it (docs/style.md §12), typed and async; docs/wechat-protocol.md is
the spec.
"""

from __future__ import annotations

from libs.common.wechat import messages
from libs.common.wechat.api import MediaApi, MenuApi, MessageApi, fetch_stable_token, fetch_token
from libs.common.wechat.client import TokenSource, WeChatClient
from libs.common.wechat.crypto import Decrypted, MessageCrypto
from libs.common.wechat.errors import (
    AppIdMismatch,
    DecryptionFailed,
    ErrorAction,
    ErrorCode,
    InvalidReply,
    InvalidSignature,
    MalformedXml,
    WeChatApiError,
    WeChatError,
    WeChatProtocolError,
    WeChatTransportError,
    classify,
)

# The messages' public names, listed once in their package's __all__.
from libs.common.wechat.messages import *  # noqa: F403
from libs.common.wechat.replies import (
    Article,
    ImageReply,
    MusicReply,
    NewsReply,
    Reply,
    TextReply,
    TransferCustomerServiceReply,
    VideoReply,
    VoiceReply,
    max_news_articles,
    reply_from_dict,
)
from libs.common.wechat.signature import check_msg_signature, check_signature, compute_signature
from libs.common.wechat.xml import build_xml, parse_xml

__all__ = [
    "AppIdMismatch",
    "Article",
    "Decrypted",
    "DecryptionFailed",
    "ErrorAction",
    "ErrorCode",
    "ImageReply",
    "InvalidReply",
    "InvalidSignature",
    "MalformedXml",
    "MediaApi",
    "MenuApi",
    "MessageApi",
    "MessageCrypto",
    "MusicReply",
    "NewsReply",
    "Reply",
    "TextReply",
    "TokenSource",
    "TransferCustomerServiceReply",
    "VideoReply",
    "VoiceReply",
    "WeChatApiError",
    "WeChatClient",
    "WeChatError",
    "WeChatProtocolError",
    "WeChatTransportError",
    "build_xml",
    "check_msg_signature",
    "check_signature",
    "classify",
    "compute_signature",
    "fetch_stable_token",
    "fetch_token",
    "max_news_articles",
    "parse_xml",
    "reply_from_dict",
]
__all__ += messages.__all__
