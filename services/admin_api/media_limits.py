"""Content limits of the material library (R-PERF-9), judged by content, never by file name.

image ≤ 2 MB (bmp/png/jpeg/gif); voice ≤ 5 MB and ≤ 60 s (mp3/wma/wav/amr); video ≤ 10 MB (mp4,
WeChat's limit for temporary media); text ≤ 600 characters; news ≤ 20,000 characters.
"""

from __future__ import annotations

import struct

IMAGE_MAX_BYTES = 2 * 1024 * 1024
VOICE_MAX_BYTES = 5 * 1024 * 1024
VOICE_MAX_SECONDS = 60.0
TEXT_MAX_CHARS = 600
NEWS_MAX_CHARS = 20_000
VIDEO_MAX_BYTES = 10 * 1024 * 1024
MAX_BYTES = {"image": IMAGE_MAX_BYTES, "voice": VOICE_MAX_BYTES, "video": VIDEO_MAX_BYTES}
# The formats each kind accepts, as named in the 422 that refuses another.
FORMATS = {"image": "bmp/png/jpeg/gif", "voice": "mp3/wma/wav/amr", "video": "mp4"}

_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_FILE_PROPERTIES = bytes.fromhex("a1dcab8c47a9cf118ee400c00c205365")


def sniff(head: bytes) -> tuple[str, str] | None:
    """``(kind, format)`` from a file's first bytes, or ``None`` for anything unsupported."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image", "gif"
    if head.startswith(b"BM") and len(head) >= 14:
        return "image", "bmp"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "video", "mp4"
    if head.startswith(b"#!AMR\n"):
        return "voice", "amr"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "voice", "wav"
    if head.startswith(_ASF_HEADER):
        return "voice", "wma"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "voice", "mp3"
    return None


def duration_s(data: bytes, fmt: str) -> float | None:
    """Play time of a voice file in seconds, or ``None`` when it cannot be determined."""
    try:
        return {"wav": _wav, "amr": _amr, "mp3": _mp3, "wma": _wma}[fmt](data)
    except (struct.error, KeyError, ZeroDivisionError, IndexError):
        return None


def _wav(data: bytes) -> float | None:
    pos, byte_rate, data_size = 12, 0, None
    while pos + 8 <= len(data):
        chunk, size = data[pos : pos + 4], struct.unpack_from("<I", data, pos + 4)[0]
        if chunk == b"fmt ":
            byte_rate = struct.unpack_from("<I", data, pos + 16)[0]
        elif chunk == b"data":
            data_size = min(size, len(data) - pos - 8)
            break
        pos += 8 + size + (size & 1)
    if not byte_rate or data_size is None:
        return None
    return float(data_size / byte_rate)


# AMR-NB frame sizes in bytes (header included) by frame type; every frame is 20 ms.
_AMR_SIZES = [13, 14, 16, 18, 20, 21, 27, 32, 6, 1, 1, 1, 1, 1, 1, 1]


def _amr(data: bytes) -> float:
    pos, frames = 6, 0
    while pos < len(data):
        pos += _AMR_SIZES[(data[pos] >> 3) & 0x0F]
        frames += 1
    return frames * 0.02


_MP3_BITRATES = {
    (1, 3): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    (2, 3): [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MP3_RATES = {1: [44100, 48000, 32000], 2: [22050, 24000, 16000], 25: [11025, 12000, 8000]}


def _mp3(data: bytes) -> float | None:
    pos = 0
    if data.startswith(b"ID3") and len(data) >= 10:
        size = data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]
        pos = 10 + size
    total, frames = 0.0, 0
    while pos + 4 <= len(data):
        b1, b2 = data[pos + 1], data[pos + 2]
        if data[pos] != 0xFF or b1 & 0xE0 != 0xE0:
            if frames:
                break  # trailing tag (ID3v1/APE) after the audio
            pos += 1
            continue
        version = {3: 1, 2: 2, 0: 25}.get((b1 >> 3) & 0x03)
        layer = (b1 >> 1) & 0x03
        bitrate_index, rate_index = b2 >> 4, (b2 >> 2) & 0x03
        if version is None or layer != 1 or bitrate_index in (0, 15) or rate_index == 3:
            return None  # only Layer III (what voice mp3s are); free-format is refused
        table = _MP3_BITRATES[(1, 3)] if version == 1 else _MP3_BITRATES[(2, 3)]
        bitrate = table[bitrate_index] * 1000
        rate = _MP3_RATES[version][rate_index]
        samples = 1152 if version == 1 else 576
        length = samples // 8 * bitrate // rate + ((b2 >> 1) & 0x01)
        total += samples / rate
        frames += 1
        pos += length
    return total if frames else None


def _wma(data: bytes) -> float | None:
    pos = data.find(_ASF_FILE_PROPERTIES)
    if pos < 0:
        return None
    body = pos + 24  # object GUID (16) + object size (8)
    play_100ns = struct.unpack_from("<Q", data, body + 40)[0]
    preroll_ms = struct.unpack_from("<Q", data, body + 56)[0]
    return max(float(play_100ns) / 10_000_000 - float(preroll_ms) / 1000, 0.0)
