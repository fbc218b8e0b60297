"""Find the show or release an option names, by the one rule of `bot.domain.references`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from bot.domain import references
from bot.domain.errors import NotFound
from bot.domain.models import Release, Show
from bot.storage import releases, shows
from bot.storage.database import Transaction

T = TypeVar("T")

ALL_SHOWS = "all"
PICK_HINT = "Pick one from the list that appears as you type"


async def resolve(
    typed: str,
    titled: Callable[[str], Awaitable[Sequence[T]]],
    by_id: Callable[[int], Awaitable[T | None]],
    *,
    noun: str,
    hint: str,
) -> T:
    """Return what `typed` names: what was picked from the list, exactly a title the guild
    sees, else the id it spells."""
    text = typed.strip()
    picked = references.picked_id(text)
    if picked is not None:
        found = await by_id(picked)
        if found is None:
            raise NotFound(
                f"No {noun} here is the one picked: it may have been removed since the list "
                f"was shown. {hint}"
            )
        return found
    matches = await titled(text) if text else []
    number = references.typed_id(text)
    found = None if matches or number is None else await by_id(number)
    return references.choose(text, matches, found, noun=noun, hint=hint)


async def resolve_release(tx: Transaction, guild_id: int, typed: str) -> Release:
    """Find the live release an option names: an exact 'Show — Label' or show title, or an id."""

    async def titled(text: str) -> list[Release]:
        return await releases.releases_titled(tx, guild_id, text)

    async def by_id(release_id: int) -> Release | None:
        return await releases.guild_release(tx, guild_id, release_id)

    return await resolve(typed, titled, by_id, noun="release", hint=f"{PICK_HINT}.")


async def resolve_show(
    tx: Transaction, guild_id: int, reference: str | int, *, allow_all: bool
) -> Show | None:
    """Find the show an option names: `all` (None, where allowed), a title, or an id.

    An int is an id the bot itself wrote (a button's), never a title.
    """
    hint = PICK_HINT + (", or type `all`." if allow_all else ".")

    async def titled(text: str) -> list[Show]:
        return await shows.shows_titled(tx, guild_id, text)

    async def by_id(show_id: int) -> Show | None:
        return await shows.guild_show(tx, guild_id, show_id)

    if isinstance(reference, int):
        return await resolve(str(reference), _nothing, by_id, noun="show", hint=hint)
    if allow_all and reference.strip().casefold() == ALL_SHOWS:
        return None
    return await resolve(reference, titled, by_id, noun="show", hint=hint)


async def _nothing(text: str) -> list[Show]:
    return []
