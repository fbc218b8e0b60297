"""The schedule page in a real browser: Debian's chromium, driven by Playwright (never
`playwright install`: `make test` installs the chromium package, see the Makefile).

One browser opens the live page of the real feed server on loopback, as a phone in Tokyo,
as a desktop in Los Angeles, and without JavaScript: what a guild typed stays text and
runs nothing, the page fits a phone, times move to the reader's own day and count down,
and nothing but the covers loads, from their own address. Screenshots are saved under
build/screenshots/.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Dialog, Page, Route, async_playwright

from bot.calendar.server import FeedServer
from bot.services.releases import ReleaseDraft
from bot.services.schedule import ScheduleService
from tests.calendar.conftest import GUILD, NOW, OTHER_GUILD, World

#: Debian's chromium; AIRDATE_CHROMIUM names another build of it.
CHROMIUM = os.environ.get("AIRDATE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

SCRIPT_TITLE = "<script>window.pwned=1</script>"
IMG_LABEL = '<img src=x onerror="window.pwned=2;alert(2)">'
LONG_TITLE = "W" * 120  # no place to break: the card must still fit a phone


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A plain PNG of one colour, for covers served on loopback."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


@dataclass
class Site:
    """The feed server and a separate loopback server for covers (their own address)."""

    page_url: str
    feed_url: str
    cover_url: str
    #: The page of a guild with nothing coming.
    empty_url: str
    cover_requests: list[str] = field(default_factory=list)


@pytest.fixture
async def site(world: World) -> AsyncIterator[Site]:
    covers = web.Application()
    requested: list[str] = []

    async def cover(request: web.Request) -> web.Response:
        # What the cover's host learns: the page's address (its secret token) never.
        requested.append(f"{request.path} referer={request.headers.get('Referer')}")
        return web.Response(body=png(64, 90, (99, 102, 241)), content_type="image/png")

    covers.router.add_get("/covers/oshi.png", cover)
    cover_runner = web.AppRunner(covers, access_log=None)
    await cover_runner.setup()
    await web.TCPSite(cover_runner, "127.0.0.1", 0).start()
    cover_port = cover_runner.addresses[0][1]
    server = FeedServer(
        world.calendar, world.feeds, "127.0.0.1", 0, schedule=ScheduleService(world.changes)
    )
    await server.start()
    try:
        await add_releases(world, f"http://127.0.0.1:{cover_port}/covers/oshi.png")
        token = (await world.calendar.feed(GUILD)).token
        empty = (await world.calendar.feed(OTHER_GUILD)).token
        base = f"http://127.0.0.1:{server.port}"
        yield Site(
            page_url=f"{base}/c/{token}",
            feed_url=f"{base}/c/{token}.ics",
            cover_url=f"http://127.0.0.1:{cover_port}/covers/oshi.png",
            empty_url=f"{base}/c/{empty}",
            cover_requests=requested,
        )
    finally:
        await server.stop()
        await cover_runner.cleanup()


async def add_releases(world: World, cover: str) -> None:
    """NOW is 1 July 09:30:15 UTC: 18:30 in Tokyo, 02:30 in Los Angeles."""

    async def add(title: str, when: str, label: str | None, **extra: str) -> None:
        await world.releases.add(GUILD, ReleaseDraft(title, when, label=label, **extra))

    await add(SCRIPT_TITLE, "2024-07-02T10:00Z", IMG_LABEL)
    # 23:00 UTC today is 08:00 tomorrow in Tokyo, 16:00 today in Los Angeles.
    await add("Frieren", "2024-07-01T23:00Z", "Episode 5")
    await add(
        "Oshi no Ko",
        "2024-07-03T14:00Z",
        "Episode 1",
        image=cover,
        link="https://example.org/oshi",
    )
    await add("Dandadan", "2024-07-05T15:00Z", "Episode 12 (finale)")
    await add("Kaiju No. 8", "2024-07-04", "Movie")  # all day, wherever the reader is
    await add(LONG_TITLE, "2024-07-06T12:00Z", "Episode 3")
    # 15 July 03:00 UTC: 14 July in Los Angeles (its 14th day), beyond Tokyo's.
    await add("West Coast Only", "2024-07-15T03:00Z", "Episode 8")
    async with world.db.transaction() as tx:  # a link no command would take
        await tx.execute("UPDATE shows SET link = 'javascript:window.pwned=3' WHERE title = ?",
                         ("Dandadan",))  # fmt: skip


@dataclass
class Watched:
    """What a page did beyond its own document: requests, dialogs, script errors."""

    requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


async def open_page(
    browser: Browser, url: str, *, viewport: dict[str, int], zone: str, **options: object
) -> tuple[BrowserContext, Page, Watched]:
    """A fresh context in `zone` whose clock reads NOW and that lets nothing but loopback out."""
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        timezone_id=zone,
        locale="en-GB",
        **options,  # type: ignore[arg-type]
    )
    watched = Watched()

    async def only_loopback(route: Route) -> None:
        watched.requests.append(route.request.url)
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            await route.abort()

    async def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(dialog.message)
        await dialog.dismiss()

    await context.route("**/*", only_loopback)
    page = await context.new_page()
    page.on("dialog", on_dialog)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    await page.clock.install(time=NOW)
    response = await page.goto(url, wait_until="load")
    assert response is not None and response.status == 200
    return context, page, watched


async def day_of(page: Page, title: str) -> tuple[str, str, str]:
    """The day a release is listed under (its data-day and heading) and its time text."""
    found: list[str] = await page.evaluate(
        """(title) => {
            const card = [...document.querySelectorAll("#days article")]
                .find((c) => c.querySelector("h3").textContent === title);
            if (!card) return null;
            const day = card.closest("section");
            return [day.dataset.day, day.querySelector("h2").textContent,
                    card.querySelector("time").textContent];
        }""",
        title,
    )
    assert found is not None, f"{title!r} is not listed"
    return found[0], found[1], found[2]


async def listed_titles(page: Page) -> list[str]:
    titles: list[str] = await page.evaluate(
        "[...document.querySelectorAll('#days article h3')].map((h) => h.textContent)"
    )
    return titles


async def overflow(page: Page) -> tuple[int, int]:
    widths: list[int] = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    return widths[0], widths[1]


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"schedule-{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def chromium() -> str:
    """The browser's path; missing, the test fails (it is never skipped)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: `make test` installs chromium"
    return CHROMIUM


async def test_the_schedule_page_in_a_real_browser(site: Site) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium())
        try:
            await on_a_phone_in_tokyo(browser, site)
            await on_a_desktop_in_los_angeles(browser, site)
            await without_javascript(browser, site)
        finally:
            await browser.close()


async def on_a_phone_in_tokyo(browser: Browser, site: Site) -> None:
    context, page, watched = await open_page(
        browser,
        site.page_url,
        viewport=PHONE,
        zone="Asia/Tokyo",
        is_mobile=True,
        has_touch=True,
        color_scheme="dark",
    )
    # The page's own script ran (the control for what follows) ...
    assert await page.text_content("#zone") == "Times in your time zone (Asia/Tokyo)"
    # ... and what the guild typed is text that ran nothing.
    assert await page.get_by_text(SCRIPT_TITLE, exact=True).is_visible()
    assert await page.get_by_text(IMG_LABEL, exact=True).is_visible()
    assert await page.evaluate("typeof window.pwned") == "undefined"
    assert watched.dialogs == [] and watched.errors == []
    assert await page.locator("a[href^='javascript:' i]").count() == 0
    assert await page.locator("#days img").count() == 1  # the one cover, no injected image

    # Regrouped in Tokyo: 23:00 UTC today is tomorrow 08:00; a day release keeps its date.
    assert await day_of(page, "Frieren") == ("2024-07-02", "Tomorrow Tuesday 2 July", "08:00")
    assert await day_of(page, SCRIPT_TITLE) == ("2024-07-02", "Tomorrow Tuesday 2 July", "19:00")
    assert await day_of(page, "Kaiju No. 8") == ("2024-07-04", "Thursday 4 July", "All day")
    assert "West Coast Only" not in await listed_titles(page)  # 15 July in Tokyo: past day 14
    premiere = page.locator("article", has_text="Oshi no Ko")
    assert await premiere.locator(".mark").all_text_contents() == ["Premiere"]
    finale = page.locator("article", has_text="Dandadan")
    assert await finale.locator(".mark").all_text_contents() == ["Finale"]

    # Live countdowns, driven by the page's own timer.
    countdown = page.locator("article", has_text="Frieren").locator(".countdown")
    assert await countdown.text_content() == "in 13 h 29 min"
    await page.clock.run_for(60_000)
    assert await countdown.text_content() == "in 13 h 28 min"

    # Subscribing: webcal to the feed itself.
    button = page.get_by_role("link", name="Subscribe in your calendar app")
    webcal = "webcal://" + site.feed_url.removeprefix("http://")
    assert await button.get_attribute("href") == webcal

    # It fits a phone: nothing scrolls sideways, not even a title with nowhere to break.
    width, client = await overflow(page)
    assert width <= client == PHONE["width"], (width, client)
    long_card = await page.locator("article", has_text=LONG_TITLE).bounding_box()
    assert long_card is not None and long_card["x"] + long_card["width"] <= PHONE["width"]

    # The cover came from its own address; nothing else left loopback.
    cover = page.locator("article", has_text="Oshi no Ko").locator("img.cover")
    await cover.scroll_into_view_if_needed()
    await page.wait_for_function(
        "(img) => img.complete && img.naturalWidth === 64", arg=await cover.element_handle()
    )
    assert site.cover_url in watched.requests
    assert site.cover_requests and set(site.cover_requests) == {"/covers/oshi.png referer=None"}
    outside = [url for url in watched.requests if urlsplit(url).hostname != "127.0.0.1"]
    assert outside == []
    assert set(watched.requests) <= {site.page_url, site.cover_url}, watched.requests
    await page.evaluate("window.scrollTo(0, 0)")
    await screenshot(page, "phone")

    # Left open past midnight and past the release: the days and the countdown follow.
    await page.clock.fast_forward("13:29:00")  # 23:00:15 UTC, 08:00:15 in Tokyo
    assert await day_of(page, "Frieren") == ("2024-07-02", "Today Tuesday 2 July", "08:00")
    assert await countdown.text_content() == "out now"
    await page.clock.fast_forward("02:00:00")
    assert await countdown.text_content() == "released 2 h ago"
    assert watched.errors == []
    await context.close()


async def on_a_desktop_in_los_angeles(browser: Browser, site: Site) -> None:
    context, page, watched = await open_page(
        browser, site.page_url, viewport=DESKTOP, zone="America/Los_Angeles", color_scheme="light"
    )
    # West of UTC: 23:00 UTC is 16:00 the same day; 15 July 03:00 UTC is the 14th, 20:00.
    assert await day_of(page, "Frieren") == ("2024-07-01", "Today Monday 1 July", "16:00")
    assert await day_of(page, "West Coast Only") == ("2024-07-14", "Sunday 14 July", "20:00")
    assert await day_of(page, "Kaiju No. 8") == ("2024-07-04", "Thursday 4 July", "All day")
    titles = await listed_titles(page)
    assert titles.index("Frieren") < titles.index(SCRIPT_TITLE) < titles.index("Oshi no Ko")
    assert await page.evaluate("typeof window.pwned") == "undefined"
    assert watched.dialogs == [] and watched.errors == []
    width, client = await overflow(page)
    assert width <= client, (width, client)
    await screenshot(page, "desktop")

    # A guild with nothing coming says so.
    await page.goto(site.empty_url)
    assert await page.get_by_text("Nothing in the next 14 days.").is_visible()
    assert await page.locator("#days article").count() == 0
    await context.close()


async def without_javascript(browser: Browser, site: Site) -> None:
    context, page, watched = await open_page(
        browser, site.page_url, viewport=PHONE, zone="Asia/Tokyo", java_script_enabled=False
    )
    # Times stay in UTC, under UTC days; what lies beyond them stays hidden.
    assert await page.text_content("#zone") == "Times in UTC"
    assert await day_of(page, "Frieren") == ("2024-07-01", "Today Monday 1 July", "23:00 UTC")
    assert not await page.get_by_text("West Coast Only").is_visible()
    assert await page.get_by_text(SCRIPT_TITLE, exact=True).is_visible()
    assert await page.locator(".countdown").first.text_content() == ""
    assert watched.dialogs == []
    width, client = await overflow(page)
    assert width <= client, (width, client)
    await context.close()
