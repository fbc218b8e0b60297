"""Discussion threads and forum posts: their names and how long they stay open."""

from __future__ import annotations

from enum import Enum

from bot.domain.notifications import Notification
from bot.domain.text import truncate

#: Discord's limit on a thread's (or forum post's) name.
NAME_LIMIT = 100
#: The most of a name a label may take, so that a long label leaves the show visible.
LABEL_LIMIT = 50
SEPARATOR = " — "
DISCUSSION = " discussion"


class ArchiveAfter(Enum):
    """How long a quiet thread stays open, in minutes (the only values Discord takes)."""

    HOUR = 60
    DAY = 1440
    THREE_DAYS = 4320
    WEEK = 10080

    @property
    def choice(self) -> str:
        """How `/settings threads archive` names it."""
        return _CHOICES[self]

    @classmethod
    def from_choice(cls, typed: str) -> ArchiveAfter:
        for value, name in _CHOICES.items():
            if name == typed:
                return value
        raise ValueError(f"not an archive choice: {typed!r}")


_CHOICES = {
    ArchiveAfter.HOUR: "1h",
    ArchiveAfter.DAY: "1d",
    ArchiveAfter.THREE_DAYS: "3d",
    ArchiveAfter.WEEK: "1w",
}


def show_and_label(notification: Notification) -> tuple[str, str | None]:
    """The show's title as the guild reads it, and the release's label (a catalog
    release's episode)."""
    release = notification.release
    catalog = notification.catalog
    if catalog is not None and catalog.episode is not None:
        return release.show.title, f"Episode {catalog.episode}"
    return release.show.title, release.label


def _named(show: str, label: str | None, suffix: str) -> str:
    """'Show — Label' + suffix within NAME_LIMIT, the show part cut first."""
    show = " ".join(show.split()) or "Untitled"
    tail = suffix
    if label:
        tail = SEPARATOR + truncate(" ".join(label.split()), LABEL_LIMIT) + suffix
    return truncate(show, NAME_LIMIT - len(tail)) + tail


def post_title(notification: Notification) -> str:
    """A release's forum post title: 'Show — Label', at most 100 characters."""
    return _named(*show_and_label(notification), "")


def discussion_name(notification: Notification) -> str:
    """An announcement's thread name: 'Show — Label discussion', at most 100 characters."""
    return _named(*show_and_label(notification), DISCUSSION)
