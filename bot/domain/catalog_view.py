"""A catalog release as one guild sees it: its titles, its delay, and what AniList says.

Catalog shows are stored once; each guild reads them in its own title language and is
told of their releases `delay_after` after AniList's airing time. These pure functions
turn the stored release into the guild's, and the stored start date into a release time.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.catalog import CatalogMedia, FuzzyDate, TitleLanguage, Titles
from bot.domain.models import Precision, Release, ReleaseTime

#: AniList's dates are Japanese broadcast dates: a start date is a day in Tokyo.
CATALOG_TIMEZONE = "Asia/Tokyo"
#: The longest `/settings delay after`.
MAX_DELAY_AFTER = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class CatalogView:
    """What a message about a catalog release shows in one guild, beyond the release.

    This is the seam to the catalog message builders: the delivery engine hands it to
    the message composer with each notification about a catalog release.
    """

    media: CatalogMedia
    #: The AniList episode (None: the show's one release dated from its start date).
    episode: int | None
    premiere: bool
    finale: bool
    title_language: TitleLanguage
    #: How long after the broadcast this guild is told.
    delay: timedelta
    #: AniList's airing time (the release's own time, before the guild's delay).
    broadcast: ReleaseTime

    @property
    def title(self) -> str:
        """The show's title in the guild's language."""
        return self.media.titles.pick(self.title_language)

    @property
    def here(self) -> ReleaseTime:
        """When this guild is told: the broadcast plus the guild's delay."""
        return delayed(self.broadcast, self.delay)


def delayed(time: ReleaseTime, delay: timedelta) -> ReleaseTime:
    """The same time `delay` later (TBA stays TBA)."""
    if time.at is None or not delay:
        return time
    return replace(time, at=time.at + delay)


def seen_release(
    release: Release, titles: Titles | None, language: TitleLanguage, delay: timedelta
) -> Release:
    """The release as a guild sees it: a catalog show titled in the guild's language, its
    time the moment the guild is told. A guild's own release is returned as it is."""
    if not release.is_catalog:
        return release
    show = release.show if titles is None else replace(release.show, title=titles.pick(language))
    return replace(release, show=show, time=delayed(release.time, delay))


def start_time(date: FuzzyDate) -> ReleaseTime:
    """The release time AniList's `startDate` names, at its real precision (a part that
    makes no date, such as month 13, is left out with the parts after it)."""
    zone = ZoneInfo(CATALOG_TIMEZONE)
    parts = (
        (Precision.DAY, (date.year, date.month, date.day)),
        (Precision.MONTH, (date.year, date.month, 1)),
        (Precision.YEAR, (date.year, 1, 1)),
    )
    for precision, (year, month, day) in parts:
        if year is None or month is None or day is None:
            continue
        try:
            local = datetime(year, month, day, tzinfo=zone)
        except ValueError:
            continue
        return ReleaseTime(local.astimezone(UTC), precision, CATALOG_TIMEZONE)
    return ReleaseTime(None, Precision.TBA, CATALOG_TIMEZONE)


def airing_time(airing_at: int) -> ReleaseTime:
    """The exact time of an airing (AniList's unix seconds)."""
    return ReleaseTime(datetime.fromtimestamp(airing_at, UTC), Precision.EXACT, CATALOG_TIMEZONE)


def episode_label(episode: int) -> str:
    return f"Episode {episode}"
