"""The rule for what a typed `release` or `show` value names: a title first, then an id."""

from __future__ import annotations

import pytest

from bot.domain.errors import NotFound
from bot.domain.references import choose, picked_id, picked_value, typed_id

HINT = "Pick one from the list."


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("86", 86),
        (" 86 ", 86),
        ("0086", 86),
        ("1", 1),
        ("9" * 18, int("9" * 18)),
        ("9" * 19, None),  # beyond SQLite's integers: no id, and no overflow
        ("", None),
        ("   ", None),
        ("²", None),  # str.isdigit() says yes; int() raises
        ("1²", None),
        ("٣", None),  # Arabic-Indic three: int() would read 3
        ("٨٦", None),
        ("۸۶", None),  # Extended Arabic-Indic (Persian) 86
        ("\uff18\uff16", None),  # fullwidth 86
        ("-5", None),
        ("+5", None),
        ("5.0", None),
        ("1_000", None),
        ("86 Season 2", None),
        ("Oshi no Ko", None),
    ],
)
def test_only_ascii_digits_spell_an_id(typed: str, expected: int | None) -> None:
    assert typed_id(typed) == expected


@pytest.mark.parametrize(
    ("typed", "titled", "by_id", "expected"),
    [
        # A title the guild sees wins, even all digits and even when the number is an id.
        ("86", ["show 86"], "release #86", "show 86"),
        ("86", ["show 86"], None, "show 86"),
        ("Frieren", ["Frieren"], None, "Frieren"),
        # Only when no title matches is the number taken as an id.
        ("86", [], "release #86", "release #86"),
        ("0086", [], "release #86", "release #86"),
    ],
)
def test_a_title_wins_over_an_id(
    typed: str, titled: list[str], by_id: str | None, expected: str
) -> None:
    assert choose(typed, titled, by_id, noun="release", hint=HINT) == expected


@pytest.mark.parametrize(
    ("typed", "titled", "by_id", "says"),
    [
        ("Naruto", [], None, "No release here matches `Naruto`. Pick one from the list."),
        ("86", [], None, "No release here matches `86`. Pick one from the list."),
        ("", [], None, "No release here matches (empty). Pick one from the list."),
        # Several releases under one title: the user meant a title, so the id settles nothing.
        ("86", ["86 — S1", "86 — S2"], "release #86", "2 releases match `86`. Pick one"),
    ],
)
def test_no_match_or_several_say_pick_from_the_list(
    typed: str, titled: list[str], by_id: str | None, says: str
) -> None:
    with pytest.raises(NotFound) as refused:
        choose(typed, titled, by_id, noun="release", hint=HINT)
    assert refused.value.message.startswith(says)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (picked_value(86), 86),
        (" id:86 ", 86),
        ("id:", None),
        ("id:x", None),
        ("id:²", None),
        ("id:" + "9" * 19, None),
        ("86", None),  # typed digits are not a pick: a title may come first
        ("ID:86", None),
        ("Frieren", None),
    ],
)
def test_only_what_autocomplete_answered_is_a_pick(typed: str, expected: int | None) -> None:
    assert picked_id(typed) == expected
