"""Which material each reply type is made from (R-EN-12): one rule for the engine, which builds
the replies, and the admin API, which refuses a command naming an unusable material."""

from __future__ import annotations

# The handler a command or menu action names to answer from the material library.
MATERIAL_ANSWER = "material"

# Reply type → the material kind it is made from (music: its thumbnail image).
MATERIAL_KINDS: dict[str, str] = {
    "text": "text",
    "image": "image",
    "voice": "voice",
    "video": "video",
    "music": "image",
    "news": "news",
}

# WeChat's limit for a thumbnail (music cover), uploaded as temporary media of type ``thumb``.
THUMB_MAX_BYTES = 64 * 1024
