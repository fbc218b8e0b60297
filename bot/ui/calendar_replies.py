"""Pure text for `/calendar` and `/settings calendar`."""

from __future__ import annotations

from bot.domain.calendar import FeedLinks
from bot.ui.messages import bold_title

FEED_OFF = (
    "The live calendar feed is off on this Airdate: whoever runs the bot turns it on by "
    "setting `CALENDAR_HTTP_PORT`. `/calendar` still gives anyone an .ics file."
)
NO_SUBSCRIPTIONS = (
    "You don't subscribe to any show here yet: `/subscribe` to one, then ask `/calendar "
    "mine:true` again."
)


def feed_lines(links: FeedLinks) -> list[str]:
    return [
        f"- Apple Calendar or Outlook: <{links.webcal}>",
        f"- Google Calendar (Other calendars → From URL) or anything else: <{links.https}>",
        f"- Or open the schedule page (the next 14 days, in your time zone): <{links.page}>",
    ]


def exported(
    count: int, links: FeedLinks | None, *, show_title: str | None = None, mine: bool = False
) -> str:
    """What comes with the .ics file: what it holds, and how to stay up to date instead."""
    if show_title is not None:
        scope = f"of {bold_title(show_title)}"
    elif mine:
        scope = "of the shows you subscribe to"
    else:
        scope = "this server follows"
    window = "from a week ago to a year ahead"
    if count == 0:
        first = f"No release {scope} is dated {window} yet, so the file is empty for now."
    elif count == 1:
        first = f"Here is the one release {scope}, {window}: open the file to add it"
    else:
        first = f"Here are the {count} releases {scope}, {window}: open the file to add them"
    lines = [first if count == 0 else f"{first} to your calendar app."]
    if links is not None:
        lines.append("To have every change show up by itself, subscribe to this server's feed:")
        lines.extend(feed_lines(links))
    return "\n".join(lines)


def feed_settings(links: FeedLinks, *, regenerated: bool) -> str:
    """`/settings calendar`: the feed's links, for moderators to share with members."""
    first = (
        "New links made: the old ones stopped working. Share these instead."
        if regenerated
        else "This server's live calendar feed, for members to subscribe to:"
    )
    return "\n".join(
        [
            first,
            *feed_lines(links),
            "Anyone with a link can read the server's schedule. If one leaks, "
            "`/settings calendar regenerate:true` replaces them.",
        ]
    )
