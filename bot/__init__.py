"""Airdate: a Discord bot that tells anime communities when things come out."""

from __future__ import annotations

#: The version AniList sees in Airdate's User-Agent; keep it equal to pyproject.toml's.
__version__ = "0.1.0"

#: Where the project lives: named in the User-Agent and Referer of every AniList request,
#: so AniList knows whose requests these are and how to reach their authors.
PROJECT_URL = "https://github.com/airdate-bot/airdate"
