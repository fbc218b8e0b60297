"""What a guild sees of an AniList show: its announcement, reminders and notices."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import discord
import pytest

from bot.domain.catalog import CatalogMedia, StreamingLink, TitleLanguage, Titles
from bot.domain.models import DeliveryKind, Precision, Release, ReleaseTime
from bot.domain.notifications import Notification
from bot.ui.catalog_messages import (
    CatalogCard,
    catalog_embed,
    catalog_line,
    compose_catalog,
    episode_label,
)
from bot.ui.messages import OutgoingMessage, compose
from bot.ui.streaming import message_view
from tests.ui.catalog_samples import (
    CRUNCHYROLL,
    HIDIVE,
    MENTIONS,
    OSHI,
    PING,
    assert_components_fit,
    assert_embed_fits,
    catalog_release,
    embed_total,
    media,
)
from tests.ui.samples import AT, AT_UNIX, ROLE, as_dict, body_text, release

HOUR = timedelta(hours=1)
EXACT_OLD = ReleaseTime(AT - HOUR, Precision.EXACT, "UTC")


def announce(r: Release, *, late: bool = False) -> Notification:
    return Notification(DeliveryKind.ANNOUNCEMENT, r, due_at=r.time.at or AT, late=late)


def remind(r: Release, offset: timedelta = timedelta(days=1)) -> Notification:
    return Notification(DeliveryKind.REMINDER, r, due_at=(r.time.at or AT) - offset, offset=offset)


def notice(r: Release, old: ReleaseTime) -> Notification:
    return Notification(DeliveryKind.NOTICE, r, due_at=AT, old_time=old)


def embed_of(notification: Notification, card: CatalogCard) -> dict[str, Any]:
    embed = as_dict(catalog_embed(notification, card))
    assert_embed_fits(embed)
    return embed


def components_of(message: OutgoingMessage) -> list[dict[str, Any]]:
    view = message_view(message.buttons)
    if view is None:
        return []
    components: list[dict[str, Any]] = view.to_components()
    assert_components_fit(components)
    return components


# --- the announcement -----------------------------------------------------------------


def test_an_announcement_shows_cover_synopsis_episode_and_anilist_page() -> None:
    card = CatalogCard(OSHI, episode=5)
    embed = embed_of(announce(catalog_release()), card)
    assert embed["title"] == "[Oshi no Ko] 2nd Season — Episode 5 of 13"
    assert embed["url"] == "https://anilist.co/anime/166531"
    assert embed["image"]["url"] == OSHI.cover_url
    assert embed["description"] == OSHI.synopsis
    assert embed["author"]["name"] == "Out now"
    assert f"<t:{AT_UNIX}:F>" in body_text(embed)
    assert "Broadcast" not in body_text(embed)
    line = catalog_line(announce(catalog_release()), card)
    assert line.startswith("\N{PARTY POPPER} **[Oshi no Ko] 2nd Season — Episode 5 of 13**")
    assert f"<t:{AT_UNIX}:R>" in line


@pytest.mark.parametrize(
    ("episode", "episodes", "label"),
    [
        (5, 13, "Episode 5 of 13"),
        (1, 13, "Episode 1 of 13 (premiere)"),
        (13, 13, "Episode 13 of 13 (finale)"),
        (5, None, "Episode 5"),
        (1, None, "Episode 1 (premiere)"),
        (1, 1, "Episode 1 of 1 (premiere and finale)"),
        # AniList's count lags behind a show that runs longer: no "14 of 13", no finale.
        (14, 13, "Episode 14"),
    ],
)
def test_episode_label(episode: int, episodes: int | None, label: str) -> None:
    assert episode_label(episode, episodes) == label
    card = CatalogCard(media(episodes=episodes), episode=episode)
    embed = embed_of(announce(catalog_release(label=f"Episode {episode}")), card)
    assert embed["title"] == f"[Oshi no Ko] 2nd Season — {label}"


def test_a_show_without_airings_is_titled_with_its_release_label() -> None:
    movie = media(episodes=1, streaming=())
    r = catalog_release(label="Movie", precision=Precision.DAY)
    embed = embed_of(announce(r), CatalogCard(movie))
    assert embed["title"] == "[Oshi no Ko] 2nd Season — Movie"
    embed = embed_of(announce(catalog_release(label=None)), CatalogCard(movie))
    assert embed["title"] == "[Oshi no Ko] 2nd Season"


@pytest.mark.parametrize(
    ("titles", "language", "shown"),
    [
        (OSHI.titles, TitleLanguage.ROMAJI, "[Oshi no Ko] 2nd Season"),
        (OSHI.titles, TitleLanguage.ENGLISH, "Oshi no Ko Season 2"),
        (OSHI.titles, TitleLanguage.NATIVE, "【推しの子】第2期"),
        (Titles("Sousou no Frieren", None, None), TitleLanguage.ENGLISH, "Sousou no Frieren"),
        (Titles(None, None, "葬送のフリーレン"), TitleLanguage.ROMAJI, "葬送のフリーレン"),
        (Titles("", "", "葬送のフリーレン"), TitleLanguage.ENGLISH, "葬送のフリーレン"),
        (Titles("Two\nlines\tand\x00 a NUL"), TitleLanguage.ROMAJI, "Two lines and a NUL"),
        (Titles(" \n", "\x00", "推しの子"), TitleLanguage.ENGLISH, "推しの子"),
        (Titles("\x07"), TitleLanguage.NATIVE, "AniList 166531"),
    ],
    ids=[
        "romaji",
        "english",
        "native",
        "no-english",
        "native-only",
        "empty-others",
        "control",
        "blank-others",
        "nothing-printable",
    ],
)
def test_the_title_is_in_the_guild_language(
    titles: Titles, language: TitleLanguage, shown: str
) -> None:
    card = CatalogCard(media(titles=titles), episode=5, language=language)
    embed = embed_of(announce(catalog_release()), card)
    assert embed["title"] == f"{shown} — Episode 5 of 13"
    for n in (announce(catalog_release()), remind(catalog_release())):
        assert shown in catalog_line(n, card)


# --- a delayed guild sees both times --------------------------------------------------


@pytest.mark.parametrize(
    "build", [announce, remind, lambda r: notice(r, ReleaseTime(AT - HOUR, Precision.EXACT, "UTC"))]
)
def test_a_delayed_guild_sees_broadcast_and_here(build: Any) -> None:
    card = CatalogCard(OSHI, episode=5, delay=HOUR)
    n = build(catalog_release())
    both = f"Broadcast <t:{AT_UNIX}:F> · here <t:{AT_UNIX + 3600}:F>"
    assert both in body_text(embed_of(n, card))
    line = catalog_line(n, card)
    if n.kind is not DeliveryKind.NOTICE:
        assert both in line
        assert f"<t:{AT_UNIX + 3600}:R>" in line  # the countdown runs to when it is told here
    else:
        assert f"now <t:{AT_UNIX + 3600}:F>" in line


def test_without_a_delay_one_time_is_shown() -> None:
    n = remind(catalog_release())
    text = catalog_line(n, CatalogCard(OSHI, episode=5)) + body_text(
        embed_of(n, CatalogCard(OSHI, episode=5))
    )
    assert "Broadcast" not in text and "here" not in text
    assert f"<t:{AT_UNIX}:R>" in text and f"<t:{AT_UNIX}:F>" in text


def test_a_date_without_its_time_is_the_same_day_whatever_the_delay() -> None:
    day = catalog_release(label="Movie", at=AT.replace(hour=15), precision=Precision.DAY)
    card = CatalogCard(media(), delay=timedelta(hours=24))
    text = catalog_line(remind(day), card) + body_text(embed_of(remind(day), card))
    assert "Broadcast" not in text
    assert "4 July 2024" in text  # 15:00 UTC on 3 July is 4 July 00:00 in Tokyo
    assert "5 July" not in text


# --- reminders ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "episode", "says"),
    [
        ("Episode 5", 5, f"**[Oshi no Ko] 2nd Season** — Episode 5 airs <t:{AT_UNIX}:R>."),
        ("Episode 13", 13, f"**[Oshi no Ko] 2nd Season** — Episode 13 airs <t:{AT_UNIX}:R>."),
        ("Episode 1", 1, f"**[Oshi no Ko] 2nd Season** premieres <t:{AT_UNIX}:R>."),
        (
            "Season 2",
            None,
            f"**[Oshi no Ko] 2nd Season — Season 2** premieres <t:{AT_UNIX}:R>.",
        ),
        ("Movie", None, f"**[Oshi no Ko] 2nd Season — Movie** premieres <t:{AT_UNIX}:R>."),
    ],
)
def test_a_reminder_says_what_airs_when(label: str, episode: int | None, says: str) -> None:
    line = catalog_line(remind(catalog_release(label=label)), CatalogCard(OSHI, episode=episode))
    assert line == f"\N{ALARM CLOCK} {says}"


def test_a_reminder_carries_no_streaming_buttons() -> None:
    cards = {7: CatalogCard(OSHI, episode=5)}
    message = compose_catalog([remind(catalog_release())], cards, remind_buttons=True)
    [row] = components_of(message)
    assert [b["label"] for b in row["components"]] == ["Remind me"]
    embed = as_dict(message.embeds[0])
    assert embed["author"]["name"] == "Reminder: in 1 day"


# --- composed messages ----------------------------------------------------------------


def test_an_announcement_has_its_streaming_sites_before_remind_me() -> None:
    cards = {7: CatalogCard(OSHI, episode=5)}
    message = compose_catalog([announce(catalog_release())], cards, (ROLE,), remind_buttons=True)
    rows = components_of(message)
    assert [[b["label"] for b in row["components"]] for row in rows] == [
        ["Crunchyroll", "HIDIVE"],
        ["Remind me"],
    ]
    assert message.remind_show_ids == (70,)
    assert message.content.splitlines()[0] == f"<@&{ROLE}>"


def test_a_dm_announcement_has_streaming_sites_but_no_remind_me() -> None:
    message = compose_catalog([announce(catalog_release())], {7: CatalogCard(OSHI, episode=5)})
    [row] = components_of(message)
    assert [b["url"] for b in row["components"]] == [CRUNCHYROLL.url, HIDIVE.url]
    assert message.remind_show_ids == ()


def test_a_notice_has_no_buttons() -> None:
    old = ReleaseTime(AT - timedelta(days=3), Precision.EXACT, "UTC")
    message = compose_catalog(
        [notice(catalog_release(), old)], {7: CatalogCard(OSHI, episode=5)}, remind_buttons=True
    )
    assert components_of(message) == []
    assert f"was <t:{AT_UNIX - 3 * 86400}:F>, now <t:{AT_UNIX}:F>" in message.content


def test_catalog_and_guild_releases_share_a_message() -> None:
    own = release()  # the guild's own show, release id 1
    cards = {7: CatalogCard(OSHI, episode=5, language=TitleLanguage.ENGLISH)}
    message = compose_catalog(
        [announce(own), announce(catalog_release())], cards, remind_buttons=True
    )
    plain = compose([announce(own)])
    assert message.content.splitlines()[0] == plain.content
    assert as_dict(message.embeds[0]) == as_dict(plain.embeds[0])
    assert as_dict(message.embeds[1])["title"] == "Oshi no Ko Season 2 — Episode 5 of 13"
    rows = components_of(message)
    assert [b["label"] for b in rows[0]["components"]] == [
        "Crunchyroll · Oshi no Ko Season 2",
        "HIDIVE · Oshi no Ko Season 2",
    ]
    assert [b["label"] for b in rows[1]["components"]] == [
        "Remind me: Oshi no Ko",
        "Remind me: Oshi no Ko Season 2",
    ]


def test_plain_compose_says_which_remind_me_buttons_it_carries() -> None:
    message = compose([announce(release())], remind_buttons=True)
    [row] = components_of(message)
    assert [b["label"] for b in row["components"]] == ["Remind me"]
    assert compose([announce(release())]).buttons == ()


# --- whatever AniList sends -----------------------------------------------------------

HOSTILE = media(
    titles=Titles((f"{MENTIONS} *bold* " * 10)[:300], MENTIONS * 4, ("_N_ @here " * 40)[:300]),
    synopsis=("**@here** <@423456789012345678> [x](https://evil.example) " * 200)[:10_000],
    site_url="javascript:alert(1)",
    cover_url="https://example.com/" + "a" * 3000,
    streaming=(
        *(StreamingLink("S" * 300, f"https://s{i}.example/" + "a" * 600) for i in range(3)),
        StreamingLink(f"Site {MENTIONS}", "https://ok.example/"),
    ),
    episodes=2**31 - 1,
)


@pytest.mark.parametrize("language", list(TitleLanguage))
@pytest.mark.parametrize("kind", list(DeliveryKind))
@pytest.mark.parametrize("delay", [timedelta(0), timedelta(hours=24)])
def test_hostile_anilist_data_fits_and_pings_nobody(
    language: TitleLanguage, kind: DeliveryKind, delay: timedelta
) -> None:
    r = catalog_release(label=f"Episode {2**31 - 2}")
    n = Notification(
        kind, r, due_at=AT, late=True, old_time=ReleaseTime(AT - HOUR, Precision.EXACT, "UTC")
    )
    card = CatalogCard(HOSTILE, episode=2**31 - 2, language=language, delay=delay)
    message = compose_catalog([n], {7: card}, remind_buttons=True)
    assert len(message.content) <= 2000
    assert dict(message.allowed_mentions.to_dict()) == {"parse": []}
    assert "@\u200b" in message.content  # the title's mentions are there, made inert
    assert not PING.search(message.content)
    [embed] = [as_dict(e) for e in message.embeds]
    assert_embed_fits(embed)
    assert "url" not in embed and "image" not in embed
    assert embed["title"].endswith(f"— Episode {2**31 - 2} of {2**31 - 1}")
    text = embed["title"] + body_text(embed)
    assert not PING.search(text)  # mentions in embeds never ping, but must not even show
    buttons = [b for row in components_of(message) for b in row["components"]]
    links = [b for b in buttons if "url" in b]
    assert [b["url"] for b in links] == (
        [] if kind is not DeliveryKind.ANNOUNCEMENT else ["https://ok.example/"]
    )


def test_ten_hostile_announcements_fit_one_message() -> None:
    notifications = [announce(catalog_release(release_id=i, show_id=100 + i)) for i in range(10)]
    cards = {i: CatalogCard(HOSTILE, episode=5) for i in range(10)}
    message = compose_catalog(notifications, cards, (ROLE,), remind_buttons=True)
    embeds = [as_dict(e) for e in message.embeds]
    assert len(embeds) == 10
    for embed in embeds:
        assert_embed_fits(embed)
    assert sum(embed_total(e) for e in embeds) <= 6000
    assert sum(len(e) for e in message.embeds) <= 6000
    assert len(message.content) <= 2000
    rows = components_of(message)
    assert sum(len(row["components"]) for row in rows) <= 25
    assert len([b for row in rows for b in row["components"] if "custom_id" in b]) == 10


@pytest.mark.parametrize("label", ["Episode 5", "M" * 100])
@pytest.mark.parametrize("kind", [DeliveryKind.ANNOUNCEMENT, DeliveryKind.NOTICE])
def test_a_long_title_gives_way_to_the_episode(label: str, kind: DeliveryKind) -> None:
    card = CatalogCard(media(titles=Titles("T" * 300)), episode=5 if label == "Episode 5" else None)
    n = Notification(kind, catalog_release(label=label), due_at=AT, old_time=EXACT_OLD)
    shown = "Episode 5 of 13" if card.episode else label
    assert f"… — {shown}**" in catalog_line(n, card)
    assert embed_of(n, card)["title"].endswith(f"… — {shown}")


def test_a_synopsis_reads_as_written() -> None:
    synopsis = "Ai's *secret* [click](https://evil.example/) @everyone\n\n(Source: HIDIVE)"
    embed = embed_of(announce(catalog_release()), CatalogCard(media(synopsis=synopsis)))
    assert embed["description"] == (
        "Ai's \\*secret\\* \\[click](https://evil.example/) @\u200beveryone\n\n(Source: HIDIVE)"
    )


def test_a_huge_synopsis_is_cut_with_an_ellipsis() -> None:
    card = CatalogCard(media(synopsis="word " * 2000), episode=5)
    embed = embed_of(announce(catalog_release()), card)
    assert embed["description"].endswith("…")
    assert 1000 < len(embed["description"]) <= 4096


def test_a_show_with_nothing_but_a_native_title_and_an_id() -> None:
    bare = CatalogMedia(
        anilist_id=1, titles=Titles(None, None, "推しの子"), site_url="", is_adult=False
    )
    message = compose_catalog(
        [announce(catalog_release(label="Episode 3"))],
        {7: CatalogCard(bare, episode=3, language=TitleLanguage.ENGLISH)},
        remind_buttons=True,
    )
    embed = as_dict(message.embeds[0])
    assert_embed_fits(embed)
    assert embed["title"] == "推しの子 — Episode 3"
    assert "description" not in embed and "url" not in embed and "image" not in embed
    assert re.search(r"\*\*推しの子 — Episode 3\*\* is out!", message.content)
    assert [[b["label"] for b in row["components"]] for row in components_of(message)] == [
        ["Remind me"]
    ]


def test_a_late_announcement_says_so() -> None:
    n = announce(catalog_release(), late=True)
    card = CatalogCard(OSHI, episode=5)
    assert "Posted late" in catalog_line(n, card)
    assert "Posted late" in body_text(embed_of(n, card))
    assert "late" not in catalog_line(announce(catalog_release()), card).lower()


def test_nothing_in_an_embed_is_a_timestamp_where_discord_would_not_render_it() -> None:
    card = CatalogCard(OSHI, episode=5, delay=HOUR)
    embed = embed_of(announce(catalog_release()), card)
    assert "<t:" not in embed["title"] and "<t:" not in embed["author"]["name"]


def test_embeds_are_real_discord_embeds() -> None:
    assert isinstance(catalog_embed(announce(catalog_release()), CatalogCard(OSHI)), discord.Embed)
