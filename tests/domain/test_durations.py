from datetime import timedelta

import pytest

from bot.domain.durations import (
    describe_offset,
    format_duration,
    format_offsets,
    parse_duration,
    parse_offsets,
)
from bot.domain.errors import InvalidInput

S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)

OFFSETS_HINT = "Type offsets like `7d 1d 1h 15m`, or `none`."


@pytest.mark.parametrize(
    ("text", "duration"),
    [
        ("45s", 45 * S),
        ("10m", 10 * M),
        ("2h", 2 * H),
        ("3d", 3 * D),
        (" 2H ", 2 * H),
        ("1s", S),
        ("365d", 365 * D),
        ("8760h", 365 * D),
        ("007m", 7 * M),
    ],
)
def test_parse_duration_reads_one_token(text: str, duration: timedelta) -> None:
    assert parse_duration(text) == duration


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "The duration is empty"),
        ("0s", "`0s` is zero"),
        ("366d", "`366d` is longer than the limit of 365 days"),
        ("99999999999999999999d", "longer than the limit of 365 days"),
        ("-1h", "`-1h` has a sign"),
        ("+1h", "`+1h` has a sign"),
        ("1.5h", "`1.5h` has a fraction"),
        ("abc", "`abc` is not a duration"),
        ("1x", "`1x` is not a duration"),
        ("2w", "like `14d`"),
        ("1h30m", "`1h30m` is not a duration"),
        ("1 h", "`1 h` is not a duration"),
        ("h", "`h` is not a duration"),
        ("\uff11h", "is not a duration"),
    ],
)
def test_parse_duration_refuses_with_guidance(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_duration(text)

    assert says in raised.value.message
    assert "Type a duration like `45s`, `10m`, `2h` or `3d`." in raised.value.message


def test_parse_duration_ends_with_the_callers_hint() -> None:
    with pytest.raises(InvalidInput, match=r"Type a window like `7d`\.$"):
        parse_duration("soon", hint="Type a window like `7d`.")


@pytest.mark.parametrize(
    ("text", "offsets"),
    [
        ("7d 1d 1h 15m 30s", (7 * D, D, H, 15 * M, 30 * S)),
        ("1h, 7d,1d", (7 * D, D, H)),
        ("1h,,  15m", (H, 15 * M)),
        ("1h 60m 3600s", (H,)),
        ("24h 1d", (D,)),
        ("none", ()),
        (" NONE ", ()),
        ("1m 2m 3m 4m 5m 6m 7m 8m 9m 10m", tuple(n * M for n in range(10, 0, -1))),
        ("1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 10m", tuple(n * M for n in range(10, 0, -1))),
        ("365d", (365 * D,)),
    ],
)
def test_parse_offsets_dedupes_and_sorts_longest_first(
    text: str, offsets: tuple[timedelta, ...]
) -> None:
    assert parse_offsets(text) == offsets


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "The offsets are empty"),
        ("   ", "The offsets are empty"),
        ("-1h", "`-1h` has a sign"),
        ("99999d", "`99999d` is longer than the limit of 365 days"),
        ("0m", "`0m` is zero"),
        ("abc", "`abc` is not a duration"),
        ("1x", "`1x` is not a duration"),
        ("1.5h", "`1.5h` has a fraction"),
        ("7d 1d abc", "`abc` is not a duration"),
        ("none 1h", "`none` cannot be mixed with offsets"),
        ("1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 11m", "That is 11 offsets; at most 10 are allowed"),
        ("1h " * 5_000 + "x" * 5_000, "is not a duration"),
    ],
)
def test_parse_offsets_refuses_with_guidance(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_offsets(text)

    assert says in raised.value.message
    assert raised.value.message.endswith(OFFSETS_HINT)
    assert len(raised.value.message) < 200


@pytest.mark.parametrize(
    ("duration", "written"),
    [
        (7 * D, "7d"),
        (90 * M, "1h 30m"),
        (45 * S, "45s"),
        (D + 2 * H + 3 * M + 4 * S, "1d 2h 3m 4s"),
        (36 * H, "1d 12h"),
        (timedelta(0), "0s"),
        (timedelta(seconds=1.7), "1s"),
    ],
)
def test_format_duration_is_compact(duration: timedelta, written: str) -> None:
    assert format_duration(duration) == written


def test_format_duration_refuses_negative_durations() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_duration(-H)


@pytest.mark.parametrize(
    ("offsets", "written"),
    [
        ((7 * D, D, H), "7d, 1d, 1h"),
        ((), "none"),
        ((90 * M,), "90m"),
        ((36 * H, 15 * M), "36h, 15m"),
        ((H + S,), "3601s"),
    ],
)
def test_format_offsets_writes_what_can_be_typed_back(
    offsets: tuple[timedelta, ...], written: str
) -> None:
    assert format_offsets(offsets) == written
    assert parse_offsets(written) == offsets


@pytest.mark.parametrize(
    ("offset", "described"),
    [
        (7 * D, "in 7 days"),
        (D, "in 1 day"),
        (H, "in 1 hour"),
        (15 * M, "in 15 minutes"),
        (S, "in 1 second"),
        (30 * S, "in 30 seconds"),
        (90 * M, "in 1 hour and 30 minutes"),
        (D + H + M, "in 1 day, 1 hour and 1 minute"),
    ],
)
def test_describe_offset_reads_as_english(offset: timedelta, described: str) -> None:
    assert describe_offset(offset) == described
