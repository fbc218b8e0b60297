"""What `/calendar` says beside its file: the count read as a person would say it."""

from __future__ import annotations

from bot.domain.calendar import feed_links
from bot.ui.calendar_replies import exported


def test_many_releases_are_counted() -> None:
    text = exported(12, None)
    assert text.startswith("Here are the 12 releases this server follows")
    assert "add them to your calendar app" in text


def test_one_release_is_not_spoken_of_as_a_plural() -> None:
    text = exported(1, None, show_title="Oshi no Ko")
    assert text.startswith("Here is the one release of **Oshi no Ko**")
    assert "add it to your calendar app" in text
    assert "1 release" not in text and "releases" not in text


def test_no_release_says_the_file_is_empty() -> None:
    text = exported(0, None, mine=True)
    assert text == (
        "No release of the shows you subscribe to is dated from a week ago to a year ahead "
        "yet, so the file is empty for now."
    )


def test_feed_links_follow_when_the_feed_is_on() -> None:
    links = feed_links("https://airdate.example.org", "tok")
    text = exported(1, links)
    assert "<webcal://airdate.example.org/c/tok.ics>" in text
    assert "<https://airdate.example.org/c/tok.ics>" in text
