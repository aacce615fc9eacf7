"""Command matching: exact, prefix + argument, regex, priority."""

from __future__ import annotations

import pytest

from services.engine.matching import CompiledCommand, find_command, normalize, sort_commands


def cmd(name: str, kind: str, pattern: str, priority: int = 0) -> CompiledCommand:
    return CompiledCommand.compile(
        name=name, kind=kind, pattern=pattern, handler=name, priority=priority
    )


COMMANDS = sort_commands(
    [
        cmd("help", "exact", "帮助|help", 100),
        cmd("fund", "prefix", "基金|JZ", 50),
        cmd("fx", "exact", "汇率", 40),
        cmd("code", "regex", r"(?P<arg>\d{6})", -10),
        cmd("wide_regex", "regex", r"基金.*", 10),
    ]
)


@pytest.mark.parametrize(
    ("text", "name", "argument"),
    [
        ("帮助", "help", ""),
        ("  HELP ", "help", ""),
        ("基金 000001", "fund", "000001"),
        ("基金\u3000000001", "fund", "000001"),
        ("jz000001", "fund", "000001"),
        ("汇率", "fx", ""),
        ("000001", "code", "000001"),
    ],
)
def test_matches(text: str, name: str, argument: str) -> None:
    found = find_command(COMMANDS, text)
    assert found is not None
    assert (found[0].name, found[1]) == (name, argument)


def test_priority_decides_between_overlapping_commands() -> None:
    found = find_command(COMMANDS, "基金 abc")
    assert found is not None
    assert found[0].name == "fund"  # prefix at 50 beats the regex at 10


def test_no_match_and_exact_needs_the_whole_text() -> None:
    assert find_command(COMMANDS, "汇率多少") is None
    assert find_command(COMMANDS, "0000011") is None


def test_bad_definitions_are_refused() -> None:
    with pytest.raises(ValueError, match="match kind"):
        cmd("x", "fuzzy", "a")
    with pytest.raises(ValueError):
        cmd("x", "regex", "(")


def test_normalize() -> None:
    assert normalize("  a \u3000 b\n") == "a b"
