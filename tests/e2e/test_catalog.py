"""AniList catalog shows through the real client: per-guild titles and delays, and one
catalog release announced in two guilds, each at its own time, each once."""

from __future__ import annotations

import asyncio
import time

from bot.clock import utcnow
from bot.domain.catalog import Airing, CatalogMedia, MediaFormat, MediaStatus, Titles
from bot.services.catalog import FollowStatus
from bot.storage.convert import to_epoch
from tests.conftest import MANAGE_GUILD, Server
from tests.simulator.models import SimChannel
from tests.support.harness import RunningBot, wait_until

ANILIST_ID = 166531
OSHI = CatalogMedia(
    anilist_id=ANILIST_ID,
    titles=Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", "【推しの子】第2期"),
    site_url=f"https://anilist.co/anime/{ANILIST_ID}",
    is_adult=False,
    synonyms=("OnK S2",),
    synopsis="Aqua keeps looking for the truth.",
    format=MediaFormat.TV,
    status=MediaStatus.RELEASING,
    episodes=13,
)


def settings_fields(embed: dict[str, object]) -> dict[str, str]:
    fields = embed["fields"]
    assert isinstance(fields, list)
    return {str(f["name"]): str(f["value"]) for f in fields}


async def test_title_language_and_delay_are_set_and_shown(
    server: Server, airdate: RunningBot
) -> None:
    titles = await server.mod("settings titles", {"language": "english"})
    assert titles.ephemeral and "english" in (titles.content or "")
    delay = await server.mod("settings delay", {"after": "1h"})
    assert delay.ephemeral and "1h after their broadcast" in (delay.content or "")
    view = settings_fields((await server.mod("settings view")).embeds[0])
    assert view["AniList titles"] == "English"
    assert view["Delay after AniList's airing time"] == "1h"

    for typed, says in [("25h", "limit of 24 hours"), ("soon", "is not a duration"), ("", "")]:
        refused = await server.mod("settings delay", {"after": typed})
        assert refused.ephemeral and "`0s` or `none`" in (refused.content or ""), refused.content
        assert says in (refused.content or "")
    # Nothing changed by the refusals; `none` then clears the delay.
    view = settings_fields((await server.mod("settings view")).embeds[0])
    assert view["Delay after AniList's airing time"] == "1h"
    await server.mod("settings delay", {"after": "none"})
    view = settings_fields((await server.mod("settings view")).embeds[0])
    assert view["Delay after AniList's airing time"].startswith("None")


async def test_a_catalog_release_is_announced_in_each_guild_at_its_own_time_once(
    server: Server, airdate: RunningBot
) -> None:
    other = server.sim.add_guild(name="Second Server")
    other_mod = server.sim.add_member(other, name="mod2", permissions=MANAGE_GUILD)
    other_news = server.sim.add_channel(other, name="news")
    await server.sim.wait_for_gateway()

    async def other_guild(command: str, options: dict[str, object]) -> None:
        reply = await server.sim.invoke(
            other, other_news, other_mod, command, options, permissions=MANAGE_GUILD
        )
        assert reply.ephemeral, reply

    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings titles", {"language": "english"})
    await server.mod("settings delay", {"after": "1s"})
    await other_guild("settings channel", {"channel": other_news})
    await other_guild("settings delay", {"after": "6s"})

    airs_at = to_epoch(utcnow()) + 3
    episode = (Airing(ANILIST_ID, 1, airs_at),)
    catalog = airdate.bot.catalog
    for guild in (server.guild, other):
        followed = await catalog.follow(guild.id, OSHI, episode, None, None, True, utcnow())
        assert followed.status is FollowStatus.FOLLOWED
    # Listed here as this guild reads it: in English.
    listing = await server.user("upcoming")
    assert "Oshi no Ko Season 2 — Episode 1" in str(listing.embeds[0])

    def announced(channel: SimChannel) -> list[str]:
        return [str(m.embeds) for m in server.sim.messages(channel) if m.embeds]

    await wait_until(
        lambda: bool(announced(server.announcements)), 10, "the first guild's announcement"
    )
    first_seen = time.time()
    assert first_seen >= airs_at + 1 - 0.5
    # The second guild is told six seconds after the broadcast, not with the first.
    assert not announced(other_news)
    await wait_until(lambda: bool(announced(other_news)), 15, "the second guild's announcement")
    assert time.time() >= airs_at + 6 - 0.5
    await asyncio.sleep(1.5)
    [here] = announced(server.announcements)
    [there] = announced(other_news)
    assert "Oshi no Ko Season 2 — Episode 1" in here
    assert "[Oshi no Ko] 2nd Season — Episode 1" in there


async def test_catalog_releases_are_read_only_and_seen_only_by_guilds_following_them(
    server: Server, airdate: RunningBot
) -> None:
    other = server.sim.add_guild(name="Second Server")
    other_mod = server.sim.add_member(other, name="mod2", permissions=MANAGE_GUILD)
    other_chat = server.sim.add_channel(other, name="chat")
    await server.sim.wait_for_gateway()
    await server.mod("settings channel", {"channel": server.announcements})
    await server.sim.invoke(
        other,
        other_chat,
        other_mod,
        "settings channel",
        {"channel": other_chat},
        permissions=MANAGE_GUILD,
    )
    episode = (Airing(ANILIST_ID, 1, to_epoch(utcnow()) + 86_400 * 3),)
    await airdate.bot.catalog.follow(server.guild.id, OSHI, episode, None, None, True, utcnow())

    [choice] = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.moderator,
        "release edit",
        {"release": "onk"},
        focused="release",
    )
    assert choice["name"].startswith("[Oshi no Ko] 2nd Season — Episode 1")
    refused = await server.mod("release edit", {"release": choice["value"], "when": "2030-01-01"})
    assert refused.ephemeral and "comes from AniList" in (refused.content or "")
    removed = await server.mod("release remove", {"release": choice["value"]})
    assert removed.ephemeral and "comes from AniList" in (removed.content or "")
    card = await server.user("countdown", {"release": choice["value"]})
    assert card.embeds[0]["title"] == "[Oshi no Ko] 2nd Season — Episode 1"

    # A guild whose announcement channel follows `all` does not see it.
    assert (
        await server.sim.autocomplete(
            other, other_chat, other_mod, "countdown", {"release": "oshi"}, focused="release"
        )
        == []
    )
    missing = await server.sim.invoke(
        other, other_chat, other_mod, "countdown", {"release": choice["value"]}
    )
    assert missing.ephemeral and "Pick one from the list" in (missing.content or "")
