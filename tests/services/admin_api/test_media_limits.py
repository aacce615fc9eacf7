"""Format sniffing and voice durations from content (wav, amr, mp3, wma)."""

from __future__ import annotations

import struct

import pytest

from services.admin_api.media_limits import _ASF_FILE_PROPERTIES, _ASF_HEADER, duration_s, sniff
from tests.services.admin_api.support import mp3_bytes, wav_bytes


def amr_bytes(frames: int) -> bytes:
    return b"#!AMR\n" + (bytes([7 << 3 | 4]) + b"\x00" * 31) * frames  # mode 7: 32-byte frames


def wma_bytes(seconds: float) -> bytes:
    props = bytearray(80)
    struct.pack_into("<Q", props, 40, int((seconds + 3) * 10_000_000))
    struct.pack_into("<Q", props, 56, 3000)  # 3 s preroll
    return _ASF_HEADER + b"\x00" * 14 + _ASF_FILE_PROPERTIES + struct.pack("<Q", 104) + bytes(props)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 8, ("image", "png")),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 8, ("image", "jpeg")),
        (b"GIF89a" + b"\x00" * 8, ("image", "gif")),
        (b"BM" + b"\x00" * 20, ("image", "bmp")),
        (wav_bytes(0.1), ("voice", "wav")),
        (amr_bytes(1), ("voice", "amr")),
        (mp3_bytes(1), ("voice", "mp3")),
        (wma_bytes(1), ("voice", "wma")),
        (b"<html>not an image</html>", None),
    ],
)
def test_sniff_by_content(data: bytes, expected: tuple[str, str] | None) -> None:
    assert sniff(data[:64]) == expected


@pytest.mark.parametrize(
    ("fmt", "data", "seconds"),
    [
        ("wav", wav_bytes(2.5), 2.5),
        ("amr", amr_bytes(3000), 60.0),
        ("mp3", mp3_bytes(100), 100 * 1152 / 44100),
        ("wma", wma_bytes(42.0), 42.0),
    ],
)
def test_duration(fmt: str, data: bytes, seconds: float) -> None:
    assert duration_s(data, fmt) == pytest.approx(seconds, abs=0.01)


def test_truncated_wav_has_no_duration() -> None:
    assert duration_s(b"RIFF\x00\x00\x00\x00WAVE", "wav") is None
