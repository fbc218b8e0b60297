"""A local AniList for tests and `make demo` (see `server.py` for how to drive it)."""

from tests.anilist_standin.data import (
    Catalogue,
    StandinAiring,
    StandinMedia,
    bulk_catalogue,
    sample_catalogue,
)
from tests.anilist_standin.server import AniListStandin, LoggedRequest

__all__ = [
    "AniListStandin",
    "Catalogue",
    "LoggedRequest",
    "StandinAiring",
    "StandinMedia",
    "bulk_catalogue",
    "sample_catalogue",
]
