"""Errors a user can cause and fix: each carries the sentence shown to them."""

from __future__ import annotations


class UserError(Exception):
    """A problem with what the user asked for; the message says what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(UserError):
    """An option value that cannot be used as typed."""


class NotFound(UserError):
    """Something the user named does not exist in what their guild can see."""


class NotAllowed(UserError):
    """The user lacks the permission the command needs."""


class ReadOnly(UserError):
    """Something the guild sees but may not change (a show of the shared AniList catalog)."""


class AdultContent(UserError):
    """AniList marks the show adult (18+): Airdate never follows it."""
