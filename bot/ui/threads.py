"""What `/settings threads` and `/settings view` say about threads and forum posts."""

from __future__ import annotations

import discord

from bot.services.threads import ThreadsView

#: What a text or announcement channel needs for discussion threads.
IN_TEXT_CHANNEL = {
    "create_public_threads": "Create Public Threads",
    "send_messages_in_threads": "Send Messages in Threads",
}
#: What a forum needs: Send Messages creates a post, the rest go into it.
IN_FORUM = {
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
}


def lacking(guild: discord.Guild | None, view: ThreadsView) -> list[tuple[int, list[str]]]:
    """Each channel Airdate posts in that lacks what its threads or posts need."""
    me = None if guild is None else guild.me
    if guild is None or me is None:
        return []
    found = []
    for channel_id in view.channel_ids:
        forum = channel_id in view.forums
        if not forum and not view.setting.enabled:
            continue
        channel = guild.get_channel(channel_id)
        if channel is None:
            continue
        granted = channel.permissions_for(me)
        needed = IN_FORUM if forum else IN_TEXT_CHANNEL
        missing = [label for name, label in needed.items() if not getattr(granted, name)]
        if missing:
            found.append((channel_id, missing))
    return found


def _lacking_lines(missing: list[tuple[int, list[str]]]) -> str:
    return "\n".join(f"<#{channel_id}> lacks {', '.join(labels)}" for channel_id, labels in missing)


def threads_changed(view: ThreadsView, missing: list[tuple[int, list[str]]]) -> str:
    """The reply to `/settings threads`."""
    setting = view.setting
    if setting.enabled:
        text = (
            "Each announcement now starts a discussion thread, archived after "
            f"{setting.archive.choice} without messages."
        )
    else:
        text = "Announcements no longer start discussion threads."
    if missing:
        text += (
            "\nAnnouncements still go out, but Airdate can't start threads or posts here:\n"
            + _lacking_lines(missing)
            + "\nGive the Airdate role those permissions in those channels."
        )
    return text


def add_threads_field(
    embed: discord.Embed, view: ThreadsView, missing: list[tuple[int, list[str]]]
) -> discord.Embed:
    """The threads line of `/settings view`."""
    setting = view.setting
    value = (
        f"On: a thread on each announcement, archived after {setting.archive.choice}"
        if setting.enabled
        else "Off: `/settings threads enabled:true`"
    )
    if missing:
        value += "\n" + _lacking_lines(missing)
    embed.add_field(name="Discussion threads", value=value[:1024], inline=False)
    return embed
