"""AniList: the client, its one limiter, and the sync of followed shows.

Nothing here writes the database: answers become `bot.domain.catalog` values that the
catalog service stores. The core never imports this package.
"""
