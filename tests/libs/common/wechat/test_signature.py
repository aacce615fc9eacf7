from __future__ import annotations

import pytest

from libs.common.wechat.signature import (
    check_msg_signature,
    check_signature,
    compute_signature,
)

# (token, timestamp, nonce, signature) from docs/wechat-protocol.md §2, §3 and §4.1.
PLAIN_VECTORS = [
    ("AAAAA", "1714036504", "1514711492", "f464b24fc39322e44b38aa78f5edd27bd1441696"),
    ("AAAAA", "1714037059", "486452656", "899cf89e464efb63f54ddac96b0a0a235f53aa78"),
    ("test", "1410685589", "test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff"),
    ("AAAAA", "1715943329", "1590219412", "cc0c594499c1634947d5b502f158ee518947db27"),
]


@pytest.mark.parametrize(("token", "timestamp", "nonce", "signature"), PLAIN_VECTORS)
def test_known_signatures_verify(token: str, timestamp: str, nonce: str, signature: str) -> None:
    assert compute_signature(token, timestamp, nonce) == signature
    assert check_signature(token, signature, timestamp, nonce)


@pytest.mark.parametrize(("token", "timestamp", "nonce", "signature"), PLAIN_VECTORS)
def test_tampered_inputs_are_rejected(
    token: str, timestamp: str, nonce: str, signature: str
) -> None:
    assert not check_signature(token + "x", signature, timestamp, nonce)
    assert not check_signature(token, signature, str(int(timestamp) + 1), nonce)
    assert not check_signature(token, signature[:-1] + "0", timestamp, nonce)
    assert not check_signature(token, "", timestamp, nonce)


def test_parts_are_sorted_before_joining() -> None:
    assert compute_signature("b", "a", "c") == compute_signature("c", "b", "a")
    # §2 worked example: the sorted, joined string is what gets hashed.
    assert compute_signature("AAAAA", "1714036504", "1514711492") == compute_signature(
        "15147114921714036504AAAAA"
    )


def test_non_ascii_signature_is_rejected_not_crashing() -> None:
    assert not check_signature("AAAAA", "签名", "1714036504", "1514711492")


def test_msg_signature_v1_vector() -> None:
    encrypt = (
        "hyzAe4OzmOMbd6TvGdIOO6uBmdJoD0Fk53REIHvxYtJlE2B655HuD0m8KUePWB3+LrPXo87wzQ1QLvbeUgmBM4x6F8"
        "PGHQHFVAFmOD2LdJF9FrXpbUAh0B5GIItb52sn896wVsMSHGuPE328HnRGBcrS7C41IzDWyWNlZkyyXwon8T332j"
        "isa+h6tEDYsVticbSnyU8dKOIbgU6ux5VTjg3yt+WGzjlpKn6NPhRjpA912xMezR4kw6KWwMrCVKSVCZciVGCgav"
        "jIQ6X8tCOp3yZbGpy0VxpAe+77TszTfRd5RJSVO/HTnifJpXgCSUdUue1v6h0EIBYYI1BD1DlD+C0CR8e6Oewpus"
        "jZ4uBl9FyJvnhvQl+q5rv1ixrcpCumEPo5MJSgM9ehVsNPfUM669WuMyVWQLCzpu9GhglF2PE="
    )
    signature = "5d197aaffba7e9b25a30732f161a50dee96bd5fa"
    assert check_msg_signature("spamtest", signature, "1409735669", "1320562132", encrypt)
    assert not check_msg_signature("spamtest", signature, "1409735669", "1320562132", encrypt + "A")
    assert not check_msg_signature("spamtest", signature, "1409735669", "1320562133", encrypt)
