"""Checks for text users type, and the safe way to echo it back to them."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from bot.domain.errors import InvalidInput

TITLE_MAX = 256
LABEL_MAX = 100
DESCRIPTION_MAX = 4096
URL_MAX = 2048
QUOTE_MAX = 50

ELLIPSIS = "…"
ZERO_WIDTH_JOINER = "\u200d"

# Characters that are invisible or reorder text: a title holding them can look like
# another title, or hide text. Newlines and tabs are allowed where a field says so.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def quote(value: str) -> str:
    """Return `value` as inline code that is safe and short to show in a reply."""
    shown = " ".join("".join(_quotable(char) for char in value.replace("`", "")).split())
    if not shown:
        return "(empty)"
    return f"`{truncate(shown, QUOTE_MAX)}`"


def truncate(text: str, limit: int) -> str:
    """Return `text` cut to at most `limit` characters, ending in "…" when it was cut."""
    if limit < 0:
        raise ValueError(f"limit must not be negative, got {limit}")
    if len(text) <= limit:
        return text
    if limit == 0:
        return ""
    return text[: limit - 1].rstrip() + ELLIPSIS


def clean_title(value: str) -> str:
    """Return a show title as typed, stripped, or refuse it."""
    title = value.strip()
    if not title:
        raise InvalidInput("A title cannot be empty. Type the show's name, like `Oshi no Ko`.")
    _check_length(title, TITLE_MAX, "Titles", "Type a shorter title, like `Oshi no Ko`.")
    _check_characters(title, "Titles", "Type the title as plain text, like `Oshi no Ko`.")
    return title


def clean_label(value: str | None) -> str | None:
    """Return a release label ("Season 2") stripped, None when left out, or refuse it."""
    if value is None:
        return None
    label = value.strip()
    example = "like `Season 2` or `Episode 5`"
    if not label:
        raise InvalidInput(f"A label cannot be empty. Type one {example}, or leave it out.")
    _check_length(label, LABEL_MAX, "Labels", f"Type a shorter label, {example}.")
    _check_characters(label, "Labels", f"Type the label as plain text, {example}.")
    return label


def clean_description(value: str | None) -> str | None:
    """Return a description stripped, with line breaks as "\\n", or refuse it."""
    if value is None:
        return None
    description = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    example = "like `The idol drama returns for its second season.`"
    if not description:
        raise InvalidInput(
            f"A description cannot be empty. Type a sentence or two, {example}, or leave it out."
        )
    _check_length(
        description, DESCRIPTION_MAX, "Descriptions", f"Type a shorter description, {example}."
    )
    _check_characters(
        description,
        "Descriptions",
        f"Type plain text (line breaks are fine), {example}.",
        allowed="\n\t",
    )
    return description


def clean_url(value: str | None, what: str = "image") -> str | None:
    """Return a web address (http or https) stripped, None when left out, or refuse it.

    `what` names the option in messages: "image" or "link".
    """
    if value is None:
        return None
    url = value.strip()
    example = "`https://example.com/cover.png`" if what == "image" else "`https://example.com/`"
    hint = f"Type a full web address starting with `https://`, like {example}."
    if not url:
        raise InvalidInput(f"The {what} address cannot be empty. {hint}")
    if len(url) > URL_MAX:
        raise InvalidInput(
            f"Web addresses can be at most {URL_MAX} characters; yours has {len(url)}. {hint}"
        )
    if any(char.isspace() or _is_refused(char) for char in url):
        raise InvalidInput(f"{quote(url)} has spaces or control characters in it. {hint}")
    if not _is_web_address(url):
        raise InvalidInput(f"{quote(url)} is not a web address. {hint}")
    return url


def web_address(url: str | None, limit: int = URL_MAX) -> str | None:
    """Return `url` if Discord can show it (http or https, a host, no spaces), else None.

    For addresses the bot did not read from a user (AniList's): a bad one is left out
    rather than refused, since Discord rejects a whole message over one bad URL.
    """
    if url is None or len(url) > limit:
        return None
    if any(char.isspace() or _is_refused(char) for char in url):
        return None
    return url if _is_web_address(url) else None


def _is_web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _check_length(text: str, limit: int, field: str, hint: str) -> None:
    if len(text) > limit:
        raise InvalidInput(
            f"{field} can be at most {limit} characters; yours has {len(text)}. {hint}"
        )


def _check_characters(text: str, field: str, hint: str, *, allowed: str = "") -> None:
    for index, char in enumerate(text):
        if char in allowed or not _is_refused(char):
            continue
        if char == ZERO_WIDTH_JOINER and _joins_emoji(text, index):
            continue
        name = f"U+{ord(char):04X}"
        raise InvalidInput(
            f"{field} cannot contain control or invisible characters (found {name}). {hint}"
        )


def _joins_emoji(text: str, index: int) -> bool:
    # Emoji such as 🏳️‍🌈 are joined by U+200D; allow it there and nowhere else.
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return (
        before != ""
        and after != ""
        and not _is_refused(before)
        and ord(before) > 0x7F
        and unicodedata.category(after) == "So"
    )


def _is_refused(char: str) -> bool:
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def _quotable(char: str) -> str:
    if not _is_refused(char):
        return char
    if char.isspace():
        return " "
    return "\ufffd"
