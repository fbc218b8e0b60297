"""Catalog releases in the one rule: a guild's delay, aired-before-import, AniList's cancel;
and the pure helpers that turn AniList's dates and a guild's view into release times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.catalog import FuzzyDate, TitleLanguage, Titles
from bot.domain.catalog_view import seen_release, start_time
from bot.domain.models import (
    DeliveryKind,
    Precision,
    Release,
    ReleaseStatus,
    ReleaseTime,
    Show,
)
from bot.domain.owed import Owed, ReleaseState, Sent, Target, owed

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
CATALOG_SHOW = Show(1, None, "[Oshi no Ko] 2nd Season")
GUILD = 1001
CHANNEL = 111
AIRS = NOW + 2 * D


def catalog_release(
    at: datetime | None = AIRS, status: ReleaseStatus = ReleaseStatus.SCHEDULED, revision: int = 1
) -> Release:
    time = (
        ReleaseTime(at, Precision.EXACT, "Asia/Tokyo")
        if at is not None
        else ReleaseTime(None, Precision.TBA, "Asia/Tokyo")
    )
    return Release(7, CATALOG_SHOW, "Episode 5", time, status, revision, episode=5)


def state(
    release: Release, *, delay: timedelta = timedelta(0), revised_at: datetime = NOW - 30 * D
) -> ReleaseState:
    return ReleaseState(
        release=release,
        targets=(Target(CHANNEL),),
        offsets=(D, H),
        revised_at=revised_at,
        delay=delay,
        guild_id=GUILD,
    )


def due(messages: list[Owed]) -> dict[tuple[DeliveryKind, int], datetime]:
    return {(m.key.kind, m.key.offset_seconds): m.due_at for m in messages}


def test_a_guilds_delay_moves_its_reminders_and_announcement_later() -> None:
    plain = due(owed(state(catalog_release()), [], NOW))
    delayed = due(owed(state(catalog_release(), delay=H), [], NOW))
    assert plain[(DeliveryKind.ANNOUNCEMENT, 0)] == AIRS
    assert delayed == {key: at + H for key, at in plain.items()}


def test_a_delay_changed_after_a_reminder_went_out_repeats_nothing_and_tells_nobody() -> None:
    release = catalog_release()
    told = [Sent(CHANNEL, DeliveryKind.REMINDER, 86_400, release.time, NOW - H)]
    after = due(owed(state(release, delay=2 * H), told, NOW))
    assert (DeliveryKind.REMINDER, 86_400) not in after
    assert (DeliveryKind.NOTICE, 0) not in after
    # The control: the announcement is still owed, two hours after the broadcast.
    assert after[(DeliveryKind.ANNOUNCEMENT, 0)] == AIRS + 2 * H


def test_an_episode_aired_before_it_was_imported_owes_nothing_even_with_a_delay() -> None:
    aired = catalog_release(at=NOW - 30 * timedelta(minutes=1), status=ReleaseStatus.RELEASED)
    assert owed(state(aired, delay=2 * H, revised_at=NOW), [], NOW) == []
    # The control: imported before it aired, its delayed announcement is still ahead.
    ahead = due(owed(state(aired, delay=2 * H, revised_at=NOW - D), [], NOW))
    assert ahead[(DeliveryKind.ANNOUNCEMENT, 0)] == NOW + 90 * timedelta(minutes=1)


def test_a_catalog_release_cancelled_by_anilist_owes_one_notice_to_those_told() -> None:
    before = catalog_release()
    told = [Sent(CHANNEL, DeliveryKind.REMINDER, 86_400, before.time, NOW - H)]
    cancelled = catalog_release(at=None, status=ReleaseStatus.CANCELLED, revision=2)
    [notice] = owed(state(cancelled, revised_at=NOW), told, NOW)
    assert notice.key.kind is DeliveryKind.NOTICE and notice.old_time == before.time
    assert owed(state(cancelled, revised_at=NOW), [], NOW) == []
    told_of_it = [*told, Sent(CHANNEL, DeliveryKind.NOTICE, 0, cancelled.time, NOW)]
    assert owed(state(cancelled, revised_at=NOW), told_of_it, NOW) == []


@pytest.mark.parametrize(
    ("date", "precision", "local"),
    [
        (FuzzyDate(2024, 7, 3), Precision.DAY, datetime(2024, 7, 2, 15, 0, tzinfo=UTC)),
        (FuzzyDate(2024, 7), Precision.MONTH, datetime(2024, 6, 30, 15, 0, tzinfo=UTC)),
        (FuzzyDate(2024), Precision.YEAR, datetime(2023, 12, 31, 15, 0, tzinfo=UTC)),
        (FuzzyDate(2024, 2, 30), Precision.MONTH, datetime(2024, 1, 31, 15, 0, tzinfo=UTC)),
        (FuzzyDate(None, 7, 3), Precision.TBA, None),
        (FuzzyDate(), Precision.TBA, None),
    ],
)
def test_a_start_date_gives_a_release_at_its_real_precision(
    date: FuzzyDate, precision: Precision, local: datetime | None
) -> None:
    time = start_time(date)
    assert (time.precision, time.at) == (precision, local)


def test_a_guild_sees_a_catalog_release_in_its_language_at_its_time() -> None:
    titles = Titles("[Oshi no Ko] 2nd Season", "Oshi no Ko Season 2", None)
    seen = seen_release(catalog_release(), titles, TitleLanguage.NATIVE, H)
    assert seen.show.title == "[Oshi no Ko] 2nd Season"  # no native title: romaji
    assert seen.time.at == AIRS + H
    english = seen_release(catalog_release(), titles, TitleLanguage.ENGLISH, timedelta(0))
    assert english.show.title == "Oshi no Ko Season 2" and english.time.at == AIRS
    own = Release(
        8, Show(2, GUILD, "Ours"), None, catalog_release().time, ReleaseStatus.SCHEDULED, 1
    )
    assert seen_release(own, titles, TitleLanguage.ENGLISH, H) == own
