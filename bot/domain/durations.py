"""Durations as users type them (`45s`, `2h`, `7d`) and as Airdate writes them back."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import timedelta

from bot.domain.errors import InvalidInput
from bot.domain.text import quote

MAX_DURATION = timedelta(days=365)
MAX_OFFSETS = 10

DURATION_HINT = "Type a duration like `45s`, `10m`, `2h` or `3d`."
OFFSETS_HINT = "Type offsets like `7d 1d 1h 15m`, or `none`."

_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}
_UNIT_WORDS = {"d": "day", "h": "hour", "m": "minute", "s": "second"}

_DURATION = re.compile(r"(?P<amount>[0-9]+)(?P<unit>[smhd])", re.IGNORECASE)
_SIGNED = re.compile(r"[-+\u2212][0-9]+(?:[.,][0-9]+)?[a-z]*", re.IGNORECASE)
_FRACTION = re.compile(r"[0-9]*[.][0-9]+[a-z]*", re.IGNORECASE)
_WEEKS = re.compile(r"(?P<amount>[0-9]+)w", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s,]+")


def parse_duration(text: str, *, hint: str = DURATION_HINT) -> timedelta:
    """Read one duration such as `45s`, `10m`, `2h` or `3d` (more than 0, at most 365 days).

    `hint` ends every error message: the caller says what to type in its own context.
    """
    token = text.strip()
    if not token:
        raise InvalidInput(f"The duration is empty. {hint}")
    duration = _read(token)
    if isinstance(duration, str):
        raise InvalidInput(f"{duration} {hint}")
    return duration


def parse_offsets(text: str) -> tuple[timedelta, ...]:
    """Read reminder offsets such as `7d 1d 1h 15m`, or `none`: unique, longest first."""
    stripped = text.strip()
    if not stripped:
        raise InvalidInput(f"The offsets are empty. {OFFSETS_HINT}")
    if stripped.casefold() == "none":
        return ()
    tokens = [token for token in _SEPARATORS.split(stripped) if token]
    offsets: set[timedelta] = set()
    for token in tokens:
        if token.casefold() == "none":
            raise InvalidInput(f"`none` cannot be mixed with offsets. {OFFSETS_HINT}")
        offset = _read(token)
        if isinstance(offset, str):
            raise InvalidInput(f"{offset} {OFFSETS_HINT}")
        offsets.add(offset)
    if len(offsets) > MAX_OFFSETS:
        raise InvalidInput(
            f"That is {len(offsets)} offsets; at most {MAX_OFFSETS} are allowed. {OFFSETS_HINT}"
        )
    return tuple(sorted(offsets, reverse=True))


DELAY_HINT = "Type a delay like `30m` or `1h` (at most `24h`), or `0s` or `none` for none."
MAX_DELAY = timedelta(hours=24)


def parse_delay(text: str) -> timedelta:
    """Read `/settings delay after`: one duration up to 24 h, or `0s`/`none` for none."""
    token = text.strip()
    if not token:
        raise InvalidInput(f"The delay is empty. {DELAY_HINT}")
    if token.casefold() == "none" or re.fullmatch(r"0+[smhd]?", token, re.IGNORECASE):
        return timedelta(0)
    delay = _read(token)
    if isinstance(delay, str):
        raise InvalidInput(f"{delay} {DELAY_HINT}")
    if delay > MAX_DELAY:
        raise InvalidInput(f"{quote(token)} is longer than the limit of 24 hours. {DELAY_HINT}")
    return delay


def format_duration(duration: timedelta) -> str:
    """Write a duration compactly: "7d", "1h 30m", "45s" (whole seconds, rounded down)."""
    parts = [f"{amount}{unit}" for amount, unit in _split(duration)]
    return " ".join(parts) or "0s"


def format_offsets(offsets: Iterable[timedelta]) -> str:
    """Write offsets as they can be typed back: "7d, 1d, 1h", "90m", or "none"."""
    tokens = [_as_token(offset) for offset in offsets]
    return ", ".join(tokens) or "none"


def describe_offset(offset: timedelta) -> str:
    """Say how far ahead an offset is, for reminders: "in 1 day", "in 1 hour and 30 minutes"."""
    words = [
        f"{amount} {_UNIT_WORDS[unit]}{'' if amount == 1 else 's'}"
        for amount, unit in _split(offset)
    ]
    if not words:
        return "now"
    if len(words) == 1:
        return f"in {words[0]}"
    return f"in {', '.join(words[:-1])} and {words[-1]}"


def _read(token: str) -> timedelta | str:
    """Return the duration `token` names, or the sentence saying what is wrong with it."""
    match = _DURATION.fullmatch(token)
    if match is None:
        return _problem(token)
    # Python refuses to parse integers of thousands of digits; no valid duration has 12.
    if len(match["amount"].lstrip("0")) > 12:
        return f"{quote(token)} is longer than the limit of 365 days."
    seconds = int(match["amount"]) * _UNIT_SECONDS[match["unit"].lower()]
    if seconds == 0:
        return f"{quote(token)} is zero; a duration must be longer than that."
    if seconds > MAX_DURATION.total_seconds():
        return f"{quote(token)} is longer than the limit of 365 days."
    return timedelta(seconds=seconds)


def _problem(token: str) -> str:
    if _SIGNED.fullmatch(token):
        return f"{quote(token)} has a sign; durations are counted forward, without `+` or `-`."
    if _FRACTION.fullmatch(token):
        return f"{quote(token)} has a fraction; use a whole number of a smaller unit."
    weeks = _WEEKS.fullmatch(token)
    if weeks is not None and len(weeks["amount"]) < 6:
        days = int(weeks["amount"]) * 7
        return f"{quote(token)} counts weeks; write days instead, like `{days}d`."
    return f"{quote(token)} is not a duration: write a whole number followed by s, m, h or d."


def _split(duration: timedelta) -> list[tuple[int, str]]:
    if duration < timedelta(0):
        raise ValueError(f"negative duration {duration!r}")
    remaining = duration // timedelta(seconds=1)
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        amount, remaining = divmod(remaining, size)
        if amount:
            parts.append((amount, unit))
    return parts


def _as_token(offset: timedelta) -> str:
    # One unit per offset, so that "1h 30m" is never read back as two offsets.
    seconds = offset // timedelta(seconds=1)
    if seconds <= 0:
        raise ValueError(f"offsets are positive, got {offset!r}")
    for unit, size in _UNIT_SECONDS.items():
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    raise AssertionError("every whole number of seconds is a number of `s`")
