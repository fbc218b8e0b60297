"""What `/anilist follow` answers: each show's next episode, or why it was not followed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import discord

from bot.domain import dates
from bot.domain.catalog import CatalogMedia, TitleLanguage
from bot.domain.catalog_follows import FollowOutcome, FollowResult
from bot.domain.models import Precision, ReleaseTime
from bot.domain.text import quote, truncate
from bot.ui.anilist_choices import media_facts
from bot.ui.catalog_messages import here_time, show_title
from bot.ui.messages import CONTENT_LIMIT, bold_title, safe_inline

#: Top search matches a reply lists for the moderator to pick from.
MAX_MATCHES = 10
#: How much of a show's title one line of a reply keeps.
REPLY_TITLE_LIMIT = 100

#: Why a show was not followed, after what was typed for it.
_WHY = {
    FollowResult.NOT_FOUND: "not found on AniList",
    FollowResult.ADULT: "adult (18+) content, which Airdate never follows",
    FollowResult.MANGA: "a manga: Airdate follows anime only",
    FollowResult.UNAVAILABLE: "AniList is not answering: try again in a minute",
}
#: The summary's words for each failure, after its count.
_SUMMED = {
    FollowResult.NOT_FOUND: "not found",
    FollowResult.ADULT: "adult (18+), not followed",
    FollowResult.MANGA: "manga (Airdate follows anime only)",
    FollowResult.UNAVAILABLE: "not answered by AniList (try them again shortly)",
}


def follow_reply(
    outcomes: Sequence[FollowOutcome],
    *,
    language: TitleLanguage = TitleLanguage.ROMAJI,
    channel_id: int | None = None,
    delay: timedelta = timedelta(0),
) -> str:
    """Say, show by show, what was followed with its next episode, and what was not and why.

    Over Discord's 2,000 characters (a list of 200 ids), say it as counts instead, naming
    what failed as far as room allows. `delay` is the guild's: times are as it is told.
    """
    if not outcomes:
        return "Nothing to follow: type a title, an AniList id, or an AniList or MAL link."
    detailed = _detailed(outcomes, language, channel_id, delay)
    if len(detailed) <= CONTENT_LIMIT:
        return detailed
    return _summary(outcomes, channel_id)


def next_release(outcome: FollowOutcome, delay: timedelta = timedelta(0)) -> str:
    """'Episode 3 airs <t:…:F> (<t:…:R>)', 'Summer 2024', or 'no date on AniList yet'.

    An exact time is the one the guild is told: AniList's plus the guild's delay.
    """
    time = outcome.next_time
    if time is None or time.at is None:
        return "no date on AniList yet"
    shown = here_time(time, delay) if time.precision is Precision.EXACT else time
    when = _when(shown)
    if outcome.next_episode is None:
        return when
    verb = "premieres" if outcome.next_episode == 1 else "airs"
    return f"Episode {outcome.next_episode} {verb} {when}"


def matches_reply(query: str, matches: Sequence[CatalogMedia], language: TitleLanguage) -> str:
    """Typed text that no title equals: nothing followed, AniList's top matches to pick from."""
    if not matches:
        return (
            f"AniList has no anime matching {_typed(query)}. Check the spelling, or paste the "
            "show's AniList or MyAnimeList link."
        )
    lines = [
        f"No show is called exactly {_typed(query)}, so nothing was followed. Pick one from "
        "the list as you type, or run `/anilist follow` again with its id:"
    ]
    for number, media in enumerate(matches[:MAX_MATCHES], start=1):
        title = bold_title(show_title(media, language), 60)
        facts = safe_inline(" · ".join(media_facts(media)))
        lines.append(f"{number}. {title}{f' · {facts}' if facts else ''} · `{media.anilist_id}`")
    return _fit(lines)


def channel_required_reply() -> str:
    """`/anilist follow` without `channel` in a server with no announcement channel."""
    return (
        "This server has no announcement channel, so Airdate would not know where to post "
        "these shows. Run `/anilist follow` again with `channel`, or set one first with "
        "`/settings channel`. Nothing was followed."
    )


def unavailable_reply() -> str:
    """AniList did not answer within the command's 10 seconds."""
    return "AniList is not answering right now, so nothing was followed. Try again in a minute."


def _detailed(
    outcomes: Sequence[FollowOutcome],
    language: TitleLanguage,
    channel_id: int | None,
    delay: timedelta,
) -> str:
    followed = [o for o in outcomes if o.result is FollowResult.FOLLOWED]
    already = [o for o in outcomes if o.result is FollowResult.ALREADY_FOLLOWED]
    failed = [o for o in outcomes if o.result.failed]
    lines: list[str] = []
    if followed:
        where = f" in <#{channel_id}>" if channel_id is not None else ""
        lines.append(f"Followed {_shows(len(followed))}{where}:")
        lines += [f"- {_title(o, language)}: {next_release(o, delay)}" for o in followed]
    if already:
        lines.append(f"Already followed: {', '.join(_title(o, language) for o in already)}.")
    if failed:
        lines.append("Not followed:" if followed or already else "Nothing was followed:")
        lines += [f"- {_typed(o.query)}: {_WHY[o.result]}" for o in failed]
    return "\n".join(lines)


def _summary(outcomes: Sequence[FollowOutcome], channel_id: int | None) -> str:
    """'Followed 183 shows in #c.', '12 already followed.', '5 not found: `1234`, …'."""
    counts = {result: 0 for result in FollowResult}
    for outcome in outcomes:
        counts[outcome.result] += 1
    head = []
    if counts[FollowResult.FOLLOWED]:
        where = f" in <#{channel_id}>" if channel_id is not None else ""
        head.append(f"Followed {_shows(counts[FollowResult.FOLLOWED])}{where}.")
    if counts[FollowResult.ALREADY_FOLLOWED]:
        head.append(f"{counts[FollowResult.ALREADY_FOLLOWED]} already followed.")
    failures = [result for result in _SUMMED if counts[result]]
    starts = [f"{counts[result]} {_SUMMED[result]}: " for result in failures]
    fixed = sum(len(line) + 1 for line in head) + sum(len(start) + 1 for start in starts)
    room = CONTENT_LIMIT - fixed
    lines = list(head)
    for index, (result, start) in enumerate(zip(failures, starts, strict=True)):
        # Room a short list leaves goes to the lists after it.
        queries = [_typed(o.query) for o in outcomes if o.result is result]
        listed = _listed(queries, room // (len(failures) - index))
        room -= len(listed)
        lines.append(start + listed)
    return truncate("\n".join(lines), CONTENT_LIMIT)


def _listed(items: list[str], room: int) -> str:
    """'a, b, c', or as many as fit in `room` characters followed by '… and 7 more'."""
    shown: list[str] = []
    for index, item in enumerate(items):
        rest = len(items) - index - 1
        tail = f", … and {rest} more" if rest else ""
        if len(", ".join([*shown, item]) + tail) > room:
            break
        shown.append(item)
    hidden = len(items) - len(shown)
    if not hidden:
        return ", ".join(shown)
    return ", ".join([*shown, f"… and {hidden} more" if shown else "…"])


def _fit(lines: list[str]) -> str:
    """Join lines, dropping the last ones (and saying so) until Discord takes the text."""
    kept = list(lines)
    dropped = 0
    while len("\n".join(kept)) > CONTENT_LIMIT and len(kept) > 1:
        kept.pop()
        dropped += 1
        note = f"… and {dropped} more"
        if len("\n".join([*kept, note])) <= CONTENT_LIMIT:
            return "\n".join([*kept, note])
    return truncate("\n".join(kept), CONTENT_LIMIT)


def _title(outcome: FollowOutcome, language: TitleLanguage) -> str:
    if outcome.media is None:
        return _typed(outcome.query)
    return bold_title(show_title(outcome.media, language), REPLY_TITLE_LIMIT)


def _typed(query: str) -> str:
    """What the moderator typed, as inert inline code: a mention in it pings nobody."""
    return discord.utils.escape_mentions(quote(query))


def _when(time: ReleaseTime) -> str:
    relative = dates.display_relative(time)
    absolute = dates.display_when(time)
    return absolute if relative is None else f"{absolute} ({relative})"


def _shows(count: int) -> str:
    return f"{count} show{'s' if count != 1 else ''}"
