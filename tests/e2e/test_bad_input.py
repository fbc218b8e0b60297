"""Bad input: every malformed option gets an ephemeral hint and changes nothing.

One simulator and one bot serve the whole table (module scope): the cases only read the
database, so sharing it keeps the file fast, and each case still compares a full dump of
the database before and after its command.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
import pytest_asyncio

from bot.client import UNEXPECTED_ERROR_REPLY
from tests.conftest import MANAGE_GUILD, Server
from tests.simulator import DiscordSimulator, InteractionReply, Perm, SimChannel, SimRole
from tests.support.harness import RunningBot, dump_database, rows, start_bot

#: Commands everyone may run; the rest are run by the moderator.
PUBLIC_COMMANDS = frozenset({"countdown", "upcoming"})
DISCORD_CONTENT_MAX = 2000
LONG = 10_000

WHEN_EXAMPLE = "Type a date like `2024-07-03 23:00`"
RELATIVE_EXAMPLE = "Type a time from now like `in 45s`"
ZONE_EXAMPLE = "Pick one from the list, like `Asia/Tokyo` or `UTC`."
PAST = "is in the past. Type a time still ahead, like `in 2h`"
TITLE_EXAMPLE = "Type the title as plain text, like `Oshi no Ko`."
LABEL_EXAMPLE = "like `Season 2` or `Episode 5`"
DESCRIPTION_EXAMPLE = "like `The idol drama returns for its second season.`"
IMAGE_EXAMPLE = "starting with `https://`, like `https://example.com/cover.png`"
LINK_EXAMPLE = "starting with `https://`, like `https://example.com/`"
PICK_RELEASE = "Pick one from the list that appears as you type"
WITHIN_EXAMPLE = "Type how far ahead to look, like `7d`, `12h` or `30d`."
DELAY_EXAMPLE = "`0s` or `none` for none"
ARCHIVE_CHOICES = "`archive` is one of 1h, 1d, 3d, 1w"
OFFSETS_EXAMPLE = "Type offsets like `7d 1d 1h 15m`, or `none`."
CHANNEL_FIX = "Give the Airdate role those permissions in that channel, then run this again."


@dataclass(frozen=True)
class Ref:
    """An option value that exists only once the scene is built (an id, a channel, a role)."""

    name: str


@dataclass
class Scene:
    server: Server
    bot: RunningBot
    db_path: Path
    oshi: str
    cancelled: str
    other_guild_release: str
    no_send: SimChannel
    no_embed: SimChannel
    hidden: SimChannel
    everyone: SimRole
    unpingable: SimRole
    integration: SimRole
    bot_role: SimRole


def resolve(options: dict[str, object], scene: Scene) -> dict[str, object]:
    return {
        name: getattr(scene, value.name) if isinstance(value, Ref) else value
        for name, value in options.items()
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def scene(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Scene]:
    original_base = discord.http.Route.BASE
    original_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    sim = DiscordSimulator()
    await sim.start()
    try:
        guild = sim.add_guild(name="Anime Hub")
        server = Server(
            sim=sim,
            guild=guild,
            announcements=sim.add_channel(guild, name="announcements"),
            general=sim.add_channel(guild, name="chat"),
            fans=sim.add_role(guild, name="Anime Fans", mentionable=True),
            moderator=sim.add_member(guild, name="mod", permissions=MANAGE_GUILD),
            member=sim.add_member(guild, name="alice"),
        )
        no_send = sim.add_channel(guild, name="read-only", deny_bot=Perm.SEND_MESSAGES)
        no_embed = sim.add_channel(guild, name="no-embeds", deny_bot=Perm.EMBED_LINKS)
        hidden = sim.add_channel(guild, name="staff-only", deny_bot=Perm.VIEW_CHANNEL)
        unpingable = sim.add_role(guild, name="Quiet", mentionable=False)
        integration = sim.add_role(guild, name="Twitch Subscriber", managed=True)
        elsewhere = sim.add_guild(name="Other Server")
        elsewhere_mod = sim.add_member(elsewhere, name="other-mod", permissions=MANAGE_GUILD)

        db_path = tmp_path_factory.mktemp("bad_input") / "airdate.db"
        running = await start_bot(sim, db_path)
        try:
            setup: list[tuple[str, dict[str, object]]] = [
                ("settings channel", {"channel": server.announcements}),
                ("settings role", {"role": server.fans}),
                ("release add", {"title": "Oshi no Ko", "label": "Season 2", "when": "in 30d"}),
                ("release add", {"title": "Frieren", "when": "in 10d"}),
                ("release add", {"title": "Dandadan", "when": "in 20d"}),
                ("release remove", {"release": "Dandadan"}),
            ]
            for command, options in setup:
                reply = await server.mod(command, options)
                assert "Something went wrong" not in (reply.content or ""), reply.content
            other = await sim.invoke(
                elsewhere,
                elsewhere.general,
                elsewhere_mod,
                "release add",
                {"title": "Their Show", "when": "in 5d"},
                permissions=MANAGE_GUILD,
            )
            assert (other.content or "").startswith("Added"), other.content

            def release_id(guild_id: int, title: str) -> str:
                [(found,)] = rows(
                    db_path,
                    "SELECT r.id FROM releases r JOIN shows s ON s.id = r.show_id "
                    "WHERE r.guild_id = ? AND s.title = ?",
                    (guild_id, title),
                )
                return str(found)

            yield Scene(
                server=server,
                bot=running,
                db_path=db_path,
                oshi=release_id(guild.id, "Oshi no Ko"),
                cancelled=release_id(guild.id, "Dandadan"),
                other_guild_release=release_id(elsewhere.id, "Their Show"),
                no_send=no_send,
                no_embed=no_embed,
                hidden=hidden,
                everyone=guild.everyone_role,
                unpingable=unpingable,
                integration=integration,
                bot_role=guild.roles[guild.bot_role_id],
            )
        finally:
            await running.stop()
    finally:
        await sim.stop()
        discord.http.Route.BASE = original_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = original_gateway


def case(name: str, command: str, options: dict[str, object], expected: str, *marks: Any) -> Any:
    return pytest.param(command, options, expected, id=name, marks=marks)


def add(**options: object) -> dict[str, object]:
    """`/release add` options: a valid title and time unless the case overrides them."""
    return {"title": "Oshi no Ko", "when": "in 2h", **options}


def edit(**options: object) -> dict[str, object]:
    return {"release": Ref("oshi"), **options}


CASES = [
    # ------------------------------------------------------------ /release add: when
    case("add-feb-30", "release add", add(when="2024-02-30"), "February 2024 has 29 days"),
    case("add-month-13", "release add", add(when="2024-13-01"), "months go from 01 to 12"),
    case("add-minute-61", "release add", add(when="2030-07-03 25:61"), "minutes go from 00 to 59"),
    case("add-hour-30", "release add", add(when="2030-07-03 30:00"), "hours go from 00 to 29"),
    case("add-second-75", "release add", add(when="2030-07-03 23:00:75"), "seconds go from"),
    case("add-12-hour", "release add", add(when="2030-07-03 11:00 pm"), "from 00 to 23 instead"),
    case("add-year-2101", "release add", add(when="2101"), "years go from 1970 to 2100"),
    case("add-no-season", "release add", add(when="Someday 2030"), "like `July 2024`"),
    case("add-unreadable", "release add", add(when="next tuesday"), WHEN_EXAMPLE),
    case("add-bare-minus-1h", "release add", add(when="-1h"), WHEN_EXAMPLE),
    case("add-empty-when", "release add", add(when=""), f"The time is empty. {WHEN_EXAMPLE}"),
    case("add-blank-when", "release add", add(when=" \t "), f"The time is empty. {WHEN_EXAMPLE}"),
    case("add-long-when", "release add", add(when="2" * LONG), "yours has 10000"),
    case("add-nul-when", "release add", add(when="in 2h\x00"), "control characters"),
    case("add-in-minus-1h", "release add", add(when="in -1h"), RELATIVE_EXAMPLE),
    case("add-in-0m", "release add", add(when="in 0m"), "is zero"),
    case("add-in-0s", "release add", add(when="in 0s"), RELATIVE_EXAMPLE),
    case("add-in-99999d", "release add", add(when="in 99999d"), "limit of 365 days"),
    case("add-in-400d", "release add", add(when="in 400d"), RELATIVE_EXAMPLE),
    case("add-in-huge", "release add", add(when="in " + "9" * 90 + "d"), RELATIVE_EXAMPLE),
    case("add-past-moment", "release add", add(when="2020-01-01 00:00"), PAST),
    case("add-past-day", "release add", add(when="2020-01-01"), PAST),
    case(
        "add-dst-gap",
        "release add",
        add(when="2030-03-31 02:30", timezone="Europe/Berlin"),
        "like `2030-03-31 03:30`",
    ),
    # ------------------------------------------------------------ /release add: zones
    case("add-unknown-zone", "release add", add(timezone="Mars/Olympus_Mons"), ZONE_EXAMPLE),
    case("add-empty-zone", "release add", add(timezone=""), ZONE_EXAMPLE),
    case("add-long-zone", "release add", add(timezone="A" * LONG), ZONE_EXAMPLE),
    case(
        "add-unknown-zone-in-when",
        "release add",
        add(when="2030-07-03 23:00 Mars/Base"),
        "Write an offset like `+09:00`, a zone like `Asia/Tokyo`",
    ),
    case(
        "add-offset-15h",
        "release add",
        add(when="2030-07-03 23:00 +15:00"),
        "Write offsets like `+09:00`",
    ),
    case(
        "add-zone-twice",
        "release add",
        add(when="2024-07-03 23:00 +09:00", timezone="Asia/Tokyo"),
        "Give the time zone once: either in `when`, like `2024-07-03 23:00 +09:00`",
    ),
    # ------------------------------------------------------------ /release add: text
    case("add-empty-title", "release add", add(title=""), "like `Oshi no Ko`"),
    case("add-blank-title", "release add", add(title=" \t "), "like `Oshi no Ko`"),
    case("add-title-257", "release add", add(title="T" * 257), "at most 256 characters"),
    case("add-title-10k", "release add", add(title="T" * LONG), "yours has 10000"),
    case("add-title-nul", "release add", add(title="Oshi\x00no Ko"), TITLE_EXAMPLE),
    case("add-title-escape", "release add", add(title="\x1b[31mOshi no Ko"), "U+001B"),
    case("add-title-rtl", "release add", add(title="Oshi \u202eoK on"), "U+202E"),
    case("add-title-newline", "release add", add(title="Oshi no Ko\nSeason 2"), "U+000A"),
    case("add-empty-label", "release add", add(label=""), LABEL_EXAMPLE),
    case("add-label-101", "release add", add(label="L" * 101), "at most 100 characters"),
    case("add-label-10k", "release add", add(label="L" * LONG), "yours has 10000"),
    case("add-label-zwsp", "release add", add(label="Season\u200b2"), "U+200B"),
    case("add-empty-description", "release add", add(description=""), DESCRIPTION_EXAMPLE),
    case("add-description-4097", "release add", add(description="D" * 4097), "at most 4096"),
    case("add-description-10k", "release add", add(description="D" * LONG), "yours has 10000"),
    case("add-description-bell", "release add", add(description="Hi\x07 there"), "U+0007"),
    # ------------------------------------------------------------ /release add: links
    case("add-image-ftp", "release add", add(image="ftp://example.com/a.png"), IMAGE_EXAMPLE),
    case("add-image-js", "release add", add(image="javascript:alert(1)"), IMAGE_EXAMPLE),
    case("add-image-words", "release add", add(image="not a url"), IMAGE_EXAMPLE),
    case("add-image-empty", "release add", add(image=""), IMAGE_EXAMPLE),
    case("add-image-no-host", "release add", add(image="https://"), IMAGE_EXAMPLE),
    case("add-image-bad-port", "release add", add(image="https://a.io:99999/x"), IMAGE_EXAMPLE),
    case("add-image-10k", "release add", add(image="https://a.io/" + "i" * LONG), "at most 2048"),
    case("add-link-ftp", "release add", add(link="ftp://example.com/"), LINK_EXAMPLE),
    case("add-link-js", "release add", add(link="javascript:alert(1)"), LINK_EXAMPLE),
    case("add-link-10k", "release add", add(link="L" * LONG), LINK_EXAMPLE),
    # ------------------------------------------------------------ /release edit
    case(
        "edit-timezone-without-when",
        "release edit",
        edit(release="Oshi no Ko — Season 2", timezone="Asia/Tokyo"),
        "Type the new time in `when` too, like `2024-07-03 23:00`.",
    ),
    case("edit-feb-30", "release edit", edit(when="2024-02-30"), "February 2024 has 29 days"),
    case("edit-in-minus-1h", "release edit", edit(when="in -1h"), RELATIVE_EXAMPLE),
    case("edit-in-99999d", "release edit", edit(when="in 99999d"), "limit of 365 days"),
    case("edit-past", "release edit", edit(when="2020-01-01 00:00"), PAST),
    case("edit-empty-when", "release edit", edit(when=""), WHEN_EXAMPLE),
    case("edit-unknown-zone", "release edit", edit(when="in 2h", timezone="Nowhere"), ZONE_EXAMPLE),
    case(
        "edit-zone-twice",
        "release edit",
        edit(when="2030-07-03 23:00 +09:00", timezone="Asia/Tokyo"),
        "Give the time zone once",
    ),
    case("edit-empty-title", "release edit", edit(title=""), "like `Oshi no Ko`"),
    case("edit-title-257", "release edit", edit(title="T" * 257), "at most 256 characters"),
    case("edit-title-taken", "release edit", edit(title="Frieren"), "Pick a different title"),
    case("edit-label-rtl", "release edit", edit(label="\u202e2 nosaeS"), "U+202E"),
    case("edit-description-4097", "release edit", edit(description="D" * 4097), "at most 4096"),
    case("edit-image-js", "release edit", edit(image="javascript:alert(1)"), IMAGE_EXAMPLE),
    case("edit-link-words", "release edit", edit(link="not a url"), LINK_EXAMPLE),
    case("edit-unknown", "release edit", edit(release="Nonexistent", when="in 2h"), PICK_RELEASE),
    case(
        "edit-other-guild",
        "release edit",
        edit(release=Ref("other_guild_release"), title="Hijacked"),
        PICK_RELEASE,
    ),
    case(
        "edit-cancelled", "release edit", edit(release=Ref("cancelled"), when="in 2h"), PICK_RELEASE
    ),
    case("edit-empty-release", "release edit", edit(release="", when="in 2h"), PICK_RELEASE),
    case("edit-release-10k", "release edit", edit(release="R" * LONG, label="x"), PICK_RELEASE),
    # ------------------------------------------------------------ /release remove
    case("remove-unknown", "release remove", {"release": "Nonexistent"}, PICK_RELEASE),
    case(
        "remove-other-guild",
        "release remove",
        {"release": Ref("other_guild_release")},
        PICK_RELEASE,
    ),
    case("remove-cancelled", "release remove", {"release": Ref("cancelled")}, PICK_RELEASE),
    case("remove-empty", "release remove", {"release": ""}, PICK_RELEASE),
    case("remove-huge-id", "release remove", {"release": "9" * 25}, PICK_RELEASE),
    case("remove-10k", "release remove", {"release": "R" * LONG}, PICK_RELEASE),
    # ------------------------------------------------------------ /countdown
    case("countdown-unknown", "countdown", {"release": "Nonexistent"}, PICK_RELEASE),
    case(
        "countdown-other-guild", "countdown", {"release": Ref("other_guild_release")}, PICK_RELEASE
    ),
    case("countdown-cancelled", "countdown", {"release": Ref("cancelled")}, PICK_RELEASE),
    case("countdown-nul", "countdown", {"release": "\x00"}, PICK_RELEASE),
    case("countdown-10k", "countdown", {"release": "R" * LONG}, PICK_RELEASE),
    # ------------------------------------------------------------ /upcoming within
    case("upcoming-forever", "upcoming", {"within": "forever"}, WITHIN_EXAMPLE),
    case("upcoming-minus-1h", "upcoming", {"within": "-1h"}, "has a sign"),
    case("upcoming-0m", "upcoming", {"within": "0m"}, "is zero"),
    case("upcoming-99999d", "upcoming", {"within": "99999d"}, "limit of 365 days"),
    case("upcoming-empty", "upcoming", {"within": ""}, WITHIN_EXAMPLE),
    case("upcoming-fraction", "upcoming", {"within": "1.5h"}, "has a fraction"),
    case("upcoming-weeks", "upcoming", {"within": "2w"}, "like `14d`"),
    case("upcoming-10k-letters", "upcoming", {"within": "x" * LONG}, WITHIN_EXAMPLE),
    case(
        "upcoming-10k-digits",
        "upcoming",
        {"within": "9" * (LONG - 1) + "d"},
        WITHIN_EXAMPLE,
    ),
    # ------------------------------------------------------------ /settings reminders
    case("offsets-empty", "settings reminders", {"offsets": ""}, OFFSETS_EXAMPLE),
    case("offsets-blank", "settings reminders", {"offsets": "  "}, OFFSETS_EXAMPLE),
    case("offsets-1x", "settings reminders", {"offsets": "1x"}, OFFSETS_EXAMPLE),
    case("offsets-fraction", "settings reminders", {"offsets": "1.5h"}, "has a fraction"),
    case("offsets-minus-1h", "settings reminders", {"offsets": "7d -1h"}, "has a sign"),
    case("offsets-0m", "settings reminders", {"offsets": "1d 0m"}, "is zero"),
    case("offsets-99999d", "settings reminders", {"offsets": "99999d"}, "limit of 365 days"),
    case("offsets-none-mixed", "settings reminders", {"offsets": "none 1h"}, "cannot be mixed"),
    case(
        "offsets-eleven",
        "settings reminders",
        {"offsets": " ".join(f"{hours}h" for hours in range(1, 12))},
        "at most 10 are allowed",
    ),
    case("offsets-nul", "settings reminders", {"offsets": "1d\x001h"}, OFFSETS_EXAMPLE),
    case("offsets-10k-letters", "settings reminders", {"offsets": "x" * LONG}, OFFSETS_EXAMPLE),
    case(
        "offsets-10k-digits",
        "settings reminders",
        {"offsets": "9" * (LONG - 1) + "d"},
        OFFSETS_EXAMPLE,
    ),
    # ------------------------------------------------------------ /settings delay
    case("delay-empty", "settings delay", {"after": ""}, DELAY_EXAMPLE),
    case("delay-25h", "settings delay", {"after": "25h"}, "limit of 24 hours"),
    case("delay-2d", "settings delay", {"after": "2d"}, DELAY_EXAMPLE),
    case("delay-minus", "settings delay", {"after": "-1h"}, "has a sign"),
    case("delay-fraction", "settings delay", {"after": "1.5h"}, "has a fraction"),
    case("delay-two", "settings delay", {"after": "1h 30m"}, DELAY_EXAMPLE),
    case("delay-10k-digits", "settings delay", {"after": "9" * (LONG - 1) + "h"}, DELAY_EXAMPLE),
    # ------------------------------------------------------------ /settings threads
    case("archive-2d", "settings threads", {"enabled": True, "archive": "2d"}, ARCHIVE_CHOICES),
    case("archive-empty", "settings threads", {"enabled": True, "archive": ""}, ARCHIVE_CHOICES),
    # ------------------------------------------------------------ /settings timezone
    case("zone-unknown", "settings timezone", {"zone": "Mars/Olympus_Mons"}, ZONE_EXAMPLE),
    case("zone-empty", "settings timezone", {"zone": ""}, ZONE_EXAMPLE),
    case("zone-offset", "settings timezone", {"zone": "+09:00"}, ZONE_EXAMPLE),
    case("zone-abbreviation", "settings timezone", {"zone": "JST"}, ZONE_EXAMPLE),
    case("zone-nul", "settings timezone", {"zone": "Asia/Tokyo\x00"}, ZONE_EXAMPLE),
    case("zone-10k", "settings timezone", {"zone": "Z" * LONG}, ZONE_EXAMPLE),
    # ------------------------------------------------------------ /settings channel and role
    case("channel-no-send", "settings channel", {"channel": Ref("no_send")}, "lacks Send Messages"),
    case("channel-no-embed", "settings channel", {"channel": Ref("no_embed")}, "lacks Embed Links"),
    case("channel-hidden", "settings channel", {"channel": Ref("hidden")}, "lacks View Channel"),
    case("channel-fix", "settings channel", {"channel": Ref("no_send")}, CHANNEL_FIX),
    case("role-everyone", "settings role", {"role": Ref("everyone")}, "such as `Anime Fans`"),
    case("role-unpingable", "settings role", {"role": Ref("unpingable")}, "Allow anyone to"),
    case("role-managed", "settings role", {"role": Ref("integration")}, "Pick a role members"),
    case("role-bot-own", "settings role", {"role": Ref("bot_role")}, "Pick a role members"),
]


def bot_posts(sim: DiscordSimulator) -> list[int]:
    """Ids of messages the bot posted itself (not as answers to interactions)."""
    return [m.id for m in sim.all_messages() if m.source == "rest"]


def assert_pings_nobody(sim: DiscordSimulator, reply: InteractionReply) -> None:
    assert reply.message_id is not None
    message = sim.world.messages_by_id[reply.message_id]
    assert sim.pings(message).nobody, message.content
    # Whichever request wrote the hint (a callback, or the followup filling in a deferral)
    # turned mentions off; a deferral itself carries no message.
    sent = [c.get("data") or {} for c in reply.callbacks if c.get("type") in (4, 7)]
    for allowed in [data.get("allowed_mentions") for data in sent] + [message.allowed_mentions]:
        assert allowed is not None, "the reply does not turn mentions off"
        assert not allowed.get("parse"), allowed


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 45
    assert len({p.id for p in CASES}) == len(CASES)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("command", "options", "expected"), CASES)
async def test_bad_input_gets_a_hint_and_changes_nothing(
    scene: Scene, command: str, options: dict[str, object], expected: str
) -> None:
    sim = scene.server.sim
    values = resolve(options, scene)
    before = dump_database(scene.db_path)
    posts_before = bot_posts(sim)
    errors_before = len(scene.bot.unexpected_errors)

    if command in PUBLIC_COMMANDS:
        reply = await scene.server.user(command, values)
    else:
        reply = await scene.server.mod(command, values)

    content = reply.content or ""
    assert scene.bot.unexpected_errors[errors_before:] == []
    assert content != UNEXPECTED_ERROR_REPLY
    assert reply.ephemeral, content
    assert expected in content, content
    assert len(content) <= DISCORD_CONTENT_MAX
    assert not reply.embeds and not reply.components
    assert_pings_nobody(sim, reply)
    assert dump_database(scene.db_path) == before
    assert bot_posts(sim) == posts_before
