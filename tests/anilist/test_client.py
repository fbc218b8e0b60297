"""The AniList client against the local stand-in over real HTTP on loopback."""

from __future__ import annotations

import logging
import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

import bot
from bot.anilist.client import AniListClient
from bot.anilist.errors import AniListUnavailable
from bot.anilist.limiter import AniListLimiter, Priority
from bot.anilist.transport import USER_AGENT
from bot.domain.catalog import FuzzyDate, MediaFormat, MediaStatus, StreamingLink, Titles
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin, LoggedRequest, bulk_catalogue
from tests.anilist_standin.data import (
    ADULT_SHOW,
    ANNOUNCED_MOVIE,
    COWBOY_BEBOP,
    COWBOY_BEBOP_MANGA,
    OSHI_NO_KO,
    OSHI_NO_KO_MAL,
    OSHI_NO_KO_MANGA,
)

ROOT = Path(__file__).resolve().parents[2]


# ----------------------------------------------------------------- the four queries
async def test_search_finds_anime_only_never_adult(
    client: AniListClient, standin: AniListStandin
) -> None:
    results = await client.search("oshi no ko")
    assert [m.anilist_id for m in results] == [OSHI_NO_KO]  # not the manga
    found = await client.search("stand-in")
    assert [m.anilist_id for m in found] == [ANNOUNCED_MOVIE]  # the adult OVA matches too
    (asked, _) = (r for r in standin.requests if r.root == "Page.media")
    assert asked.arguments["isAdult"] is False
    assert asked.arguments["type"].value == "ANIME"
    assert asked.arguments["sort"].value == "SEARCH_MATCH"


async def test_show_by_id_reads_everything_airdate_keeps(client: AniListClient) -> None:
    details = await client.show(OSHI_NO_KO)
    assert details is not None
    media = details.media
    assert media.titles == Titles(
        romaji="[Oshi no Ko] 2nd Season", english="Oshi no Ko Season 2", native="【推しの子】第2期"
    )
    assert media.mal_id == OSHI_NO_KO_MAL
    assert media.site_url == "https://anilist.co/anime/166531"
    assert media.format is MediaFormat.TV
    assert media.status is MediaStatus.RELEASING
    assert (media.episodes, media.duration_minutes) == (13, 24)
    assert (media.season, media.season_year) == ("SUMMER", 2024)
    assert media.start_date == FuzzyDate(2024, 7, 3)
    assert media.synonyms == ("Oshi no Ko 2", "My Star Season 2")
    assert media.cover_url is not None and media.cover_url.endswith("bx166531-dAL5MsqDHUkj.jpg")
    assert media.synopsis == (
        "The second season of [Oshi no Ko].\n\nAqua & Ruby return to the stage.\n\n"
        "(Source: Kadokawa)"
    )
    # STREAMING only, the disabled Netflix left out, HIDIVE once, in AniList's order.
    assert media.streaming == (
        StreamingLink("HIDIVE", "https://www.hidive.com/tv/oshi-no-ko-season-2"),
        StreamingLink("Crunchyroll", "https://www.crunchyroll.com/series/G1XHJV0G7"),
    )
    assert not media.is_adult
    # Three episodes aired; the ten ahead come with the show.
    assert [a.episode for a in details.airings] == list(range(4, 14))
    assert details.airings[0].airing_at == int((FakeClock().now + timedelta(days=1)).timestamp())


async def test_mal_ids_resolve_the_anime_not_the_manga(
    client: AniListClient, standin: AniListStandin
) -> None:
    details = await client.show_by_mal_id(OSHI_NO_KO_MAL)
    assert details is not None and details.media.anilist_id == OSHI_NO_KO
    several = await client.media_by_mal_ids([OSHI_NO_KO_MAL, 1, 999_999])
    assert sorted(m.anilist_id for m in several) == [COWBOY_BEBOP, OSHI_NO_KO]
    # Control: the stand-in does hold a manga under that MAL id, found without `type`.
    assert any(
        m.type == "MANGA" and m.id_mal == OSHI_NO_KO_MAL for m in standin.catalogue.media.values()
    )


async def test_unknown_ids_and_manga_ids_are_not_found(client: AniListClient) -> None:
    assert await client.show(OSHI_NO_KO_MANGA) is None
    assert await client.show(424_242) is None
    assert await client.show_by_mal_id(424_242) is None
    assert not client.in_outage  # "not found" is an answer


async def test_adult_media_is_flagged(client: AniListClient) -> None:
    details = await client.show(ADULT_SHOW)
    assert details is not None and details.media.is_adult


async def test_metadata_for_many_ids_leaves_out_unknown_and_manga(
    client: AniListClient, standin: AniListStandin
) -> None:
    media = await client.media([OSHI_NO_KO, COWBOY_BEBOP, COWBOY_BEBOP_MANGA, 5, ANNOUNCED_MOVIE])
    assert sorted(m.anilist_id for m in media) == [COWBOY_BEBOP, OSHI_NO_KO, ANNOUNCED_MOVIE]
    movie = next(m for m in media if m.anilist_id == ANNOUNCED_MOVIE)
    assert movie.start_date == FuzzyDate(2027, 3, None)
    assert movie.status is MediaStatus.NOT_YET_RELEASED
    assert standin.requests[-1].root == "Page.media"
    with pytest.raises(ValueError):
        await client.media(list(range(1, 52)))


async def test_airings_in_a_window_are_paged_and_bounded(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.catalogue = bulk_catalogue(60, clock.now)
    start, end = clock.now, clock.now + timedelta(days=14)
    edge = standin.catalogue.airings[0]
    standin.catalogue.add_airing(edge.media_id, 1, start)  # exactly at the start: in
    standin.catalogue.add_airing(edge.media_id, 2, end)  # exactly at the end: in
    standin.catalogue.add_airing(edge.media_id, 20, end + timedelta(seconds=2))  # out
    ids = [200_000 + n for n in range(60)]
    airings = await client.airings(ids, start, end)
    assert len(airings) == 60 * 2 + 2
    assert len({(a.anilist_id, a.episode) for a in airings}) == len(airings)
    assert [a.airing_at for a in airings] == sorted(a.airing_at for a in airings)
    pages = [r for r in standin.requests if r.root == "Page.airingSchedules"]
    assert [r.variables["page"] for r in pages] == [1, 2, 3]
    assert pages[0].variables["after"] == int(start.timestamp()) - 1
    assert [s.value for s in pages[0].arguments["sort"]] == ["TIME", "ID"]


async def test_rows_that_shift_between_pages_are_kept_once(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.catalogue = bulk_catalogue(30, clock.now)  # 60 rows: two pages
    ids = [200_000 + n for n in range(30)]

    def shift(request: LoggedRequest) -> None:
        # After page 1, the earliest airing moves near the end: page 2 repeats a row.
        if request.variables.get("page") == 1:
            first = min(standin.catalogue.airings, key=lambda r: r.airing_at)
            first.airing_at = int((clock.now + timedelta(days=13)).timestamp())

    standin.after_answer = shift
    airings = await client.airings(ids, clock.now, clock.now + timedelta(days=14))
    keys = [(a.anilist_id, a.episode) for a in airings]
    assert len(keys) == len(set(keys))
    moved = min(standin.catalogue.airings, key=lambda r: r.id)
    assert keys.count((moved.media_id, moved.episode)) == 1
    # (A row pushed back onto page 1 meanwhile is missed: the sync re-checks what vanishes.)
    # Control: the stand-in did answer the moved row on both pages.
    pages = [r for r in standin.requests if r.root == "Page.airingSchedules"]
    assert len(pages) == 2


async def test_requests_say_who_sends_them(client: AniListClient, standin: AniListStandin) -> None:
    await client.show(OSHI_NO_KO)
    headers = standin.requests[-1].headers
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert bot.__version__ == version
    assert headers["User-Agent"] == USER_AGENT == f"Airdate/{version} (+{bot.PROJECT_URL})"
    assert headers["Referer"] == bot.PROJECT_URL


# ----------------------------------------------------------------- failures
FAULTS = [
    pytest.param({"kind": "status", "status": 500}, id="500"),
    pytest.param({"kind": "status", "status": 503}, id="503"),
    pytest.param({"kind": "disabled"}, id="403-disabled"),
    pytest.param({"kind": "html"}, id="html-502"),
    pytest.param({"kind": "html", "status": 200}, id="html-200"),
    pytest.param({"kind": "errors_in_200"}, id="errors-in-200"),
    pytest.param({"kind": "malformed_json"}, id="malformed-json"),
    pytest.param({"kind": "partial"}, id="partial-data"),
    pytest.param({"kind": "slow", "delay": 1.0}, id="slow"),
]


@pytest.mark.parametrize("fault", FAULTS)
async def test_every_failure_is_unavailable_and_gives_no_data(
    client: AniListClient, standin: AniListStandin, fault: dict[str, object]
) -> None:
    standin.fail(count=None, **fault)  # type: ignore[arg-type]
    with pytest.raises(AniListUnavailable):
        await client.search("oshi")
    with pytest.raises(AniListUnavailable):
        await client.show(OSHI_NO_KO)
    with pytest.raises(AniListUnavailable):
        await client.media([OSHI_NO_KO], Priority.SYNC)
    assert client.in_outage
    # Control: the same questions answer once AniList does.
    standin.heal()
    assert [m.anilist_id for m in await client.media([OSHI_NO_KO])] == [OSHI_NO_KO]
    assert not client.in_outage


@pytest.mark.parametrize("fault", FAULTS)
async def test_sync_requests_retry_through_a_passing_failure(
    client: AniListClient, standin: AniListStandin, clock: FakeClock, fault: dict[str, object]
) -> None:
    standin.fail(count=2, **fault)  # type: ignore[arg-type]
    media = await client.media([OSHI_NO_KO, COWBOY_BEBOP], Priority.SYNC)
    assert sorted(m.anilist_id for m in media) == [COWBOY_BEBOP, OSHI_NO_KO]
    assert len(standin.requests) == 3
    # Backed off between tries, beyond the limiter's 2 s spacing.
    assert clock.slept.count(2.0) >= 1 and 4.0 in clock.slept


async def test_interactive_calls_give_up_within_ten_seconds(
    client: AniListClient, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.fail("status", status=502, count=None)
    started = clock.now
    with pytest.raises(AniListUnavailable):
        await client.show(OSHI_NO_KO)
    assert clock.now - started <= timedelta(seconds=10)
    assert len(standin.requests) > 1  # it did retry within its ten seconds


async def test_a_refused_query_is_not_retried(
    client: AniListClient, standin: AniListStandin
) -> None:
    with pytest.raises(AniListUnavailable) as caught:
        await client.transport.ask("query { Media(idd: 1) { id } }", {}, Priority.SYNC, lambda x: x)
    assert not caught.value.retryable
    assert "Unknown argument" in caught.value.reason
    assert len(standin.requests) == 1


async def test_one_log_line_when_an_outage_starts_and_one_when_it_ends(
    client: AniListClient, standin: AniListStandin, caplog: pytest.LogCaptureFixture
) -> None:
    standin.fail("status", status=502, count=4)
    with caplog.at_level(logging.INFO, logger="bot.anilist"):
        for _ in range(3):
            await client.media([OSHI_NO_KO], Priority.SYNC)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.anilist")]
    assert len(lines) == 2, lines
    assert "not answering" in lines[0] and "HTTP 502" in lines[0]
    assert "answers again, after 4 failed requests" in lines[1]


async def test_a_429_pauses_every_request_and_is_honoured(
    standin: AniListStandin, clock: FakeClock
) -> None:
    # A budget of 90 (what the headers announce) meets the degraded 30: one 429, then
    # nothing until its timeout is over, and every request still answered.
    limiter = AniListLimiter(90, clock=clock, sleep=clock.sleep)
    client = AniListClient(limiter, url=standin.url, clock=clock, sleep=clock.sleep)
    try:
        for _ in range(35):
            assert len(await client.media([OSHI_NO_KO], Priority.SYNC)) == 1
        # While paused, an interactive search gives up at once instead of waiting.
        limiter.pause(retry_after=60)
        before = clock.now
        with pytest.raises(AniListUnavailable):
            await client.search("oshi")
        assert clock.now == before
    finally:
        await client.close()
    assert standin.count_429s() == 1
    refused = next(r for r in standin.requests if r.status == 429)
    after = [r for r in standin.requests if r.at > refused.at]
    assert after and min(r.at for r in after) - refused.at >= timedelta(seconds=60)
