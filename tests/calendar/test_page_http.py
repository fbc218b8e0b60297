"""The schedule page over real HTTP on loopback: its headers and validators, the same 404
as the feed for every token or path that opens nothing, what each guild's page lists,
and the page link that /settings calendar and /calendar share."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.calendar.page import CONTENT_SECURITY_POLICY
from bot.calendar.server import FeedServer
from bot.domain.catalog import Airing, TitleLanguage
from bot.services.releases import ReleaseChanges, ReleaseDraft
from bot.services.schedule import ScheduleService
from bot.storage.convert import to_epoch
from tests.calendar.conftest import GUILD, OTHER_GUILD, World
from tests.calendar.html_tree import Element, parse
from tests.calendar.test_feed_http import Feed
from tests.calendar.test_ics import ANILIST_ID, EP1, OSHI
from tests.conftest import Server
from tests.support.harness import start_bot, wait_until

BASE_URL = "https://airdate.example.org/feeds"


@pytest.fixture
async def pages(world: World) -> AsyncIterator[Feed]:
    server = FeedServer(
        world.calendar,
        world.feeds,
        "127.0.0.1",
        0,
        schedule=ScheduleService(world.changes),
        base_url=BASE_URL,
    )
    server.watch_connection(lambda: True)
    await server.start()
    yield Feed(server, world, [True])
    await server.stop()


async def add(
    world: World, title: str, when: str, label: str | None = "Episode 2", guild_id: int = GUILD
) -> int:
    result = await world.releases.add(guild_id, ReleaseDraft(title, when, label=label))
    return result.release.id


def listed(document: Element) -> dict[str, list[str]]:
    """Each UTC day's releases as the page lists them: 'HH:MM UTC Title Label Marks'."""
    days: dict[str, list[str]] = {}
    for section in document.by_id("days").find_all("section", "day"):
        days[section.attrs["data-day"] or ""] = [
            " ".join(
                [card.find("time").text, card.find("h3", "title").text]
                + [p.text for p in card.find_all("p", "label")]
                + [mark.text for mark in card.find_all("span", "mark")]
            )
            for card in section.find_all("article", "card")
        ]
    return days


async def page_of(pages: Feed, guild_id: int = GUILD) -> Element:
    status, _, body = await pages.get(f"/c/{await pages.token(guild_id)}")
    assert status == 200
    return parse(body.decode())


async def test_the_page_is_served_with_its_headers(pages: Feed, world: World) -> None:
    world.advance(timedelta(hours=-4))  # added before it aired, earlier today
    await add(world, "Frieren", "2024-07-01T06:00Z", label="Episode 1")
    world.advance(timedelta(hours=4))
    await add(world, "Frieren", "2024-07-01T23:00Z")
    await add(world, "Dandadan", "2024-07-03")  # a whole day
    await add(world, "Kaiju No. 8", "2024-07-14T23:59Z", label="Episode 12 (finale)")
    await add(world, "Later", "2024-07-15T00:00Z")  # past the 14th day
    await add(world, "Someday", "July 2024")  # not a day
    gone = await add(world, "Gone", "2024-07-02T12:00Z")
    await world.releases.remove(GUILD, str(gone))  # cancelled: out of the page
    token = await pages.token()
    status, headers, body = await pages.get(f"/c/{token}")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert headers["cache-control"] == "no-cache"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"
    assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"])
    document = parse(body.decode())
    assert listed(document) == {
        "2024-07-01": ["06:00 UTC Frieren Episode 1 Premiere", "23:00 UTC Frieren Episode 2"],
        "2024-07-03": ["All day Dandadan Episode 2"],
        "2024-07-14": ["23:59 UTC Kaiju No. 8 Episode 12 (finale) Finale"],
    }
    # The day after, for readers west of UTC, waits hidden for the script.
    assert [c.find("h3").text for c in document.by_id("beyond").find_all("article")] == ["Later"]
    assert document.find("h1").text == "Anime Hub"
    subscribe = [a.attrs["href"] for a in document.find("section", "subscribe").find_all("a")]
    assert subscribe == [
        f"webcal://airdate.example.org/feeds/c/{token}.ics",
        f"{BASE_URL}/c/{token}.ics",
    ]
    # A query string changes nothing; HEAD answers the same without the body.
    again = await pages.get(f"/c/{token}?from=discord")
    assert again[0] == 200 and again[2] == body and again[1]["etag"] == headers["etag"]
    head = await pages.get(f"/c/{token}", method="HEAD")
    assert head[0] == 200 and head[2] == b"" and head[1]["etag"] == headers["etag"]


async def test_revalidation_by_etag(pages: Feed, world: World) -> None:
    await add(world, "Frieren", "2024-07-02T14:00Z")
    path = f"/c/{await pages.token()}"
    _, first, _ = await pages.get(path)
    etag = first["etag"]
    status, headers, body = await pages.get(path, {"If-None-Match": etag})
    assert (status, body) == (304, b"")
    assert headers["etag"] == etag and headers["cache-control"] == "no-cache"
    assert (await pages.get(path, {"If-None-Match": '"other"'}))[0] == 200
    # A change: a new body, so the old ETag gets it in full.
    await add(world, "Dandadan", "2024-07-02T15:00Z")
    status, changed, body = await pages.get(path, {"If-None-Match": etag})
    assert status == 200 and changed["etag"] != etag and b"Dandadan" in body
    # A new day: yesterday's "Tomorrow" is today.
    world.advance(timedelta(days=1))
    status, moved, body = await pages.get(path, {"If-None-Match": changed["etag"]})
    assert status == 200 and moved["etag"] != changed["etag"]
    assert listed(parse(body.decode())).keys() == {"2024-07-02"}
    assert "Today" in parse(body.decode()).find("section", "day").find("h2").text


async def test_a_page_opens_only_with_its_guilds_live_token(pages: Feed, world: World) -> None:
    await add(world, "Ours", "2024-07-02T14:00Z")
    await add(world, "Theirs", "2024-07-02T14:00Z", guild_id=OTHER_GUILD)
    ours, theirs = await pages.token(GUILD), await pages.token(OTHER_GUILD)
    assert listed(await page_of(pages, GUILD)) == {"2024-07-02": ["14:00 UTC Ours Episode 2"]}
    assert listed(await page_of(pages, OTHER_GUILD)) == {
        "2024-07-02": ["14:00 UTC Theirs Episode 2"]
    }
    assert (await page_of(pages, OTHER_GUILD)).find("h1").text == "Second Server"

    plain = await pages.get("/")
    assert plain[0] == 404
    regenerated = (await world.calendar.regenerate(GUILD)).token
    status, headers, body = await pages.get(f"/c/{ours}")
    assert (status, body) == (404, plain[2]) and "etag" not in headers
    assert (await pages.get(f"/c/{regenerated}"))[0] == 200
    assert (await pages.get(f"/c/{theirs}"))[0] == 200

    async with world.db.transaction() as tx:  # the other guild removed the bot
        await tx.execute(
            "UPDATE guild_settings SET removed_at = 1 WHERE guild_id = ?", (OTHER_GUILD,)
        )
    assert (await pages.get(f"/c/{theirs}"))[0:3:2] == (404, plain[2])


async def test_every_other_path_near_a_page_gets_the_plain_404(pages: Feed) -> None:
    token = await pages.token()
    assert (await pages.get(f"/c/{token}"))[0] == 200  # the control
    tricks = [
        f"/c/{token}/",
        f"/c/{token}.html",
        f"/c/{token}.",
        f"/c/{token}x",
        f"/c/{token[:-1]}",
        f"/c/{token.swapcase()}",
        f"/C/{token}",
        f"//c/{token}",
        f"/c//{token}",
        f"/./c/{token}",
        f"/c/../c/{token}",
        f"/c/%2e/{token}",
        f"/c/{token}%20",
        f"/c/{token}%00",
        f"/c/{token}#x",
        "/c/" + "A" * 32,
        f"/page/{token}",
    ]
    plain = await pages.get("/")
    for path in tricks:
        status, headers, body = await pages.get(path)
        assert (status, body) == (404, plain[2]), path
        assert "etag" not in headers and "content-security-policy" not in headers, path
    status, headers, _ = await pages.get(f"/c/{token}", method="POST")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    assert (await pages.get(f"/c/{token}"))[0] == 200


async def test_a_page_without_pages_configured_is_the_plain_404(world: World) -> None:
    server = FeedServer(world.calendar, world.feeds, "127.0.0.1", 0)
    await server.start()
    try:
        feed = Feed(server, world, [True])
        token = await feed.token()
        assert (await feed.get(f"/c/{token}.ics"))[0] == 200
        assert (await feed.get(f"/c/{token}"))[0::2] == (404, b"Not found\n")
    finally:
        await server.stop()


async def test_catalog_releases_are_titled_timed_and_marked_for_the_guild(
    pages: Feed, world: World
) -> None:
    day = 86400
    airings = (
        Airing(ANILIST_ID, 1, to_epoch(EP1)),
        Airing(ANILIST_ID, 2, to_epoch(EP1) + day),
        Airing(ANILIST_ID, 13, to_epoch(EP1) + 2 * day),  # OSHI has 13 episodes
    )
    for guild_id in (GUILD, OTHER_GUILD):
        await world.catalog.follow(guild_id, OSHI, airings, None, None, True, world.now)
    await world.settings.set_title_language(GUILD, TitleLanguage.NATIVE)
    await world.settings.set_delay(GUILD, "1h")
    assert listed(await page_of(pages, GUILD)) == {
        "2024-07-03": ["15:00 UTC 【推しの子】第2期 Episode 1 Premiere"],
        "2024-07-04": ["15:00 UTC 【推しの子】第2期 Episode 2"],
        "2024-07-05": ["15:00 UTC 【推しの子】第2期 Episode 13 Finale"],
    }
    there = await page_of(pages, OTHER_GUILD)
    assert listed(there)["2024-07-03"] == ["14:00 UTC [Oshi no Ko] 2nd Season Episode 1 Premiere"]
    link = there.find_all("article", "card")[0].find("h3").find("a")
    assert link.attrs["href"] == OSHI.site_url


@pytest.fixture
async def bot_with_feed(server: Server, db_path: Path) -> AsyncIterator[None]:
    running = await start_bot(server.sim, db_path, calendar_port=0)
    feed = running.bot.calendar.server
    assert feed is not None
    await wait_until(lambda: feed.running, 5, "the feed started once READY")
    yield
    await running.stop()
    assert not running.unexpected_errors, running.unexpected_errors


PAGE_LINK = re.compile(r"<(http://127\.0\.0\.1:[0-9]+/c/[A-Za-z0-9_-]{32})>")


async def test_moderators_and_members_get_the_page_link(
    server: Server, bot_with_feed: None
) -> None:
    reply = await server.mod("release add", {"title": "Frieren", "when": "in 3h", "label": "Ep 1"})
    assert "Added" in (reply.content or ""), reply.content
    shown = await server.mod("settings calendar")
    [page] = PAGE_LINK.findall(shown.content or "")
    assert f"<{page}.ics>" in (shown.content or "")  # the feed's own link is the page's + .ics
    async with aiohttp.ClientSession() as session, session.get(page) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"
        document = parse(await response.text())
    [card] = document.find_all("article", "card")
    assert card.find("h3").text == "Frieren" and card.find("p", "label").text == "Ep 1"
    member = await server.user("calendar")
    assert PAGE_LINK.findall(member.content or "") == [page]
    renewed = await server.mod("settings calendar", {"regenerate": True})
    [new_page] = PAGE_LINK.findall(renewed.content or "")
    async with aiohttp.ClientSession() as session:
        async with session.get(page) as response:
            assert response.status == 404
        async with session.get(new_page) as response:
            assert response.status == 200


async def test_every_change_shows_on_the_next_visit(pages: Feed, world: World) -> None:
    release = str(await add(world, "Frieren", "2024-07-02T14:00Z"))
    assert listed(await page_of(pages)) == {"2024-07-02": ["14:00 UTC Frieren Episode 2"]}
    await world.releases.edit(GUILD, release, ReleaseChanges(when="2024-07-05T10:00Z"))
    assert listed(await page_of(pages)) == {"2024-07-05": ["10:00 UTC Frieren Episode 2"]}
    await world.releases.edit(
        GUILD, release, ReleaseChanges(title="Sousou no Frieren", label="Episode 1")
    )
    assert listed(await page_of(pages)) == {
        "2024-07-05": ["10:00 UTC Sousou no Frieren Episode 1 Premiere"]
    }
    await world.releases.remove(GUILD, release)
    emptied = await page_of(pages)
    assert listed(emptied) == {} and "hidden" not in emptied.by_id("empty").attrs
    await add(world, "Frieren", "2024-07-05T10:00Z")  # added again: a new release
    assert listed(await page_of(pages)) == {"2024-07-05": ["10:00 UTC Frieren Episode 2"]}
    # Once it has passed it stays listed for the rest of its day, then leaves.
    world.clock[0] = datetime(2024, 7, 5, 23, 0, tzinfo=UTC)
    assert listed(await page_of(pages)) == {"2024-07-05": ["10:00 UTC Frieren Episode 2"]}
    world.clock[0] = datetime(2024, 7, 7, 0, 0, tzinfo=UTC)
    assert listed(await page_of(pages)) == {}
