"""The schedule page's HTML as built (no browser): what it lists under which day, what it
marks, and that nothing a guild typed becomes markup, a script or a link elsewhere.
tests/calendar/test_page_browser.py reads it in a real browser."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, date, datetime

import pytest

from bot.calendar.page import CONTENT_SECURITY_POLICY, SCRIPT, STYLE, schedule_page
from bot.domain.calendar import feed_links
from bot.domain.schedule import Schedule, ScheduleEntry
from tests.calendar.html_tree import Element, parse

TODAY = date(2024, 7, 1)
LINKS = feed_links("https://airdate.example.org", "T" * 32)
SCRIPT_TITLE = "<script>window.pwned=1</script>"
IMG_LABEL = '<img src=x onerror="window.pwned=2">'


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 7, day, hour, minute, tzinfo=UTC)


def page(*entries: ScheduleEntry, name: str = "Anime Hub") -> Element:
    return parse(schedule_page(name, Schedule(TODAY, entries), LINKS))


def cards(document: Element) -> list[Element]:
    return document.find_all("article", "card")


def day_sections(document: Element) -> dict[str, tuple[str, list[str]]]:
    """Each UTC day listed: its heading, and its cards' titles in order."""
    return {
        section.attrs["data-day"] or "": (
            " ".join(section.find("h2").text.split()),
            [card.find("h3", "title").text for card in cards(section)],
        )
        for section in document.by_id("days").find_all("section", "day")
    }


def test_days_are_grouped_in_utc_with_today_and_tomorrow_named() -> None:
    document = page(
        ScheduleEntry(1, "Frieren", "Episode 5", at(1, 23)),
        ScheduleEntry(2, "Dandadan", "Episode 2", at(1, 9)),
        ScheduleEntry(3, "Oshi no Ko", "Season 2", at(2, 0, 30)),
        ScheduleEntry(4, "Kaiju No. 8", None, date(2024, 7, 3)),
        ScheduleEntry(5, "Late", None, at(14, 23, 59)),
    )
    assert day_sections(document) == {
        "2024-07-01": ("Today Monday 1 July", ["Dandadan", "Frieren"]),
        "2024-07-02": ("Tomorrow Tuesday 2 July", ["Oshi no Ko"]),
        "2024-07-03": ("Wednesday 3 July", ["Kaiju No. 8"]),
        "2024-07-14": ("Sunday 14 July", ["Late"]),
    }
    assert document.by_id("empty").attrs.get("hidden", "absent") is None  # present: hidden
    assert document.by_id("beyond").text.strip() == ""


def test_times_are_utc_until_the_script_moves_them() -> None:
    document = page(
        ScheduleEntry(1, "Frieren", "Episode 5", at(1, 23)),
        ScheduleEntry(2, "Kaiju No. 8", None, date(2024, 7, 3)),
    )
    timed, all_day = cards(document)
    assert timed.attrs["data-at"] == "2024-07-01T23:00:00Z" and "data-all-day" not in timed.attrs
    time = timed.find("time")
    assert (time.attrs["datetime"], time.text) == ("2024-07-01T23:00:00Z", "23:00 UTC")
    assert timed.find("span", "countdown").attrs["data-at"] == "2024-07-01T23:00:00Z"
    assert all_day.attrs["data-at"] == "2024-07-03" and "data-all-day" in all_day.attrs
    time = all_day.find("time")
    assert (time.attrs["datetime"], time.text) == ("2024-07-03", "All day")
    assert all_day.find_all("span", "countdown") == []
    assert document.by_id("zone").text == "Times in UTC"


def test_releases_beyond_the_utc_days_wait_hidden_for_other_zones() -> None:
    document = page(
        ScheduleEntry(1, "Yesterday in UTC", None, datetime(2024, 6, 30, 22, tzinfo=UTC)),
        ScheduleEntry(2, "Day 15 in UTC", None, at(15, 3)),
        ScheduleEntry(3, "An all-day on the 15th", None, date(2024, 7, 15)),
    )
    assert day_sections(document) == {}
    beyond = document.by_id("beyond")
    assert "hidden" in beyond.attrs
    assert [card.find("h3", "title").text for card in cards(beyond)] == [
        "Yesterday in UTC", "An all-day on the 15th", "Day 15 in UTC",
    ]  # fmt: skip
    # Nothing in the UTC days: the empty state shows (the script says again for its zone).
    empty = document.by_id("empty")
    assert "hidden" not in empty.attrs and empty.text == "Nothing in the next 14 days."


def test_an_empty_page_says_so() -> None:
    document = page()
    empty = document.by_id("empty")
    assert "hidden" not in empty.attrs and empty.text == "Nothing in the next 14 days."
    assert cards(document) == []
    control = page(ScheduleEntry(1, "Frieren", None, at(2, 12)))
    assert "hidden" in control.by_id("empty").attrs


def test_premieres_and_finales_are_marked() -> None:
    document = page(
        ScheduleEntry(1, "Premiere", "Episode 1", at(2, 1), premiere=True),
        ScheduleEntry(2, "Finale", "Episode 12", at(2, 2), finale=True),
        ScheduleEntry(3, "Both", "Movie", at(2, 3), premiere=True, finale=True),
        ScheduleEntry(4, "Neither", "Episode 5", at(2, 4)),
    )
    marks = {
        card.find("h3", "title").text: [mark.text for mark in card.find_all("span", "mark")]
        for card in cards(document)
    }
    assert marks == {
        "Premiere": ["Premiere"],
        "Finale": ["Finale"],
        "Both": ["Premiere", "Finale"],
        "Neither": [],
    }


def test_what_a_guild_typed_is_text_and_never_markup() -> None:
    cover = 'https://img.example/c.png?a=1&b="2"><script>window.pwned=3</script>'
    link = "https://example.org/show?a=1&b=<2>"
    html = schedule_page(
        "Tom & Jerry's <b>server</b>",
        Schedule(TODAY, (ScheduleEntry(1, SCRIPT_TITLE, IMG_LABEL, at(2, 1), False, False,
                                       cover, link),)),
        LINKS,
    )  # fmt: skip
    assert "<script>window" not in html and "<img src=x" not in html and "<b>" not in html
    document = parse(html)
    [card] = cards(document)
    assert card.find("h3", "title").text == SCRIPT_TITLE
    assert card.find("p", "label").text == IMG_LABEL
    assert card.find("img", "cover").attrs["src"] == cover  # escaped, read back whole
    assert card.find("h3", "title").find("a").attrs["href"] == link
    assert document.find("h1").text == "Tom & Jerry's <b>server</b>"
    assert document.find("title").text == "Tom & Jerry's <b>server</b> · release schedule"
    # The one script is the page's own; no element carries an event handler.
    assert [script.text for script in document.find_all("script")] == [SCRIPT]
    assert not [(e.tag, name) for e in document.walk() for name in e.attrs if name.startswith("on")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:window.pwned=1",
        "JaVaScRiPt:window.pwned=1",
        " javascript:window.pwned=1",
        "java\tscript:window.pwned=1",
        "data:text/html,<script>window.pwned=1</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative",
        "https://",
        "https://exa mple.org/",
    ],
)
def test_only_web_addresses_become_links_and_images(url: str) -> None:
    document = page(ScheduleEntry(1, "Show", None, at(2, 1), cover_url=url, link=url))
    [card] = cards(document)
    assert card.find_all("a") == [] and card.find_all("img") == []
    assert card.find("div", "cover").text == "S"  # the placeholder instead of a cover
    assert card.find("h3", "title").text == "Show"
    control = page(
        ScheduleEntry(1, "Show", None, at(2, 1), cover_url="https://img.example/c.png",
                      link="http://example.org/")
    )  # fmt: skip
    [card] = cards(control)
    assert card.find("a").attrs["href"] == "http://example.org/"
    image = card.find("img", "cover")
    assert image.attrs["src"] == "https://img.example/c.png"
    assert (image.attrs["loading"], image.attrs["referrerpolicy"]) == ("lazy", "no-referrer")


def test_subscribe_links_name_the_feed() -> None:
    document = page()
    subscribe = document.find("section", "subscribe")
    hrefs = [a.attrs["href"] for a in subscribe.find_all("a")]
    assert hrefs == [LINKS.webcal, LINKS.https]
    assert LINKS.webcal == f"webcal://airdate.example.org/c/{'T' * 32}.ics"
    assert "Subscribe in your calendar app" in subscribe.text


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def test_the_policy_admits_the_pages_own_style_and_script_only() -> None:
    document = page(ScheduleEntry(1, "Frieren", None, at(2, 1)))
    [script] = document.find_all("script")
    [style] = document.find_all("style")
    assert script.attrs == {} and style.attrs == {}  # inline, nothing fetched
    policy = dict(
        (part.split()[0], part.split()[1:]) for part in CONTENT_SECURITY_POLICY.split("; ")
    )
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == [_sha256(script.text)]
    assert policy["style-src"] == [_sha256(style.text)]
    assert script.text == SCRIPT and style.text == STYLE
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    # Nothing else is loaded: no stylesheet, font or script from anywhere.
    loaded = [(e.tag, e.attrs) for e in document.walk() if e.tag in ("link", "script", "img")]
    assert loaded == [("link", {"rel": "icon", "href": "data:,"}), ("script", {})]
    viewport = [m for m in document.find_all("meta") if m.attrs.get("name") == "viewport"]
    assert viewport[0].attrs["content"] == "width=device-width, initial-scale=1"
