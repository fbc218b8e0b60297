"""AniList's JSON as catalog values: synopses, streaming links, and answers of the wrong shape."""

from __future__ import annotations

from typing import Any

import pytest

from bot.anilist.parse import MalformedAnswer, airings_page, media, media_page, show, synopsis
from bot.domain.catalog import StreamingLink


@pytest.mark.parametrize(
    ("description", "text"),
    [
        (None, None),
        ("", None),
        ("<br><br>", None),
        ("One.<br>Two.", "One.\nTwo."),
        ("One.<br>\nTwo.", "One.\nTwo."),
        ("One.<br><br>\n(Source: X)", "One.\n\n(Source: X)"),
        ("One.<br />\r\n<BR/>Two.", "One.\n\nTwo."),
        ("One.<br>\n<br>\n<br>\n<br>\nTwo.", "One.\n\nTwo."),
        ("<i>Frieren</i> &amp; <b>Himmel</b>", "Frieren & Himmel"),
        ("It&#039;s &quot;fine&quot; &lt;3", 'It\'s "fine" <3'),
        ('<a href="https://x.example">link</a> text', "link text"),
        ("  spaced  <br>  out  ", "spaced\nout"),
    ],
)
def test_synopsis_is_plain_text(description: str | None, text: str | None) -> None:
    assert synopsis(description) == text


def entry(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "type": "ANIME",
        "isAdult": False,
        "title": {"romaji": "Cowboy Bebop", "english": None, "native": None},
    }
    return base | fields


def link(
    site: str, url: str, kind: str = "STREAMING", disabled: bool | None = False
) -> dict[str, Any]:
    return {"site": site, "url": url, "type": kind, "isDisabled": disabled}


def test_streaming_links_only_legal_enabled_one_per_site_in_order() -> None:
    parsed = media(
        entry(
            externalLinks=[
                link("Official Site", "https://o.example", kind="INFO"),
                link("Netflix", "https://n.example", disabled=True),
                link("Crunchyroll", "https://c.example/1"),
                link("Twitter", "https://t.example", kind="SOCIAL"),
                link("HIDIVE", "https://h.example", disabled=None),
                link("crunchyroll", "https://c.example/2"),
                link("Netflix", "https://n.example/2"),
            ]
        )
    )
    assert parsed.streaming == (
        StreamingLink("Crunchyroll", "https://c.example/1"),
        StreamingLink("HIDIVE", "https://h.example"),
        StreamingLink("Netflix", "https://n.example/2"),
    )


def test_a_show_without_adult_flag_is_treated_as_adult() -> None:
    assert media(entry(isAdult=None)).is_adult
    assert not media(entry(isAdult=False)).is_adult


def test_unknown_format_and_status_are_unknown_not_errors() -> None:
    parsed = media(entry(format="HOLOGRAM", status="ON_ICE"))
    assert (parsed.format, parsed.status) == (None, None)


@pytest.mark.parametrize(
    "broken",
    [
        entry(type="MANGA"),
        entry(id="1"),
        entry(id=None),
        entry(title={"romaji": None, "english": None, "native": None}),
        entry(title=None),
        entry(episodes="12"),
        entry(episodes=True),
        entry(synonyms="one"),
        entry(externalLinks={"site": "x"}),
        "not an object",
    ],
)
def test_a_media_of_the_wrong_shape_is_refused(broken: Any) -> None:
    with pytest.raises(MalformedAnswer):
        media(broken)


@pytest.mark.parametrize(
    "answer",
    [
        {"data": None},
        {"data": {"Page": None}},
        {"data": {"Page": {"pageInfo": {"hasNextPage": False}}}},  # media missing
        {"data": {"Page": {"pageInfo": {"hasNextPage": "no"}, "media": []}}},
        {"data": {"Page": {"media": [{"id": 1}]}}},  # cut to ids
        [],
    ],
)
def test_a_page_of_the_wrong_shape_is_refused(answer: Any) -> None:
    with pytest.raises(MalformedAnswer):
        media_page(answer)


def test_an_empty_page_is_an_answer() -> None:
    page = media_page({"data": {"Page": {"pageInfo": {"hasNextPage": False}, "media": []}}})
    assert page.items == () and not page.has_next_page


@pytest.mark.parametrize(
    "row",
    [
        {"id": 1, "mediaId": 2, "episode": 3},
        {"id": 1, "mediaId": 2, "airingAt": 1},
        {"id": 1, "episode": 3, "airingAt": 1},
        {"id": 1, "mediaId": 2, "episode": 3, "airingAt": "soon"},
        {"id": 1, "mediaId": 2, "episode": 0, "airingAt": "soon"},
    ],
)
def test_an_airing_of_the_wrong_shape_is_refused(row: dict[str, Any]) -> None:
    with pytest.raises(MalformedAnswer):
        airings_page(
            {"data": {"Page": {"pageInfo": {"hasNextPage": False}, "airingSchedules": [row]}}}
        )


def test_an_episode_0_is_left_out_without_failing_its_page() -> None:
    rows = [
        {"id": 1, "mediaId": 2, "episode": 0, "airingAt": 100},
        {"id": 2, "mediaId": 3, "episode": 1, "airingAt": 200},
    ]
    page = airings_page(
        {"data": {"Page": {"pageInfo": {"hasNextPage": False}, "airingSchedules": rows}}}
    )
    assert [(a.anilist_id, a.episode) for a in page.items] == [(3, 1)]


def test_a_show_needs_its_schedule() -> None:
    with pytest.raises(MalformedAnswer):
        show({"data": {"Media": entry()}})
    details = show(
        {
            "data": {
                "Media": entry(
                    airingSchedule={
                        "pageInfo": {"hasNextPage": True},
                        "nodes": [{"id": 9, "episode": 2, "airingAt": 100}],
                    }
                )
            }
        }
    )
    assert [(a.anilist_id, a.episode, a.airing_at) for a in details.airings] == [(1, 2, 100)]
    assert details.more_airings
