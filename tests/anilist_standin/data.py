"""What the AniList stand-in knows: media (anime and manga) and airing schedules.

Tests change it as AniList's editors would: move an airing, remove one, add episodes,
cancel or finish a show.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WEEK = timedelta(days=7)


@dataclass(slots=True)
class StandinMedia:
    """One AniList media, in AniList's own field names and values."""

    id: int
    romaji: str | None
    english: str | None = None
    native: str | None = None
    type: str = "ANIME"
    id_mal: int | None = None
    format: str | None = "TV"
    status: str = "RELEASING"
    episodes: int | None = None
    duration: int | None = 24
    season: str | None = None
    season_year: int | None = None
    is_adult: bool = False
    synonyms: list[str] = field(default_factory=list)
    description: str | None = None
    cover: str | None = None
    cover_color: str | None = None
    start_date: tuple[int | None, int | None, int | None] = (None, None, None)
    external_links: list[dict[str, Any]] = field(default_factory=list)

    @property
    def site_url(self) -> str:
        return f"https://anilist.co/{self.type.lower()}/{self.id}"

    def titles(self) -> list[str]:
        return [t for t in (self.romaji, self.english, self.native, *self.synonyms) if t]


@dataclass(slots=True)
class StandinAiring:
    id: int
    media_id: int
    episode: int
    airing_at: int


class Catalogue:
    """The stand-in's AniList: media by id, and the airing schedule."""

    def __init__(self) -> None:
        self.media: dict[int, StandinMedia] = {}
        self.airings: list[StandinAiring] = []
        self._airing_ids = itertools.count(340_001)

    # ------------------------------------------------------------- building
    def add(self, media: StandinMedia) -> StandinMedia:
        self.media[media.id] = media
        return media

    def add_airing(self, media_id: int, episode: int, at: datetime | int) -> StandinAiring:
        row = StandinAiring(next(self._airing_ids), media_id, episode, _unix(at))
        self.airings.append(row)
        return row

    def add_weekly(self, media_id: int, first: datetime, episodes: range) -> None:
        """Episodes `episodes`, the first at `first` and then one a week."""
        for index, episode in enumerate(episodes):
            self.add_airing(media_id, episode, first + index * WEEK)

    # ------------------------------------------------------------- schedule changes
    def airing(self, media_id: int, episode: int) -> StandinAiring:
        for row in self.airings:
            if row.media_id == media_id and row.episode == episode:
                return row
        raise KeyError((media_id, episode))

    def move_airing(self, media_id: int, episode: int, to: datetime | int) -> None:
        self.airing(media_id, episode).airing_at = _unix(to)

    def remove_airing(self, media_id: int, episode: int) -> None:
        self.airings.remove(self.airing(media_id, episode))

    def regenerate_ids(self, media_id: int) -> None:
        """Give the show's rows new ids, as a regenerated schedule may."""
        for row in self.airings:
            if row.media_id == media_id:
                row.id = next(self._airing_ids)

    def add_episodes(self, media_id: int, count: int) -> None:
        """Add `count` episodes a week apart after the show's last scheduled one."""
        rows = sorted((r for r in self.airings if r.media_id == media_id), key=lambda r: r.episode)
        if not rows:
            raise KeyError(media_id)
        last = rows[-1]
        for step in range(1, count + 1):
            self.add_airing(
                media_id, last.episode + step, last.airing_at + step * int(WEEK.total_seconds())
            )
        show = self.media[media_id]
        if show.episodes is not None:
            show.episodes = max(show.episodes, last.episode + count)

    def cancel(self, media_id: int, now: datetime) -> None:
        """The show is cancelled: CANCELLED, and its episodes still ahead are gone."""
        self.media[media_id].status = "CANCELLED"
        cutoff = _unix(now)
        self.airings = [
            r for r in self.airings if not (r.media_id == media_id and r.airing_at > cutoff)
        ]

    def finish(self, media_id: int) -> None:
        self.media[media_id].status = "FINISHED"


def _unix(moment: datetime | int) -> int:
    if isinstance(moment, int):
        return moment
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return int(moment.timestamp())


# ----------------------------------------------------------------- sample data
OSHI_NO_KO = 166531
OSHI_NO_KO_MAL = 55791
#: A manga whose MyAnimeList id is Oshi no Ko season 2's: MAL numbers anime and manga apart.
OSHI_NO_KO_MANGA = 107941
COWBOY_BEBOP = 1
COWBOY_BEBOP_MANGA = 30001
ADULT_SHOW = 900002
ADULT_SHOW_MAL = 90002
ANNOUNCED_MOVIE = 900003


def sample_catalogue(now: datetime, *, next_episode_in: timedelta = timedelta(days=1)) -> Catalogue:
    """A handful of media that exercise every rule: anime and manga, adult, MAL ids, links."""
    catalogue = Catalogue()
    # Manga first, so a lookup that forgets `type: ANIME` finds the manga.
    catalogue.add(
        StandinMedia(
            OSHI_NO_KO_MANGA,
            "Oshi no Ko",
            "[Oshi no Ko]",
            "【推しの子】",
            type="MANGA",
            id_mal=OSHI_NO_KO_MAL,
            format="MANGA",
            status="FINISHED",
            duration=None,
        )
    )
    catalogue.add(
        StandinMedia(
            OSHI_NO_KO,
            "[Oshi no Ko] 2nd Season",
            "Oshi no Ko Season 2",
            "【推しの子】第2期",
            id_mal=OSHI_NO_KO_MAL,
            episodes=13,
            season="SUMMER",
            season_year=2024,
            synonyms=["Oshi no Ko 2", "My Star Season 2"],
            description=(
                "The second season of <i>[Oshi no Ko]</i>.<br>\n<br>\nAqua &amp; Ruby "
                "return to the stage.<br><br>(Source: Kadokawa)"
            ),
            cover="https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx166531-dAL5MsqDHUkj.jpg",
            cover_color="#e44343",
            start_date=(2024, 7, 3),
            external_links=[
                {
                    "id": 1,
                    "site": "Official Site",
                    "url": "https://ichigoproduction.com/",
                    "type": "INFO",
                    "isDisabled": False,
                },
                {
                    "id": 2,
                    "site": "HIDIVE",
                    "url": "https://www.hidive.com/tv/oshi-no-ko-season-2",
                    "type": "STREAMING",
                    "isDisabled": False,
                },
                {
                    "id": 3,
                    "site": "Netflix",
                    "url": "https://www.netflix.com/title/81707968",
                    "type": "STREAMING",
                    "isDisabled": True,
                },
                {
                    "id": 4,
                    "site": "Crunchyroll",
                    "url": "https://www.crunchyroll.com/series/G1XHJV0G7",
                    "type": "STREAMING",
                    "isDisabled": False,
                },
                {
                    "id": 5,
                    "site": "HIDIVE",
                    "url": "https://www.hidive.com/season/19079",
                    "type": "STREAMING",
                    "isDisabled": False,
                },
                {
                    "id": 6,
                    "site": "Twitter",
                    "url": "https://twitter.com/anime_oshinoko",
                    "type": "SOCIAL",
                    "isDisabled": False,
                },
            ],
        )
    )
    # Three episodes aired, ten ahead: the next one `next_episode_in` from now.
    first = now + next_episode_in - 3 * WEEK
    catalogue.add_weekly(OSHI_NO_KO, first, range(1, 14))

    catalogue.add(
        StandinMedia(
            COWBOY_BEBOP_MANGA,
            "Cowboy Bebop",
            type="MANGA",
            id_mal=1,
            format="MANGA",
            status="FINISHED",
            duration=None,
        )
    )
    catalogue.add(
        StandinMedia(
            COWBOY_BEBOP,
            "Cowboy Bebop",
            "Cowboy Bebop",
            "カウボーイビバップ",
            id_mal=1,
            status="FINISHED",
            episodes=26,
            season="SPRING",
            season_year=1998,
            start_date=(1998, 4, 3),
        )
    )
    catalogue.add(
        StandinMedia(
            ADULT_SHOW,
            "Adult Only Stand-in",
            id_mal=ADULT_SHOW_MAL,
            format="OVA",
            episodes=2,
            is_adult=True,
        )
    )
    catalogue.add_weekly(ADULT_SHOW, now + timedelta(days=2), range(1, 3))
    catalogue.add(
        StandinMedia(
            ANNOUNCED_MOVIE,
            "Stand-in Movie: The Premiere",
            format="MOVIE",
            status="NOT_YET_RELEASED",
            episodes=1,
            duration=110,
            start_date=(2027, 3, None),
        )
    )
    return catalogue


def bulk_catalogue(
    count: int, now: datetime, *, first_id: int = 200_000, episodes_ahead: int = 2
) -> Catalogue:
    """`count` weekly shows, each with `episodes_ahead` episodes in the next 14 days."""
    catalogue = Catalogue()
    for index in range(count):
        media_id = first_id + index
        catalogue.add(
            StandinMedia(
                media_id,
                f"Bulk Show {index}",
                id_mal=50_000 + index,
                episodes=12,
                season="WINTER",
                season_year=2027,
                start_date=(2027, 1, 1),
            )
        )
        # Spread the broadcasts over the week, a few minutes apart.
        first = now + timedelta(hours=1, minutes=(index * 7) % (7 * 24 * 60 - 120))
        catalogue.add_weekly(media_id, first, range(4, 4 + episodes_ahead))
    return catalogue
