"""`/anilist follow`: its autocomplete names and what its reply says, at any length."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.domain.catalog import MediaFormat, TitleLanguage, Titles
from bot.domain.catalog_follows import FollowOutcome, FollowResult
from bot.domain.models import Precision, ReleaseTime
from bot.ui.anilist_choices import anilist_choice_name, anilist_choices
from bot.ui.anilist_replies import (
    channel_required_reply,
    follow_reply,
    matches_reply,
    unavailable_reply,
)
from tests.ui.catalog_samples import MENTIONS, OSHI, PING, media
from tests.ui.samples import AT, AT_UNIX, CHANNEL

EXACT = ReleaseTime(AT, Precision.EXACT, "Asia/Tokyo")

# --- autocomplete names ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "name"),
    [
        ({}, "[Oshi no Ko] 2nd Season · TV · Summer 2024 · 13 eps"),
        (
            {"format": MediaFormat.TV_SHORT},
            "[Oshi no Ko] 2nd Season · TV Short · Summer 2024 · 13 eps",
        ),
        (
            {"format": MediaFormat.OVA, "episodes": 1},
            "[Oshi no Ko] 2nd Season · OVA · Summer 2024 · 1 ep",
        ),
        ({"format": None}, "[Oshi no Ko] 2nd Season · Summer 2024 · 13 eps"),
        ({"season": None}, "[Oshi no Ko] 2nd Season · TV · 2024 · 13 eps"),
        ({"season_year": None}, "[Oshi no Ko] 2nd Season · TV · Summer · 13 eps"),
        (
            {"season": "FALL", "season_year": 2025},
            "[Oshi no Ko] 2nd Season · TV · Fall 2025 · 13 eps",
        ),
        ({"season": "SUMMER <@&1>"}, "[Oshi no Ko] 2nd Season · TV · 2024 · 13 eps"),
        ({"episodes": None}, "[Oshi no Ko] 2nd Season · TV · Summer 2024"),
        (
            {"format": None, "season": None, "season_year": None, "episodes": None},
            "[Oshi no Ko] 2nd Season",
        ),
        (
            {"format": MediaFormat.MOVIE, "episodes": 1, "season": None},
            "[Oshi no Ko] 2nd Season · Movie · 2024 · 1 ep",
        ),
    ],
)
def test_choice_name_says_what_tells_namesakes_apart(changes: dict[str, object], name: str) -> None:
    assert anilist_choice_name(media(**changes), TitleLanguage.ROMAJI) == name


@pytest.mark.parametrize(
    ("titles", "language", "start"),
    [
        (OSHI.titles, TitleLanguage.ENGLISH, "Oshi no Ko Season 2 · "),
        (OSHI.titles, TitleLanguage.NATIVE, "【推しの子】第2期 · "),
        (Titles(None, None, "推しの子"), TitleLanguage.ENGLISH, "推しの子 · "),
        (Titles("Line\nbreak\r\n\ttitle"), TitleLanguage.ROMAJI, "Line break title · "),
    ],
)
def test_choice_name_is_in_the_guild_language(
    titles: Titles, language: TitleLanguage, start: str
) -> None:
    assert anilist_choice_name(media(titles=titles), language).startswith(start)


@pytest.mark.parametrize("length", [85, 86, 100, 300, 10_000])
def test_a_long_title_is_cut_and_the_facts_kept(length: int) -> None:
    name = anilist_choice_name(media(titles=Titles("T" * length)), TitleLanguage.ROMAJI)
    assert len(name) == 100
    assert name.endswith("… · TV · Summer 2024 · 13 eps")


def test_choices_carry_the_anilist_id_and_stop_at_25() -> None:
    found = [media(anilist_id=i) for i in range(1, 40)]
    choices = anilist_choices(found, TitleLanguage.ROMAJI)
    assert [c.value for c in choices] == [str(i) for i in range(1, 26)]
    assert all(1 <= len(c.name) <= 100 for c in choices)


# --- the follow reply -----------------------------------------------------------------


def outcome(
    result: FollowResult = FollowResult.FOLLOWED,
    query: str = "166531",
    *,
    time: ReleaseTime | None = EXACT,
    episode: int | None = 3,
) -> FollowOutcome:
    known = result in (FollowResult.FOLLOWED, FollowResult.ALREADY_FOLLOWED, FollowResult.ADULT)
    return FollowOutcome(result, query, OSHI if known else None, time, episode)


@pytest.mark.parametrize(
    ("one", "says"),
    [
        (
            outcome(),
            f"- **[Oshi no Ko] 2nd Season**: Episode 3 airs <t:{AT_UNIX}:F> (<t:{AT_UNIX}:R>)",
        ),
        (
            outcome(episode=1),
            f"- **[Oshi no Ko] 2nd Season**: Episode 1 premieres <t:{AT_UNIX}:F> (<t:{AT_UNIX}:R>)",
        ),
        (
            outcome(time=ReleaseTime(AT, Precision.SEASON, "UTC"), episode=None),
            "- **[Oshi no Ko] 2nd Season**: Summer 2024",
        ),
        (
            outcome(
                time=ReleaseTime(AT.replace(hour=15), Precision.DAY, "Asia/Tokyo"), episode=None
            ),
            f"- **[Oshi no Ko] 2nd Season**: 4 July 2024 (<t:{AT_UNIX + 3600}:R>)",
        ),
        (outcome(time=None, episode=None), "- **[Oshi no Ko] 2nd Season**: no date on AniList yet"),
        (outcome(FollowResult.ALREADY_FOLLOWED), "Already followed: **[Oshi no Ko] 2nd Season**."),
        (outcome(FollowResult.NOT_FOUND, "99999999"), "- `99999999`: not found on AniList"),
        (outcome(FollowResult.ADULT, "123"), "- `123`: adult (18+) content"),
        (
            outcome(FollowResult.MANGA, "https://anilist.co/manga/30002"),
            "- `https://anilist.co/manga/30002`: a manga: Airdate follows anime only",
        ),
        (outcome(FollowResult.UNAVAILABLE, "5"), "- `5`: AniList is not answering"),
    ],
    ids=lambda value: value.result.value if isinstance(value, FollowOutcome) else "",
)
def test_each_show_says_its_next_episode_or_why_not(one: FollowOutcome, says: str) -> None:
    reply = follow_reply([one])
    assert says in reply.splitlines() or any(line.startswith(says) for line in reply.splitlines())
    if one.result.failed:
        assert "Nothing was followed" in reply
        assert "Oshi" not in reply  # an adult show is named by what was typed, not its title


def test_the_reply_names_the_channel_and_sorts_by_outcome() -> None:
    reply = follow_reply(
        [
            outcome(FollowResult.NOT_FOUND, "1"),
            outcome(),
            outcome(FollowResult.ALREADY_FOLLOWED),
        ],
        channel_id=CHANNEL,
    )
    lines = reply.splitlines()
    assert lines[0] == f"Followed 1 show in <#{CHANNEL}>:"
    assert lines[2].startswith("Already followed:")
    assert lines[3:] == ["Not followed:", "- `1`: not found on AniList"]


def test_a_delayed_guild_sees_when_it_is_told() -> None:
    reply = follow_reply([outcome()], delay=timedelta(hours=1))
    assert f"<t:{AT_UNIX + 3600}:F> (<t:{AT_UNIX + 3600}:R>)" in reply
    assert str(AT_UNIX) not in reply


def test_the_title_is_in_the_guild_language() -> None:
    assert "**Oshi no Ko Season 2**" in follow_reply([outcome()], language=TitleLanguage.ENGLISH)


def test_what_was_typed_never_pings() -> None:
    typed = [outcome(result, MENTIONS) for result in FollowResult if result.failed]
    hostile = media(titles=Titles(MENTIONS + " *x*"))
    typed.append(FollowOutcome(FollowResult.FOLLOWED, MENTIONS, hostile, EXACT, 2))
    reply = follow_reply(typed)
    assert "everyone" in reply
    assert not PING.search(reply)


def test_a_reply_that_fits_is_never_summed_up() -> None:
    outcomes = [outcome(query=str(i)) for i in range(20)]
    reply = follow_reply(outcomes)
    assert len(reply) <= 2000
    assert reply.count("Episode 3 airs") == 20


def test_two_hundred_shows_are_summed_up_with_counts() -> None:
    outcomes = (
        [outcome(query=str(i)) for i in range(183)]
        + [outcome(FollowResult.ALREADY_FOLLOWED, str(i)) for i in range(12)]
        + [outcome(FollowResult.NOT_FOUND, str(1234 + i)) for i in range(5)]
    )
    reply = follow_reply(outcomes, channel_id=CHANNEL)
    assert reply.splitlines() == [
        f"Followed 183 shows in <#{CHANNEL}>.",
        "12 already followed.",
        "5 not found: `1234`, `1235`, `1236`, `1237`, `1238`",
    ]


@pytest.mark.parametrize(
    "query",
    ["1", "https://myanimelist.net/anime/55791/Oshi_no_Ko_2nd_Season", "*_`|~" * 20, MENTIONS],
    ids=["ids", "links", "markdown", "mentions"],
)
def test_two_hundred_failures_fit_and_are_counted(query: str) -> None:
    outcomes = [
        outcome(result, f"{query}{i}")
        for i in range(200)
        for result in FollowResult
        if i % len(FollowResult) == list(FollowResult).index(result)
    ]
    reply = follow_reply(outcomes)
    assert len(reply) <= 2000
    assert not PING.search(reply)
    lines = reply.splitlines()
    assert lines[:2] == ["Followed 34 shows.", "34 already followed."]
    counted = {
        "not found": 33,
        "adult (18+)": 33,
        "manga": 33,
        "not answered by AniList": 33,
    }
    for line, (words, count) in zip(lines[2:], counted.items(), strict=True):
        assert line.startswith(f"{count} {words}")
        listed = re.findall(r"`[^`]*`", line)
        more = re.search(r"… and (\d+) more$", line)
        assert len(listed) + (int(more[1]) if more else 0) == count
        assert listed  # each list names at least some of what failed


def test_nothing_asked_for() -> None:
    assert "AniList id" in follow_reply([])


# --- the other replies ----------------------------------------------------------------


def test_top_matches_are_listed_to_pick_from() -> None:
    found = [media(anilist_id=100 + i) for i in range(12)]
    reply = matches_reply("oshi", found, TitleLanguage.ENGLISH)
    lines = reply.splitlines()
    assert "`oshi`" in lines[0] and "nothing was followed" in lines[0]
    assert len(lines) == 11
    assert lines[1] == "1. **Oshi no Ko Season 2** · TV · Summer 2024 · 13 eps · `100`"
    assert lines[10].startswith("10. ") and lines[10].endswith("`109`")


def test_no_match_at_all_says_so() -> None:
    reply = matches_reply(MENTIONS, [], TitleLanguage.ROMAJI)
    assert "no anime matching" in reply
    assert not PING.search(reply)


def test_hostile_matches_fit() -> None:
    titles = Titles(("*_" + MENTIONS) * 10)
    found = [media(anilist_id=10**9 + i, titles=titles) for i in range(10)]
    reply = matches_reply("*" * 300, found, TitleLanguage.ROMAJI)
    assert len(reply) <= 2000
    assert not PING.search(reply)


def test_no_announcement_channel_says_to_pass_one() -> None:
    reply = channel_required_reply()
    assert "`channel`" in reply and "`/settings channel`" in reply


def test_anilist_not_answering_says_to_try_again() -> None:
    assert "try again" in unavailable_reply().lower()
