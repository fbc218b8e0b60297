"""The command list Discord receives: who sees each command, and that none works in DMs.

Read from the sync requests the simulated Discord recorded, not from Python attributes: a
decorator discord.py ignores (a class-level `default_permissions` on a plain Cog) leaves
the attribute looking right and the payload wrong.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Server
from tests.support.harness import start_bot, wait_until

MANAGE_SERVER = 1 << 5  # 0x20
#: Discord's interaction context type for a server (1 is the bot's DMs, 2 group DMs).
GUILD_CONTEXT = 0
MODERATOR_COMMANDS = {"release", "settings", "follow", "unfollow", "follows", "anilist"}
MEMBER_COMMANDS = {
    "countdown",
    "upcoming",
    "subscribe",
    "unsubscribe",
    "subscriptions",
    "calendar",
    "help",
}
SYNC_ROUTE = re.compile(r"/applications/\d+(/guilds/\d+)?/commands")


def synced_commands(server: Server) -> dict[str, dict[str, Any]]:
    """The commands in the last command sync the bot sent, by name."""
    syncs = [r for r in server.sim.requests if r.method == "PUT" and SYNC_ROUTE.fullmatch(r.path)]
    assert syncs, "the bot never synced its commands"
    return {command["name"]: command for command in syncs[-1].json}


@pytest.mark.parametrize("scope", ["global", "dev guild"])
async def test_moderator_commands_need_manage_server_and_no_command_works_in_dms(
    server: Server, db_path: Path, scope: str
) -> None:
    dev_guild_id = server.guild.id if scope == "dev guild" else None
    running = await start_bot(server.sim, db_path, dev_guild_id=dev_guild_id)
    try:
        if dev_guild_id is not None:  # synced once READY shows the bot is in that guild
            synced = ("guild", dev_guild_id)
            await wait_until(lambda: synced in server.sim.command_syncs, 5, "the dev sync")
        commands = synced_commands(server)
    finally:
        await running.stop()

    assert set(commands) == MODERATOR_COMMANDS | MEMBER_COMMANDS
    for name, command in commands.items():
        assert command.get("dm_permission") is False, f"/{name} can be used in DMs"
        assert command.get("contexts") == [GUILD_CONTEXT], f"/{name} contexts: {command}"
        permissions = command.get("default_member_permissions")
        if name in MODERATOR_COMMANDS:
            assert permissions is not None and int(permissions) == MANAGE_SERVER, (
                f"/{name} is shown to everyone: default_member_permissions={permissions!r}"
            )
        else:
            assert permissions is None, f"/{name} is hidden from members: {permissions!r}"
