"""`/anilist follow` end to end: the real client against the Discord simulator and the
AniList stand-in, both on loopback, as a moderator would use it."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio

from bot.clock import utcnow
from tests.anilist_standin import AniListStandin, sample_catalogue
from tests.anilist_standin.data import (
    ADULT_SHOW,
    ADULT_SHOW_MAL,
    COWBOY_BEBOP,
    OSHI_NO_KO,
    OSHI_NO_KO_MAL,
    OSHI_NO_KO_MANGA,
)
from tests.conftest import MANAGE_GUILD, Server
from tests.support.harness import RunningBot, start_bot, wait_until

ONK = "[Oshi no Ko] 2nd Season"


@pytest_asyncio.fixture
async def anilist() -> AsyncIterator[AniListStandin]:
    # Oshi no Ko's next episode (4) airs 6 s after the stand-in starts.
    standin = AniListStandin(sample_catalogue(utcnow(), next_episode_in=timedelta(seconds=6)))
    await standin.start()
    try:
        yield standin
    finally:
        await standin.stop()


@pytest_asyncio.fixture
async def bot(server: Server, db_path: Path, anilist: AniListStandin) -> AsyncIterator[RunningBot]:
    running = await start_bot(server.sim, db_path, anilist_url=anilist.url)
    yield running
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


async def follows_listed(server: Server) -> str:
    reply = await server.mod("follows")
    return " ".join(str(e.get("description", "")) for e in reply.embeds) + (reply.content or "")


async def test_a_link_follows_the_show_and_its_episode_is_announced_with_streaming_buttons(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    reply = await server.mod(
        "anilist follow", {"query": f"https://anilist.co/anime/{OSHI_NO_KO}/Oshi-no-Ko-2nd-Season"}
    )
    assert reply.ephemeral
    text = reply.content or ""
    assert ONK in text and "Episode 4" in text, text
    assert re.search(r"<t:\d+:R>", text), text
    assert ONK in await follows_listed(server)

    await wait_until(
        lambda: any("Episode 4" in m.content for m in server.sim.messages(server.announcements)),
        15,
        "the announcement of episode 4",
    )
    [announcement] = [
        m for m in server.sim.messages(server.announcements) if "Episode 4" in m.content
    ]
    embed = announcement.embeds[0]
    assert embed["url"] == f"https://anilist.co/anime/{OSHI_NO_KO}"
    assert "Episode 4 of 13" in str(embed)
    buttons = [c for row in announcement.components for c in row["components"]]
    labels = [b.get("label") for b in buttons]
    # Streaming sites first (one per site, the disabled Netflix left out), then Remind me.
    assert labels[:2] == ["HIDIVE", "Crunchyroll"], labels
    assert labels[-1] == "Remind me", labels
    assert buttons[0]["url"] == "https://www.hidive.com/tv/oshi-no-ko-season-2"


async def test_mal_links_find_the_anime_not_the_manga_with_that_id(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    reply = await server.mod(
        "anilist follow", {"query": f"https://myanimelist.net/anime/{OSHI_NO_KO_MAL}/Oshi_no_Ko"}
    )
    assert ONK in (reply.content or ""), reply.content
    sent = [r for r in anilist.requests if r.status == 200]
    assert sent and all(r.arguments["type"].value == "ANIME" for r in sent), sent


async def test_several_at_once_say_what_became_of_each(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    query = (
        f"{OSHI_NO_KO}, https://anilist.co/anime/{COWBOY_BEBOP} 987654 "
        f"https://anilist.co/manga/{OSHI_NO_KO_MANGA} https://anilist.co/anime/{ADULT_SHOW}"
    )
    text = (await server.mod("anilist follow", {"query": query})).content or ""
    assert ONK in text and "Cowboy Bebop" in text, text
    assert "987654" in text and "not found" in text.lower(), text
    assert "manga" in text.lower() and "18+" in text, text
    listed = await follows_listed(server)
    assert ONK in listed and "Cowboy Bebop" in listed
    assert "Adult" not in listed

    again = (await server.mod("anilist follow", {"query": str(OSHI_NO_KO)})).content or ""
    assert "already" in again.lower(), again


async def test_adult_media_is_never_followed_by_id_or_link(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    for query in (str(ADULT_SHOW), f"https://myanimelist.net/anime.php?id={ADULT_SHOW_MAL}"):
        text = (await server.mod("anilist follow", {"query": query})).content or ""
        assert "18+" in text, text
    # The control: a show that is not adult is followed the same way.
    text = (await server.mod("anilist follow", {"query": str(COWBOY_BEBOP)})).content or ""
    assert "Cowboy Bebop" in text and "18+" not in text
    listed = await follows_listed(server)
    assert "Cowboy Bebop" in listed and "Adult" not in listed


async def test_a_search_follows_only_an_exact_title_else_lists_matches(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    vague = (await server.mod("anilist follow", {"query": "oshi"})).content or ""
    assert (ONK in vague and "Nothing was followed" in vague) or "pick" in vague.lower(), vague
    assert ONK not in await follows_listed(server)
    exact = (await server.mod("anilist follow", {"query": "oshi no ko season 2"})).content or ""
    assert ONK in exact
    assert ONK in await follows_listed(server)


async def test_autocomplete_offers_anilist_search_results(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    choices = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.moderator,
        "anilist follow",
        {"query": "cowboy"},
        focused="query",
    )
    assert any(c["name"].startswith("Cowboy Bebop · TV") for c in choices), choices
    assert {c["value"] for c in choices} >= {str(COWBOY_BEBOP)}
    assert not any("Adult" in c["name"] for c in choices)


async def test_without_an_announcement_channel_the_channel_option_is_required(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    text = (await server.mod("anilist follow", {"query": str(COWBOY_BEBOP)})).content or ""
    assert "channel" in text.lower() and "announcement" in text.lower(), text
    assert "Cowboy Bebop" not in await follows_listed(server)
    followed = await server.mod(
        "anilist follow", {"query": str(COWBOY_BEBOP), "channel": server.general}
    )
    assert "Cowboy Bebop" in (followed.content or "")
    assert "Cowboy Bebop" in await follows_listed(server)


@pytest.mark.parametrize("fault", ["status", "html", "errors_in_200", "disabled"])
async def test_anilist_not_answering_is_said_and_changes_nothing(
    server: Server, bot: RunningBot, anilist: AniListStandin, fault: str
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    anilist.fail(fault, count=None)  # type: ignore[arg-type]
    started = time.monotonic()
    reply = await server.sim.invoke(
        server.guild,
        server.general,
        server.moderator,
        "anilist follow",
        {"query": str(COWBOY_BEBOP)},
        permissions=MANAGE_GUILD,
        timeout=20,
    )
    # The command gives up after AniList's 10 s, retries included, and says so.
    assert time.monotonic() - started < 13
    assert reply.ephemeral and "not answering" in (reply.content or ""), reply.content
    assert "Cowboy Bebop" not in await follows_listed(server)
    anilist.heal()
    text = (await server.mod("anilist follow", {"query": str(COWBOY_BEBOP)})).content or ""
    assert "Cowboy Bebop" in text and "not answering" not in text


async def test_a_followed_anilist_show_works_like_any_other_for_members(
    server: Server, bot: RunningBot, anilist: AniListStandin
) -> None:
    """/upcoming, /countdown, /subscribe by DM and /unfollow on a show from AniList: the
    member's DM arrives with the episode, and after /unfollow the show is out of sight."""
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("anilist follow", {"query": str(OSHI_NO_KO)})

    upcoming = await server.user("upcoming")
    assert "Episode 4" in str(upcoming.embeds) and ONK in str(upcoming.embeds), upcoming
    card = await server.user("countdown", {"release": f"{ONK} — Episode 4"})
    assert ONK in str(card.embeds) and "Remind me" in str(card.components), card
    subscribed = await server.user("subscribe", {"show": ONK, "via": "dm"})
    assert "DM" in (subscribed.content or ""), subscribed.content

    await wait_until(
        lambda: any("Episode 4" in m.content for m in server.sim.dm_messages(server.member)),
        15,
        "the subscriber's DM about episode 4",
    )
    [dm] = [m for m in server.sim.dm_messages(server.member) if "Episode 4" in m.content]
    labels = [c.get("label") for row in dm.components for c in row["components"]]
    assert "HIDIVE" in labels and "Remind me" not in labels, labels

    await server.mod("unfollow", {"show": ONK, "channel": server.announcements})
    assert ONK not in await follows_listed(server)
    gone = await server.user("countdown", {"release": f"{ONK} — Episode 5"})
    assert gone.ephemeral, gone
