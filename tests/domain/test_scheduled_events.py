"""The rules of mirrored scheduled events: which releases, what they show, what is owed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.models import Precision, Release, ReleaseStatus, ReleaseTime, Show
from bot.domain.scheduled_events import (
    CANCELLED_MARK,
    Attempt,
    Candidate,
    EventSpec,
    ListedEvent,
    MirrorRow,
    Operation,
    Want,
    adoptable,
    event_spec,
    is_highlight,
    mirrorable,
    mirrored_set,
    next_operation,
)

NOW = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)
SHOW = Show(id=1, guild_id=10, title="Frieren")


def release(
    label: str | None = "Season 2",
    *,
    at: datetime | None = NOW + timedelta(hours=1),
    precision: Precision = Precision.EXACT,
    status: ReleaseStatus = ReleaseStatus.SCHEDULED,
    show: Show = SHOW,
    episode: int | None = None,
    finale: bool = False,
) -> Release:
    return Release(
        id=1,
        show=show,
        label=label,
        time=ReleaseTime(at, precision, "UTC"),
        status=status,
        revision=1,
        episode=episode,
        finale=finale,
    )


@pytest.mark.parametrize(
    ("label", "show", "episode", "finale", "highlight"),
    [
        ("Season 2", SHOW, None, False, True),
        ("Movie", SHOW, None, False, True),
        (None, SHOW, None, False, True),
        ("Episode 1", SHOW, None, False, True),  # a premiere
        ("Episode 5", SHOW, None, False, False),  # the control: a regular episode
        ("Ep 7", SHOW, None, False, False),
        ("#3", SHOW, None, False, False),
        ("Episode 12 (finale)", SHOW, None, False, True),
        # Catalog releases know their premiere and finale from AniList.
        ("Episode 12", Show(2, None, "Dandadan"), 12, True, True),
        ("Episode 5", Show(2, None, "Dandadan"), 5, False, False),
        ("Episode 1", Show(2, None, "Dandadan"), 1, False, True),
    ],
)
def test_highlights(
    label: str | None, show: Show, episode: int | None, finale: bool, highlight: bool
) -> None:
    assert is_highlight(release(label, show=show, episode=episode, finale=finale)) is highlight


@pytest.mark.parametrize(
    ("kwargs", "mirrored"),
    [
        ({}, True),
        ({"label": "Episode 5"}, False),
        ({"precision": Precision.DAY}, False),
        ({"precision": Precision.MONTH}, False),
        ({"status": ReleaseStatus.CANCELLED}, False),
        ({"status": ReleaseStatus.DELAYED}, True),
        ({"at": NOW}, False),  # starting now: Discord's to start
        ({"at": None, "precision": Precision.TBA}, False),
    ],
)
def test_which_releases_may_have_an_event(kwargs: dict[str, object], mirrored: bool) -> None:
    assert mirrorable(release(**kwargs), NOW) is mirrored  # type: ignore[arg-type]


def test_what_an_event_shows() -> None:
    show = Show(1, 10, "Frieren", description="An elf mage.", link="https://example.org/f")
    spec = event_spec(release(show=show), timedelta(minutes=24))
    assert spec == EventSpec(
        name="Frieren — Season 2",
        description="An elf mage.\n\nhttps://example.org/f",
        location="https://example.org/f",
        starts_at=NOW + timedelta(hours=1),
        ends_at=NOW + timedelta(hours=1, minutes=24),
    )
    bare = event_spec(release(label=None), None)
    assert (bare.name, bare.description, bare.location) == ("Frieren", None, "Frieren")
    assert bare.ends_at - bare.starts_at == timedelta(minutes=30)


def test_an_event_carries_its_shows_cover_and_a_changed_cover_changes_it() -> None:
    cover = "https://s4.anilist.co/file/frieren.png"
    with_cover = event_spec(release(show=Show(1, 10, "Frieren", image_url=cover)), None)
    without = event_spec(release(), None)
    assert with_cover.image_url == cover and without.image_url is None
    # A cover is part of what the event shows: added or changed, the event is edited.
    assert with_cover.fingerprint != without.fingerprint
    other = event_spec(release(show=Show(1, 10, "Frieren", image_url=cover + "?v=2")), None)
    assert other.fingerprint != with_cover.fingerprint
    assert event_spec(release(show=Show(1, 10, "Frieren", image_url="")), None).image_url is None


def test_an_event_without_a_cover_keeps_the_fingerprint_it_had_before_covers() -> None:
    # Events mirrored before covers existed are not all edited once after the upgrade.
    spec = event_spec(release(), None)
    shown = [spec.name, spec.description, spec.location]
    moments = [int(spec.starts_at.timestamp()), int(spec.ends_at.timestamp())]
    before = hashlib.sha256(json.dumps([*shown, *moments], ensure_ascii=False).encode())
    assert spec.fingerprint == before.hexdigest()[:32]


def test_long_text_is_cut_to_discords_limits() -> None:
    link = "https://example.org/" + "x" * 200
    show = Show(1, 10, "長い" * 100, description="あ" * 5000, link=link)
    spec = event_spec(release("Season 2 " * 20, show=show), None)
    assert len(spec.name) == 100 and spec.name.endswith("…")
    assert len(spec.description or "") <= 1000 and (spec.description or "").endswith(link)
    assert len(spec.location) == 100  # the link is too long to be the location: the title
    assert spec.location.startswith("長い")


def row(**changes: object) -> MirrorRow:
    spec = event_spec(release(), None)
    fields: dict[str, object] = {
        "guild_id": 10,
        "release_id": 1,
        "want": Want.EVENT,
        "spec": spec,
    }
    fields.update(changes)
    return MirrorRow(**fields)  # type: ignore[arg-type]


SPEC = event_spec(release(), None)
ATTEMPT = Attempt(SPEC.name, SPEC.starts_at, SPEC.fingerprint)


@pytest.mark.parametrize(
    ("changes", "operation"),
    [
        ({}, Operation.CREATE),
        ({"attempt": ATTEMPT}, Operation.FIND),
        ({"event_id": 5, "synced": SPEC.fingerprint}, None),
        ({"event_id": 5, "synced": "older"}, Operation.PATCH),
        ({"event_id": 5, "synced": SPEC.fingerprint, "gone": True}, None),
        ({"gone": True}, None),
        ({"want": Want.CANCELLED, "event_id": 5, "synced": SPEC.fingerprint}, Operation.CANCEL),
        ({"want": Want.CANCELLED, "event_id": 5, "synced": CANCELLED_MARK}, None),
        ({"want": Want.CANCELLED}, None),
        ({"want": Want.DELETED, "event_id": 5, "synced": SPEC.fingerprint}, Operation.DELETE),
        ({"want": Want.DELETED, "attempt": ATTEMPT}, Operation.FIND),
        ({"want": Want.DELETED}, None),
        ({"want": Want.DONE, "event_id": 5}, None),
    ],
)
def test_what_is_owed_to_an_event(changes: dict[str, object], operation: Operation | None) -> None:
    assert next_operation(row(**changes)) is operation


def test_an_uncertain_create_adopts_only_the_bots_event_with_its_name_and_start() -> None:
    def listed(event_id: int, **changes: object) -> ListedEvent:
        fields: dict[str, object] = {
            "event_id": event_id,
            "name": SPEC.name,
            "starts_at": SPEC.starts_at,
            "creator_id": 99,
            "status": 1,
        }
        fields.update(changes)
        return ListedEvent(**fields)  # type: ignore[arg-type]

    others = [
        listed(1, creator_id=7),  # a moderator's event of the same name
        listed(2, name="Frieren — Season 3"),
        listed(3, starts_at=SPEC.starts_at + timedelta(minutes=1)),
        listed(4, status=4),  # canceled
        listed(5),  # already another row's
    ]
    assert adoptable(others, ATTEMPT, 99, taken={5}) is None
    assert adoptable([*others, listed(6)], ATTEMPT, 99, taken={5}) == listed(6)


candidates = st.lists(
    st.builds(
        Candidate,
        release_id=st.integers(1, 40),
        starts_at=st.integers(0, 20).map(lambda hours: NOW + timedelta(hours=hours)),
    ),
    unique_by=lambda c: c.release_id,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(candidates, st.integers(0, 12), st.sets(st.integers(1, 40)))
def test_the_mirrored_set_is_the_nearest_n(
    found: list[Candidate], limit: int, deleted: set[int]
) -> None:
    """A model: a highlight is mirrored when fewer than `limit` others are nearer (ties by
    id); one a moderator deleted still takes its slot, so the events made are exactly the
    nearest `limit` minus the deleted ones."""
    chosen = mirrored_set(found, limit)

    def nearer(a: Candidate, b: Candidate) -> bool:
        return (a.starts_at, a.release_id) < (b.starts_at, b.release_id)

    model = {c.release_id for c in found if sum(nearer(o, c) for o in found) < limit}
    assert set(chosen) == model
    assert len(chosen) == min(limit, len(found))
    made = [release_id for release_id in chosen if release_id not in deleted]
    assert set(made) == model - deleted
