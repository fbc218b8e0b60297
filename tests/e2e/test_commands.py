"""The slash commands as members and moderators use them, through the real client."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.conftest import MANAGE_GUILD, Server
from tests.simulator.models import SimChannel
from tests.support.harness import RunningBot, rows, start_bot, wait_until


def posted_in(server: Server, channel: SimChannel) -> list[str]:
    return [m.content for m in server.sim.messages(channel)]


async def test_release_autocomplete_offers_show_label_and_date(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod(
        "release add",
        {
            "title": "Oshi no Ko",
            "label": "Season 2",
            "when": "2030-07-03 23:00",
            "timezone": "Asia/Tokyo",
        },
    )
    await server.mod("release add", {"title": "Frieren", "when": "Summer 2030"})
    choices = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.member,
        "countdown",
        {"release": "oshi"},
        focused="release",
    )
    assert [c["name"] for c in choices] == ["Oshi no Ko — Season 2 (2030-07-03 23:00 Asia/Tokyo)"]
    card = await server.user("countdown", {"release": choices[0]["value"]})
    assert not card.ephemeral
    assert card.embeds[0]["title"] == "Oshi no Ko — Season 2"
    assert "<t:1909317600:R>" in str(card.embeds[0])  # 2030-07-03T14:00Z, a live countdown


async def test_typed_title_works_and_unknown_one_says_pick_from_list(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("release add", {"title": "Dandadan", "when": "2030-01"})
    card = await server.user("countdown", {"release": "dandadan"})
    assert card.embeds[0]["title"] == "Dandadan"
    assert "January 2030" in str(card.embeds[0])
    missing = await server.user("countdown", {"release": "Naruto"})
    assert missing.ephemeral and "Pick one from the list" in (missing.content or "")


async def test_timezone_autocomplete(server: Server, airdate: RunningBot) -> None:
    choices = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.moderator,
        "settings timezone",
        {"zone": "tokyo"},
        focused="zone",
    )
    assert choices[0]["value"] == "Asia/Tokyo"
    assert len(choices) <= 25


async def test_guilds_see_only_their_own_releases(server: Server, airdate: RunningBot) -> None:
    await server.mod("release add", {"title": "Secret Show", "when": "2030-01-01"})
    other = server.sim.add_guild(name="Other Server")
    outsider = server.sim.add_member(other, name="bob", permissions=MANAGE_GUILD)
    other_channel = server.sim.add_channel(other, name="chat")
    await server.sim.wait_for_gateway()
    await asyncio.sleep(0.2)
    choices = await server.sim.autocomplete(
        other, other_channel, outsider, "release edit", {"release": "secret"}, focused="release"
    )
    assert choices == []
    [own] = await server.sim.autocomplete(
        server.guild,
        server.general,
        server.moderator,
        "release edit",
        {"release": "secret"},
        focused="release",
    )
    reply = await server.sim.invoke(
        other,
        other_channel,
        outsider,
        "release remove",
        {"release": own["value"]},
        permissions=MANAGE_GUILD,
    )
    assert "No release here is the one picked" in (reply.content or "")
    assert "secret" not in (reply.content or "").casefold()


async def test_upcoming_pages_past_ten(server: Server, airdate: RunningBot) -> None:
    for day in range(1, 13):
        await server.mod("release add", {"title": f"Show {day:02}", "when": f"in {day}d"})
    await server.mod("release add", {"title": "Far away", "when": "in 60d"})
    first = await server.user("upcoming")
    assert not first.ephemeral
    text = first.embeds[0]["description"]
    assert text.index("Show 01") < text.index("Show 10")
    assert "Show 11" not in text and "Far away" not in text
    assert first.embeds[0]["footer"]["text"] == "Page 1 of 2 · 12 releases"
    buttons = [c for row in first.components for c in row["components"]]
    next_id = next(b["custom_id"] for b in buttons if b["label"] == "Next")
    second = await server.sim.click(first, next_id, server.guild, server.general, server.member)
    assert "Show 12" in second.embeds[0]["description"]
    week = await server.user("upcoming", {"within": "7d"})
    assert "Show 07" in week.embeds[0]["description"]
    assert "Show 08" not in week.embeds[0]["description"]


async def test_settings_view_test_and_help(server: Server, airdate: RunningBot) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings role", {"role": server.fans})
    await server.mod("settings reminders", {"offsets": "2d 30m"})
    await server.mod("settings timezone", {"zone": "asia/tokyo"})
    view = await server.mod("settings view")
    assert view.ephemeral
    fields = {f["name"]: f["value"] for f in view.embeds[0]["fields"]}
    assert fields["Announcement channel"] == f"<#{server.announcements.id}>"
    assert fields["Ping role"] == f"<@&{server.fans.id}>"
    assert fields["Reminders before each release"] == "2d, 30m"
    assert fields["Time zone for typed dates"] == "Asia/Tokyo"

    test = await server.mod("settings test")
    assert "sample" in (test.content or "")
    [sample] = server.sim.messages(server.announcements)
    assert server.sim.pings(sample).roles == frozenset({server.fans.id})

    help_reply = await server.user("help")
    assert f"<#{server.announcements.id}>" in str(help_reply.embeds[0])


async def test_release_added_before_a_channel_is_scheduled_once_one_is_set(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings reminders", {"offsets": "none"})
    reply = await server.mod("release add", {"title": "Early bird", "when": "in 3s"})
    assert "/settings channel" in (reply.content or "")
    await server.mod("settings channel", {"channel": server.announcements})
    await wait_until(lambda: len(posted_in(server, server.announcements)) == 1, 5, "announcement")


async def test_changing_channel_moves_pending_deliveries(
    server: Server, airdate: RunningBot
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("settings reminders", {"offsets": "none"})
    await server.mod("release add", {"title": "Mover", "when": "in 3s"})
    await server.mod("settings channel", {"channel": server.general})
    await wait_until(lambda: any("Mover" in c for c in posted_in(server, server.general)), 5, "x")
    await asyncio.sleep(0.5)
    assert posted_in(server, server.announcements) == []


async def test_changing_offsets_recomputes_pending_reminders(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("release add", {"title": "Planned", "when": "in 3d"})
    pending = "SELECT offset_seconds FROM deliveries WHERE status = 'pending' ORDER BY 1"
    assert rows(db_path, pending) == [(0,), (3600,), (86400,)]  # 7d is already past
    await server.mod("settings reminders", {"offsets": "2d 15m"})
    assert rows(db_path, pending) == [(0,), (900,), (172800,)]


async def test_a_day_gaining_its_time_sends_no_notice(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    await server.mod("settings channel", {"channel": server.announcements})
    await server.mod("release add", {"title": "Vague", "when": "2030-07-03"})
    await server.mod("release edit", {"release": "Vague", "when": "2030-07-03 23:00"})
    notices = rows(db_path, "SELECT count(*) FROM deliveries WHERE kind = 'notice'")
    assert notices == [(0,)]


async def test_commands_sync_only_when_they_change(
    server: Server, airdate: RunningBot, db_path: Path
) -> None:
    assert server.sim.command_syncs == [("global", None)]
    await airdate.stop()
    again = await start_bot(server.sim, db_path)
    await again.stop()
    assert server.sim.command_syncs == [("global", None)]
    dev = await start_bot(server.sim, db_path, dev_guild_id=server.guild.id)
    # The dev guild is synced once READY shows the bot is in it.
    synced = ("guild", server.guild.id)
    await wait_until(lambda: server.sim.command_syncs[-1] == synced, 5, "the dev guild's sync")
    await dev.stop()
    assert server.sim.command_syncs[-1] == synced
