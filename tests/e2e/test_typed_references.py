"""Typed `release` and `show` values: a title the guild sees, else an id, never stray digits."""

from __future__ import annotations

from pathlib import Path

from bot.client import UNEXPECTED_ERROR_REPLY
from tests.conftest import Server
from tests.e2e.seed import seed_shows
from tests.support.harness import RunningBot, dump_database, start_bot

PICK = "Pick one from the list that appears as you type"
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


async def chosen(server: Server, command: str, option: str, typed: str) -> str:
    [choice] = await server.sim.autocomplete(
        server.guild, server.general, server.moderator, command, {option: typed}, focused=option
    )
    return str(choice["value"])


async def test_a_show_titled_86_is_that_show_even_where_86_is_an_id(
    server: Server, db_path: Path
) -> None:
    await seed_shows(db_path, server.guild.id, 85)
    running = await start_bot(server.sim, db_path)
    try:
        await server.mod("release add", {"title": "Frieren", "when": "2030-02-01"})
        await server.mod("release add", {"title": "86", "label": "Season 2", "when": "2030-03-01"})
        # The setting that makes "86" ambiguous: it is also Frieren's release and show id.
        picked_release = await chosen(server, "countdown", "release", "Frieren")
        picked_show = await chosen(server, "follow", "show", "Frieren")
        assert picked_release == picked_show == "id:86"

        card = await server.user("countdown", {"release": "86"})
        assert not card.ephemeral and card.embeds[0]["title"] == "86 — Season 2"
        followed = await server.mod("follow", {"show": "86", "channel": server.announcements})
        assert "now follows **86**" in (followed.content or "")
        subscribed = await server.user("subscribe", {"show": "86", "via": "dm"})
        assert "Subscribed to **86**" in (subscribed.content or "")
        listing = await server.user("subscriptions")
        assert "Frieren" not in listing.embeds[0]["description"]
        # Picked from the list, Frieren is Frieren, whatever else is titled "86".
        picked = await server.user("countdown", {"release": picked_release})
        assert picked.embeds[0]["title"] == "Frieren"
        frieren = await server.mod("follow", {"show": picked_show, "channel": server.general})
        assert "now follows **Frieren**" in (frieren.content or "")
        # A number that is no title still names the release with that id.
        other = await server.user("countdown", {"release": "85"})
        assert other.embeds[0]["title"] == "Filler 85"
        assert not running.unexpected_errors
    finally:
        await running.stop()


async def test_digits_other_than_ascii_are_no_id_and_change_nothing(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await server.mod("release add", {"title": "Frieren", "when": "2030-02-01"})
    release_id = await chosen(server, "countdown", "release", "Frieren")
    show_id = await chosen(server, "follow", "show", "Frieren")
    before = dump_database(db_path)
    cases: list[tuple[str, dict[str, object]]] = [
        ("countdown", {"release": "²"}),
        ("countdown", {"release": release_id.translate(ARABIC_INDIC)}),
        ("release remove", {"release": release_id.translate(ARABIC_INDIC)}),
        ("follow", {"show": show_id.translate(ARABIC_INDIC), "channel": server.announcements}),
        ("subscribe", {"show": "²"}),
    ]
    for command, options in cases:
        reply = await server.mod(command, options)
        assert reply.ephemeral, (command, options)
        assert PICK in (reply.content or ""), (command, options, reply.content)
        assert reply.content != UNEXPECTED_ERROR_REPLY
    assert dump_database(db_path) == before
    # The control: the same release by its ASCII id is found.
    card = await server.user("countdown", {"release": release_id})
    assert card.embeds[0]["title"] == "Frieren"


async def test_a_pick_removed_after_the_list_was_shown_says_so_not_its_id(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("release add", {"title": "Frieren", "when": "2030-02-01"})
    await server.mod("release add", {"title": "Dandadan", "when": "2030-03-01"})
    frieren = await chosen(server, "countdown", "release", "Frieren")
    dandadan = await chosen(server, "countdown", "release", "Dandadan")
    await server.mod("release remove", {"release": frieren})

    gone = await server.user("countdown", {"release": frieren})
    assert gone.ephemeral
    assert (gone.content or "").startswith("No release here is the one picked: it may have been")
    assert PICK in (gone.content or "") and "id:" not in (gone.content or "")
    # The control: a pick still there is counted down.
    there = await server.user("countdown", {"release": dandadan})
    assert there.embeds[0]["title"] == "Dandadan"
    assert not airdate.unexpected_errors
