"""What goes wrong when Airdate asks AniList: unavailable (retry later) or not found."""

from __future__ import annotations


class AniListError(Exception):
    """AniList did not give Airdate what it asked for."""


class AniListUnavailable(AniListError):
    """AniList is slow, down, limiting, disabled, or answered something unusable.

    `retryable` is False when asking again cannot help (AniList refused the query itself).
    """

    def __init__(self, reason: str, *, retryable: bool = True, pause_seconds: float = 0.0):
        super().__init__(f"AniList is not answering: {reason}")
        self.reason = reason
        self.retryable = retryable
        #: After a 429: how long the limiter now holds every request.
        self.pause_seconds = pause_seconds


class AniListNotFound(AniListError):
    """AniList answered 404: no anime has that id."""
