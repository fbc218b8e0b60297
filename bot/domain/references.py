"""What a typed `release` or `show` option names: a title the guild sees, else an id.

Autocomplete answers with ids, but members also type titles, and a title can be all
digits (a show called "86"). A value that is exactly a title the guild sees means that
title; only otherwise is a number taken as an id. What autocomplete itself answers is
the id marked as picked (`id:86`), so choosing Frieren from the list means Frieren even
in a guild where "86" is also a title. Only ASCII digits make an id: `str.isdigit`
also accepts "²" (which `int` refuses) and Arabic-Indic digits (which `int` reads as
numbers), and neither is an id anyone picked from a list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TypeVar

from bot.domain.errors import NotFound
from bot.domain.text import quote

#: At most 18 digits: every such number fits SQLite's signed 64-bit integers.
_ID = re.compile(r"[0-9]{1,18}")
#: How an autocomplete choice names what was picked from the list.
PICKED = "id:"

T = TypeVar("T")


def typed_id(typed: str) -> int | None:
    """Return the id a value spells in ASCII digits, or None when it is no id."""
    value = typed.strip()
    return int(value) if _ID.fullmatch(value) else None


def picked_value(entity_id: int) -> str:
    """The value an autocomplete choice answers for a release or show: its id, marked."""
    return f"{PICKED}{entity_id}"


def picked_id(typed: str) -> int | None:
    """Return the id of a value autocomplete answered (`id:86`), or None for typed text."""
    value = typed.strip()
    if not value.startswith(PICKED):
        return None
    return typed_id(value.removeprefix(PICKED))


def choose(
    typed: str,
    titled: Sequence[T],
    by_id: T | None,
    *,
    noun: str,
    hint: str,
) -> T:
    """Return what a typed value names: its one title match, else the id's match.

    `titled` holds what the guild sees under exactly that title; `by_id` what it sees
    under the id the value spells, if any. Several title matches are refused, not settled
    by the id: the user meant a title and must pick which.
    """
    if len(titled) == 1:
        return titled[0]
    shown = quote(typed.strip())
    if len(titled) > 1:
        raise NotFound(f"{len(titled)} {noun}s match {shown}. {hint}")
    if by_id is not None:
        return by_id
    raise NotFound(f"No {noun} here matches {shown}. {hint}")
