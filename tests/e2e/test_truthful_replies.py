"""Replies tell the truth: where things will be posted, who gets a notice, what is left out."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.client import UNEXPECTED_ERROR_REPLY
from tests.conftest import Server
from tests.e2e.seed import seed_shows
from tests.simulator import Perm
from tests.support.harness import RunningBot, start_bot, wait_until


def posted(server: Server) -> list[str]:
    return [m.content for m in server.sim.messages(server.announcements)]


async def test_follows_without_an_announcement_channel_are_not_told_nothing_will_post(
    server: Server, airdate: RunningBot
) -> None:
    anime = server.sim.add_channel(server.guild, name="anime")
    await server.sim.wait_for_gateway()
    await server.mod("follow", {"show": "all", "channel": anime})

    added = await server.mod("release add", {"title": "Frieren", "when": "in 3h"})
    says = added.content or ""
    assert "Nothing will be posted" not in says and "/settings channel" not in says
    assert f"Airdate will post 1 reminder and the announcement in <#{anime.id}>." in says

    await server.mod("settings channel", {"channel": server.announcements})
    cleared = await server.mod("settings channel", {})
    says = cleared.content or ""
    assert "cleared" in says and "post nothing" not in says and "/follows" in says

    # The control: with neither a channel nor a follow, the reply does say so.
    await server.mod("unfollow", {"show": "all", "channel": anime})
    alone = await server.mod("release add", {"title": "Dandadan", "when": "in 3h"})
    assert "Nothing will be posted yet" in (alone.content or "")


async def test_a_notice_is_promised_only_once_someone_was_told(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "1h 3s"})
    await server.mod("release add", {"title": "Frieren", "when": "in 2h"})
    untold = await server.mod("release edit", {"release": "Frieren", "when": "in 5s"})
    assert "notice" not in (untold.content or "")

    await wait_until(lambda: len(posted(server)) == 1, 6, "the 3 s reminder")
    told = await server.mod("release edit", {"release": "Frieren", "when": "in 3h"})
    assert "Anyone already told about it gets a notice of the new date." in (told.content or "")
    await wait_until(lambda: len(posted(server)) == 2, 4, "the notice the reply promised")
    assert "has moved" in posted(server)[1]


async def test_upcoming_says_when_the_window_holds_more_than_it_shows(
    server: Server, db_path: Path
) -> None:
    await seed_shows(db_path, server.guild.id, 103, when="in 2d")
    running = await start_bot(server.sim, db_path)
    try:
        listing = await server.user("upcoming")
        footer = listing.embeds[0]["footer"]["text"]
        assert footer.startswith("Page 1 of 10 · the soonest 100 releases")
        assert "There are more in this window" in footer
        week = await server.user("upcoming", {"within": "1d"})
        assert "Nothing scheduled" in week.embeds[0]["description"]  # the control: a window
        assert not running.unexpected_errors
    finally:
        await running.stop()


async def test_settings_test_names_the_permission_airdate_lacks_and_posts_nothing(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.sim.deny_bot(server.announcements, Perm.EMBED_LINKS)
    await asyncio.sleep(0.1)
    refused = await server.mod("settings test")
    says = refused.content or ""
    assert refused.ephemeral and "lacks Embed Links" in says and says != UNEXPECTED_ERROR_REPLY
    assert posted(server) == []

    await server.sim.deny_bot(server.announcements, 0)
    await asyncio.sleep(0.1)
    done = await server.mod("settings test")
    assert "Posted a sample" in (done.content or "")
    assert len(posted(server)) == 1


async def test_settings_test_maps_discords_refusals_like_every_other_message(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    for status, code, says in [
        (403, 50013, "lacks a permission there. It needs View Channel, Send Messages and Embed"),
        (403, 50001, "lacks View Channel there"),
        (503, 0, "Try again in a minute"),
    ]:
        server.sim.fail_channel(server.announcements, "status", status=status, code=code)
        refused = await server.mod("settings test")
        assert refused.ephemeral and says in (refused.content or ""), refused.content
    assert posted(server) == []
    done = await server.mod("settings test")
    assert "Posted a sample" in (done.content or "")
