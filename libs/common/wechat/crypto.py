"""AES safe mode (消息加解密): decrypt callbacks and encrypt passive replies (§4).

Layout: ``random(16) || uint32_be(len(msg)) || msg || appid``, PKCS#7-padded to a 32-byte
block, AES-256-CBC with ``key = b64decode(EncodingAESKey + "=")`` and ``iv = key[:16]``.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from libs.common.wechat.errors import AppIdMismatch, DecryptionFailed, InvalidSignature
from libs.common.wechat.signature import check_msg_signature, compute_signature
from libs.common.wechat.xml import cdata

_BLOCK = 32
_PREFIX = 16
_HEADER = _PREFIX + 4
_LENGTH = struct.Struct(">I")


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """Turn a 43-character EncodingAESKey into the 32-byte AES key."""
    if len(encoding_aes_key) != 43:
        raise ValueError("EncodingAESKey must be 43 characters")
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise ValueError("EncodingAESKey is not valid base64") from exc
    return key


def pkcs7_pad(data: bytes) -> bytes:
    """Pad to a multiple of 32 bytes (pad value 1..32, a full block when already aligned)."""
    pad = _BLOCK - len(data) % _BLOCK
    return data + bytes((pad,)) * pad


def pkcs7_unpad(data: bytes) -> bytes:
    """Strip 32-byte-block PKCS#7 padding, checking the range and every pad byte."""
    if not data:
        raise DecryptionFailed("empty plaintext")
    pad = data[-1]
    if not 1 <= pad <= _BLOCK or pad > len(data) or data[-pad:] != bytes((pad,)) * pad:
        raise DecryptionFailed("invalid padding")
    return data[:-pad]


@dataclass(frozen=True, slots=True)
class Decrypted:
    """A decrypted callback: the inner XML and which configured key opened it."""

    xml: bytes
    key_index: int


class _WrongAppId(Exception):
    pass


class MessageCrypto:
    """Encrypts and decrypts callback payloads for one Official Account.

    ``encoding_aes_keys`` lists the current EncodingAESKey first, then the previous one (§4.2
    rotation): decryption tries them in order and reports which one worked, so the reply can
    be encrypted with the same key. Raises :class:`InvalidSignature`, :class:`DecryptionFailed`
    or :class:`AppIdMismatch`; configuration problems raise ``ValueError`` at construction.
    """

    __slots__ = ("_appid", "_ciphers", "_token")

    def __init__(self, token: str, encoding_aes_keys: Sequence[str], appid: str) -> None:
        if isinstance(encoding_aes_keys, str):
            raise TypeError("encoding_aes_keys must be a sequence of keys, not one string")
        if not encoding_aes_keys:
            raise ValueError("at least one EncodingAESKey is required")
        self._token = token
        self._appid = appid.encode()
        self._ciphers: list[Cipher[modes.CBC]] = []
        for encoding_aes_key in encoding_aes_keys:
            key = decode_aes_key(encoding_aes_key)
            self._ciphers.append(Cipher(algorithms.AES(key), modes.CBC(key[:16])))

    @property
    def key_count(self) -> int:
        """How many keys are configured."""
        return len(self._ciphers)

    def _open(self, cipher: Cipher[modes.CBC], data: bytes) -> bytes:
        decryptor = cipher.decryptor()
        plain = pkcs7_unpad(decryptor.update(data) + decryptor.finalize())
        if len(plain) < _HEADER:
            raise DecryptionFailed("plaintext too short")
        (length,) = _LENGTH.unpack_from(plain, _PREFIX)
        end = _HEADER + length
        if end > len(plain):
            raise DecryptionFailed(f"length field {length} exceeds the plaintext")
        if plain[end:] != self._appid:
            raise _WrongAppId
        return plain[_HEADER:end]

    def decrypt(self, encrypt: str, *, msg_signature: str, timestamp: str, nonce: str) -> Decrypted:
        """Verify ``msg_signature``, then decrypt with the first key that yields our AppID."""
        if not check_msg_signature(self._token, msg_signature, timestamp, nonce, encrypt):
            raise InvalidSignature("msg_signature mismatch")
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise DecryptionFailed("Encrypt is not valid base64") from exc
        if not data or len(data) % 16:
            raise DecryptionFailed("ciphertext length is not a multiple of the AES block")
        wrong_appid = False
        for index, cipher in enumerate(self._ciphers):
            try:
                return Decrypted(self._open(cipher, data), index)
            except DecryptionFailed:
                continue
            except _WrongAppId:
                wrong_appid = True
        if wrong_appid:
            raise AppIdMismatch("decrypted message is addressed to another AppID")
        raise DecryptionFailed("no configured EncodingAESKey decrypts this message")

    def encrypt(
        self, plaintext: bytes, *, key_index: int = 0, random_prefix: bytes | None = None
    ) -> str:
        """Encrypt bytes into the base64 ``Encrypt`` text (random 16-byte prefix by default)."""
        if random_prefix is None:
            random_prefix = secrets.token_hex(8).encode()
        elif len(random_prefix) != _PREFIX:
            raise ValueError("random_prefix must be 16 bytes")
        plain = pkcs7_pad(
            b"".join((random_prefix, _LENGTH.pack(len(plaintext)), plaintext, self._appid))
        )
        encryptor = self._ciphers[key_index].encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def encrypt_reply(
        self,
        xml: bytes,
        *,
        timestamp: str,
        nonce: str,
        key_index: int = 0,
        random_prefix: bytes | None = None,
    ) -> bytes:
        """Encrypt a passive reply and wrap it in the signed §4.6 envelope XML."""
        if not (timestamp.isascii() and timestamp.isdigit()):
            raise ValueError("timestamp must be decimal digits")
        encrypt = self.encrypt(xml, key_index=key_index, random_prefix=random_prefix)
        signature = compute_signature(self._token, timestamp, nonce, encrypt)
        return (
            f"<xml>\n<Encrypt>{cdata(encrypt)}</Encrypt>\n"
            f"<MsgSignature>{cdata(signature)}</MsgSignature>\n"
            f"<TimeStamp>{timestamp}</TimeStamp>\n"
            f"<Nonce>{cdata(nonce)}</Nonce>\n</xml>"
        ).encode()
