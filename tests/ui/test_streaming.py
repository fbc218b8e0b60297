"""Streaming-site buttons: at most five legal links, before Remind me, within Discord's rows."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot.domain.catalog import StreamingLink
from bot.ui.remind import CUSTOM_ID_TEMPLATE
from bot.ui.streaming import ShowButtons, message_view, streaming_buttons, usable_links
from tests.ui.catalog_samples import CRUNCHYROLL, HIDIVE, assert_components_fit

SITES = tuple(StreamingLink(f"Site {i}", f"https://site{i}.example/show") for i in range(12))


def rows_of(view: discord.ui.View | None) -> list[list[dict[str, Any]]]:
    """The buttons as Discord receives them, row by row."""
    assert view is not None
    components: list[dict[str, Any]] = view.to_components()
    assert_components_fit(components)
    return [row["components"] for row in components]


def labels(row: list[dict[str, Any]]) -> list[str]:
    return [button["label"] for button in row]


def is_remind(button: dict[str, Any], show_id: int) -> bool:
    match = re.fullmatch(CUSTOM_ID_TEMPLATE, button.get("custom_id", ""))
    return match is not None and int(match["show_id"]) == show_id


@pytest.mark.parametrize(
    ("links", "kept"),
    [
        ((CRUNCHYROLL, HIDIVE), [CRUNCHYROLL, HIDIVE]),
        (SITES, list(SITES[:5])),
        # One per site, whatever AniList repeats; the first one wins.
        (
            (CRUNCHYROLL, StreamingLink("crunchyroll", "https://cr.example/2"), HIDIVE),
            [
                CRUNCHYROLL,
                HIDIVE,
            ],
        ),
        # Addresses Discord refuses on a link button are left out, not sent.
        (
            (
                StreamingLink("Evil", "javascript:alert(1)"),
                StreamingLink("FTP", "ftp://example.com/show"),
                StreamingLink("Long", "https://example.com/" + "a" * 493),
                StreamingLink("Spaced", "https://exa mple.com/"),
                StreamingLink("  ", "https://blank.example/"),
                HIDIVE,
            ),
            [HIDIVE],
        ),
        # A bad link does not use up one of the five places.
        ((StreamingLink("Evil", "javascript:x"), *SITES), list(SITES[:5])),
        ((), []),
    ],
    ids=["two", "twelve", "repeated-site", "bad-urls", "bad-then-many", "none"],
)
def test_usable_links(links: tuple[StreamingLink, ...], kept: list[StreamingLink]) -> None:
    assert usable_links(links) == kept


def test_a_site_name_is_one_line_within_80_characters() -> None:
    [button] = streaming_buttons([StreamingLink("Crunchy\nroll  " + "x" * 200, HIDIVE.url)])
    assert button.label is not None
    assert button.label.startswith("Crunchy roll xxx")
    assert len(button.label) == 80
    assert button.url == HIDIVE.url


def test_one_show_has_its_sites_then_remind_me_below() -> None:
    rows = rows_of(message_view([ShowButtons(70, "Oshi no Ko", (CRUNCHYROLL, HIDIVE))]))
    assert len(rows) == 2
    assert labels(rows[0]) == ["Crunchyroll", "HIDIVE"]
    assert [b["url"] for b in rows[0]] == [CRUNCHYROLL.url, HIDIVE.url]
    assert all(b["style"] == discord.ButtonStyle.link.value for b in rows[0])
    [remind] = rows[1]
    assert remind["label"] == "Remind me"
    assert is_remind(remind, 70)


def test_twelve_sites_give_five_buttons() -> None:
    rows = rows_of(message_view([ShowButtons(70, "Oshi no Ko", SITES)]))
    assert labels(rows[0]) == [f"Site {i}" for i in range(5)]
    assert labels(rows[1]) == ["Remind me"]


@pytest.mark.parametrize(
    ("shows", "expected"),
    [
        ([ShowButtons(70, "Oshi no Ko")], [["Remind me"]]),
        ([ShowButtons(70, "Oshi no Ko", (CRUNCHYROLL,), remind=False)], [["Crunchyroll"]]),
        ([ShowButtons(70, "Oshi no Ko", remind=False)], None),
        ([], None),
    ],
    ids=["remind-only", "links-only-in-dms", "nothing", "no-shows"],
)
def test_only_the_buttons_asked_for(
    shows: list[ShowButtons], expected: list[list[str]] | None
) -> None:
    view = message_view(shows)
    if expected is None:
        assert view is None
    else:
        assert [labels(row) for row in rows_of(view)] == expected


def test_several_shows_name_the_show_on_every_button() -> None:
    rows = rows_of(
        message_view(
            [
                ShowButtons(70, "Oshi no Ko", (CRUNCHYROLL,)),
                ShowButtons(71, "Frieren " * 20, (HIDIVE,)),
            ]
        )
    )
    assert labels(rows[0]) == ["Crunchyroll · Oshi no Ko"]
    assert rows[1][0]["label"].startswith("HIDIVE · Frieren Frieren")
    assert labels(rows[2])[0] == "Remind me: Oshi no Ko"
    assert is_remind(rows[2][0], 70) and is_remind(rows[2][1], 71)


def test_ten_shows_with_five_sites_each_keep_every_remind_me() -> None:
    shows = [ShowButtons(show_id, f"Show {show_id}", SITES) for show_id in range(10)]
    rows = rows_of(message_view(shows))
    assert len(rows) == 5
    reminds = [b for row in rows for b in row if "custom_id" in b]
    assert [int(re.sub(r"\D", "", b["custom_id"])) for b in reminds] == list(range(10))
    # The three rows left over go to the first shows' sites, one show a row.
    assert [row[0]["label"] for row in rows[:3]] == [
        "Site 0 · Show 0",
        "Site 0 · Show 1",
        "Site 0 · Show 2",
    ]


def test_a_show_twice_in_a_message_gets_one_row_and_one_remind_me() -> None:
    rows = rows_of(
        message_view([ShowButtons(70, "Oshi no Ko"), ShowButtons(70, "Oshi no Ko", (CRUNCHYROLL,))])
    )
    assert [labels(row) for row in rows] == [["Crunchyroll"], ["Remind me"]]
