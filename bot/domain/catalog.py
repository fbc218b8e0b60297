"""What AniList tells Airdate about a show, as plain values.

`bot.anilist` turns AniList's answers into these; the catalog service stores them. The
core never sees AniList's JSON, and the AniList package never writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TitleLanguage(StrEnum):
    """Which of a catalog show's titles a guild reads (`/settings titles language`)."""

    ROMAJI = "romaji"
    ENGLISH = "english"
    NATIVE = "native"


class MediaFormat(StrEnum):
    """AniList's anime formats."""

    TV = "TV"
    TV_SHORT = "TV_SHORT"
    MOVIE = "MOVIE"
    SPECIAL = "SPECIAL"
    OVA = "OVA"
    ONA = "ONA"
    MUSIC = "MUSIC"

    @property
    def label(self) -> str:
        """AniList's word, title-cased as people write it: TV, TV Short, Movie, OVA."""
        return _FORMAT_LABELS[self]


_FORMAT_LABELS = {
    MediaFormat.TV: "TV",
    MediaFormat.TV_SHORT: "TV Short",
    MediaFormat.MOVIE: "Movie",
    MediaFormat.SPECIAL: "Special",
    MediaFormat.OVA: "OVA",
    MediaFormat.ONA: "ONA",
    MediaFormat.MUSIC: "Music",
}


class MediaStatus(StrEnum):
    """AniList's `status(version: 2)`."""

    FINISHED = "FINISHED"
    RELEASING = "RELEASING"
    NOT_YET_RELEASED = "NOT_YET_RELEASED"
    CANCELLED = "CANCELLED"
    HIATUS = "HIATUS"


@dataclass(frozen=True, slots=True)
class Titles:
    """A show's titles; any may be missing, not all at once."""

    romaji: str | None
    english: str | None = None
    native: str | None = None

    def __post_init__(self) -> None:
        if not (self.romaji or self.english or self.native):
            raise ValueError("a show has at least one title")

    def pick(self, language: TitleLanguage) -> str:
        """The title in `language`, else romaji, else English, else native."""
        chosen = {
            TitleLanguage.ROMAJI: self.romaji,
            TitleLanguage.ENGLISH: self.english,
            TitleLanguage.NATIVE: self.native,
        }[language]
        for title in (chosen, self.romaji, self.english, self.native):
            if title:
                return title
        raise AssertionError("unreachable: __post_init__ requires a title")


@dataclass(frozen=True, slots=True)
class FuzzyDate:
    """AniList's date with every part optional (`startDate`)."""

    year: int | None = None
    month: int | None = None
    day: int | None = None


@dataclass(frozen=True, slots=True)
class StreamingLink:
    """One legal streaming site of a show: a link button on its announcements."""

    site: str
    url: str


@dataclass(frozen=True, slots=True)
class CatalogMedia:
    """One AniList anime as Airdate keeps it.

    `synopsis` is plain text (tags stripped, entities unescaped); `streaming` holds only
    STREAMING links that are not disabled, one per site, in AniList's order.
    """

    anilist_id: int
    titles: Titles
    site_url: str
    is_adult: bool
    mal_id: int | None = None
    synonyms: tuple[str, ...] = ()
    cover_url: str | None = None
    synopsis: str | None = None
    format: MediaFormat | None = None
    status: MediaStatus | None = None
    episodes: int | None = None
    duration_minutes: int | None = None
    season: str | None = None
    season_year: int | None = None
    start_date: FuzzyDate = FuzzyDate()
    streaming: tuple[StreamingLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Airing:
    """One episode on AniList's airing schedule: keyed by (media, episode)."""

    anilist_id: int
    episode: int
    #: Unix seconds (UTC) of the broadcast.
    airing_at: int
    #: AniList's id of the schedule row: kept for information only, it may not survive
    #: a regenerated schedule.
    airing_id: int | None = None
