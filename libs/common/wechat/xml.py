"""Safe parsing and building of the flat-ish XML WeChat speaks (``<xml>…</xml>``).

Parsing goes through defusedxml (expat underneath) with DTDs, entity declarations and external
references forbidden, so entity-expansion and XXE payloads are rejected before anything expands.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from libs.common.wechat.errors import MalformedXml

MAX_XML_BYTES = 1024 * 1024

# Containers whose children are always a list, even with a single child, so consumers never
# have to handle "dict or list of dicts" (news articles, pic lists).
_ALWAYS_LIST = frozenset({"item"})

_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")

# The XML declaration and its encoding; expat decodes only UTF-8/16, ASCII and Latin-1 itself.
_DECLARATION = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding=[\"']([A-Za-z0-9_.-]+)[\"'][^>]*\?>"
)
_EXPAT_ENCODINGS = frozenset({"utf-8", "utf-16", "ascii", "latin-1", "iso8859-1"})


def _to_utf8(body: bytes) -> bytes:
    """Transcode a document whose declaration names another encoding (GBK, GB18030…) to UTF-8.

    WeChat itself sends UTF-8, but a proxy or a test tool in a Chinese environment may send GBK;
    expat would refuse it with a ``ValueError`` that is not a parse error at all.
    """
    match = _DECLARATION.match(body)
    if match is None:
        return body
    label = match.group(1).decode("ascii")
    try:
        name = codecs.lookup(label).name
    except LookupError as exc:
        raise MalformedXml(f"unknown XML encoding {label!r}") from exc
    if name in _EXPAT_ENCODINGS:
        return body
    try:
        text = body[match.end() :].decode(name)
    except UnicodeDecodeError as exc:
        raise MalformedXml(f"body is not valid {label}: {exc.reason}") from exc
    return text.encode()


def _convert(element: Element) -> Any:
    if len(element) == 0:
        return element.text or ""
    out: dict[str, Any] = {}
    for child in element:
        tag = child.tag
        value = _convert(child)
        if tag in out:
            existing = out[tag]
            # _convert never returns a list, so a list here is one we built for repeats.
            if isinstance(existing, list):
                existing.append(value)
            else:
                out[tag] = [existing, value]
        elif tag in _ALWAYS_LIST:
            out[tag] = [value]
        else:
            out[tag] = value
    return out


def parse_xml(body: bytes, *, max_bytes: int = MAX_XML_BYTES) -> dict[str, Any]:
    """Parse a WeChat XML document into ``{tag: text}``; nested elements become dicts.

    Repeated elements become lists, and ``item`` elements are always a list. Raises
    :class:`MalformedXml` for oversize or broken XML, any DTD/entity/external reference, or a
    root element other than ``xml``.
    """
    if len(body) > max_bytes:
        raise MalformedXml(f"XML body larger than {max_bytes} bytes")
    try:
        root = fromstring(
            _to_utf8(body), forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedXml(f"unacceptable XML: {exc}") from exc
    if root.tag != "xml":
        raise MalformedXml(f"root element is {root.tag!r}, expected 'xml'")
    fields = _convert(root)
    return fields if isinstance(fields, dict) else {}


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any ``]]>`` so it cannot close the section early."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _render(tag: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if _TAG.match(tag) is None:
        raise ValueError(f"invalid XML tag name: {tag!r}")
    if isinstance(value, list | tuple):
        for item in value:
            _render(tag, item, out)
        return
    out.append(f"<{tag}>")
    if isinstance(value, str):
        out.append(cdata(value))
    elif isinstance(value, bool):
        raise TypeError(f"cannot render bool for <{tag}>")
    elif isinstance(value, int | float):
        out.append(repr(value))
    elif isinstance(value, Mapping):
        for key, child in value.items():
            _render(key, child, out)
    else:
        raise TypeError(f"cannot render {type(value).__name__} for <{tag}>")
    out.append(f"</{tag}>")


def build_xml(fields: Mapping[str, Any]) -> bytes:
    """Render ``fields`` as ``<xml>…</xml>`` UTF-8 bytes.

    Strings become CDATA, ints/floats are bare, mappings nest, lists/tuples repeat the tag and
    None values are omitted.
    """
    out = ["<xml>"]
    for key, value in fields.items():
        _render(key, value, out)
    out.append("</xml>")
    return "".join(out).encode()
