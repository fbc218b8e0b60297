"""The AniList stand-in itself: it must refuse what AniList refuses and limit as AniList does."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from bot.anilist import queries
from tests.anilist.clock import FakeClock
from tests.anilist_standin import AniListStandin
from tests.anilist_standin.data import OSHI_NO_KO, OSHI_NO_KO_MAL, OSHI_NO_KO_MANGA


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, standin: AniListStandin, query: str, **variables: Any
) -> tuple[int, dict[str, str], Any]:
    async with http.post(standin.url, json={"query": query, "variables": variables}) as answer:
        return answer.status, dict(answer.headers), await answer.json(content_type=None)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("query { Media(id: 1) { id nonexistentField } }", 'Cannot query field "nonexistentField"'),
        ("query { Media(idd: 1) { id } }", 'Unknown argument "idd"'),
        ("query { Viewer { id } }", 'Cannot query field "Viewer"'),
        ("query { Media(id: 1) { id ", "Syntax Error"),
        ("query { Media(id: $id) { id } }", 'Variable "$id" is not defined'),
        ("query { Media(id: 1) { title } }", "must have a selection of subfields"),
        ("query { Media(id: 1) { id { x } } }", "must not have a selection"),
        ("query { Media(id: 1, type: FILM) { id } }", "invalid value"),
        ("query { a: Media(id: 1) { id } }", "aliases"),
        (
            "query { Page { media(id: 1) { id } airingSchedules { id } } }",
            "Only one of media, airingSchedules",
        ),
    ],
)
async def test_a_query_it_does_not_understand_gets_anilist_400(
    http: aiohttp.ClientSession, standin: AniListStandin, query: str, message: str
) -> None:
    status, _, body = await post(http, standin, query)
    assert status == 400
    assert body["data"] is None
    (error,) = body["errors"]
    assert message in error["message"] and error["status"] == 400


@pytest.mark.parametrize(
    "query",
    [
        queries.SEARCH,
        queries.SHOW_BY_ID,
        queries.SHOW_BY_MAL_ID,
        queries.MEDIA_BY_IDS,
        queries.MEDIA_BY_MAL_IDS,
        queries.AIRINGS,
    ],
)
async def test_every_query_airdate_sends_is_understood(
    http: aiohttp.ClientSession, standin: AniListStandin, query: str
) -> None:
    variables = {"search": "oshi", "id": OSHI_NO_KO, "idMal": OSHI_NO_KO_MAL, "page": 1}
    variables |= {"ids": [OSHI_NO_KO], "after": 0, "before": 2**31 - 1}
    used = {k: v for k, v in variables.items() if f"${k}" in query}
    status, headers, body = await post(http, standin, query, **used)
    assert status == 200, body
    assert "errors" not in body
    assert headers["Content-Type"].startswith("application/json")


async def test_without_type_anime_a_mal_id_finds_the_manga(
    http: aiohttp.ClientSession, standin: AniListStandin
) -> None:
    # Why every query names `type: ANIME`: MyAnimeList numbers anime and manga apart.
    _, _, body = await post(
        http, standin, "query ($m: Int) { Media(idMal: $m) { id type } }", m=OSHI_NO_KO_MAL
    )
    assert body["data"]["Media"] == {"id": OSHI_NO_KO_MANGA, "type": "MANGA"}


async def test_not_found_has_anilist_404_shape(
    http: aiohttp.ClientSession, standin: AniListStandin
) -> None:
    status, _, body = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO_MANGA)
    assert status == 404
    assert body["data"] == {"Media": None}
    assert body["errors"][0]["message"] == "Not Found."


async def test_pages_are_capped_at_50_and_5000_entries_deep(
    http: aiohttp.ClientSession, standin: AniListStandin
) -> None:
    for n in range(120):
        standin.catalogue.add_airing(OSHI_NO_KO, 100 + n, 2_000_000_000 + n)
    query = (
        "query ($p: Int, $n: Int) { Page(page: $p, perPage: $n) { pageInfo { hasNextPage } "
        "airingSchedules(mediaId_in: [166531], sort: [TIME, ID]) { id } } }"
    )
    _, _, body = await post(http, standin, query, p=1, n=500)
    assert len(body["data"]["Page"]["airingSchedules"]) == 50
    assert body["data"]["Page"]["pageInfo"]["hasNextPage"] is True
    status, _, body = await post(http, standin, query, p=101, n=50)
    assert status == 400
    assert body["data"] == {"Page": None}
    assert "Page depth exceeds" in body["errors"][0]["message"]


async def test_degraded_mode_says_90_and_refuses_the_31st_request_for_a_minute(
    http: aiohttp.ClientSession, standin: AniListStandin, clock: FakeClock
) -> None:
    seen = []
    for _ in range(30):
        status, headers, _ = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
        seen.append((status, headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]))
        clock.advance(1)
    assert seen[0] == (200, "90", "89")
    assert seen[-1] == (200, "90", "60")
    status, headers, body = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    assert status == 429
    assert body == {"data": None, "errors": [{"message": "Too Many Requests.", "status": 429}]}
    assert headers["Retry-After"] == "60"
    assert int(headers["X-RateLimit-Reset"]) == int(clock.now.timestamp()) + 60
    # The timeout holds even though the sliding minute has room again.
    clock.advance(40)
    status, headers, _ = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    assert (status, headers["Retry-After"]) == (429, "20")
    clock.advance(20)
    status, _, _ = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    assert status == 200


async def test_honest_mode_says_30(
    http: aiohttp.ClientSession, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.mode = "honest"
    _, headers, _ = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("30", "29")


async def test_answers_escape_like_anilist(
    http: aiohttp.ClientSession, standin: AniListStandin
) -> None:
    async with http.post(
        standin.url, json={"query": queries.SHOW_BY_ID, "variables": {"id": OSHI_NO_KO}}
    ) as answer:
        raw = await answer.text()
    assert "https:\\/\\/anilist.co\\/anime\\/166531" in raw
    assert "\\u3010" in raw  # 【 as \uXXXX


async def test_schedule_changes(
    http: aiohttp.ClientSession, standin: AniListStandin, clock: FakeClock
) -> None:
    standin.catalogue.add_episodes(OSHI_NO_KO, 2)
    standin.catalogue.move_airing(OSHI_NO_KO, 6, clock.now + timedelta(days=30))
    standin.catalogue.remove_airing(OSHI_NO_KO, 7)
    _, _, body = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    nodes = body["data"]["Media"]["airingSchedule"]["nodes"]
    episodes = [n["episode"] for n in nodes]
    assert episodes == [4, 5, 8, 6, 9, 10, 11, 12, 13, 14, 15]  # 6 now after 8
    assert body["data"]["Media"]["episodes"] == 15
    standin.catalogue.cancel(OSHI_NO_KO, clock.now)
    _, _, body = await post(http, standin, queries.SHOW_BY_ID, id=OSHI_NO_KO)
    assert body["data"]["Media"]["status"] == "CANCELLED"
    assert body["data"]["Media"]["airingSchedule"]["nodes"] == []
