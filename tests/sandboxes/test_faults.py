from __future__ import annotations

import pytest

from sandboxes.faults import Answer, FaultBook, FaultSpecError


def test_no_faults_means_no_delay_and_no_answer() -> None:
    outcome = FaultBook().decide("/send")

    assert (outcome.latency_s, outcome.answer) == (0.0, None)


@pytest.mark.parametrize(
    ("pattern", "path", "hit"),
    [
        ("/send", "/send", True),
        ("/send", "/sendx", False),
        ("*", "/anything", True),
        ("/v1/funds/*", "/v1/funds/000001/nav", True),
        ("/v1/funds/*", "/v1/wealth/WM0001/nav", False),
    ],
)
def test_path_matching(pattern: str, path: str, hit: bool) -> None:
    book = FaultBook()
    book.add({"path": pattern, "http_status": 500})

    assert (book.decide(path).answer is not None) is hit


def test_latencies_add_up_and_the_first_answer_wins() -> None:
    book = FaultBook()
    book.add({"path": "/send", "latency_ms": 100})
    book.add({"path": "/send", "latency_ms": 50, "body": {"n": 1}, "count": 1})
    book.add({"path": "/send", "http_status": 502, "count": 1})

    first = book.decide("/send")
    second = book.decide("/send")

    assert first.latency_s == pytest.approx(0.15)
    assert first.answer == Answer(200, {"n": 1})
    assert second.answer is not None
    assert second.answer.status == 502
    assert len(book) == 1


def test_a_shaper_adds_answer_kinds() -> None:
    book = FaultBook(
        extra_keys=frozenset({"errcode"}),
        shaper=lambda spec: (
            Answer(200, {"errcode": spec["errcode"]}) if "errcode" in spec else None
        ),
    )
    book.add({"path": "/x", "errcode": 45015})

    assert book.decide("/x").answer == Answer(200, {"errcode": 45015})
    with pytest.raises(FaultSpecError):
        FaultBook().add({"path": "/x", "errcode": 45015})


def test_same_seed_same_sequence() -> None:
    def run() -> list[bool]:
        book = FaultBook()
        book.add({"path": "/x", "http_status": 503, "percent": 30, "seed": 42})
        return [book.decide("/x").answer is not None for _ in range(200)]

    first = run()

    assert first == run()
    assert 30 <= sum(first) <= 90


def test_a_fault_needs_an_effect() -> None:
    with pytest.raises(FaultSpecError):
        FaultBook().add({"path": "/x", "count": 2})
