import pytest

from bot.domain.errors import InvalidInput
from bot.domain.text import (
    clean_description,
    clean_label,
    clean_title,
    clean_url,
    quote,
    truncate,
    web_address,
)

LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("abc", "`abc`"),
        ("  abc  ", "`abc`"),
        ("a`b", "`ab`"),
        ("```", "(empty)"),
        ("", "(empty)"),
        ("a\nb\r\n\tc", "`a b c`"),
        ("a\x00b", "`a\ufffdb`"),
        ("a\u202eb", "`a\ufffdb`"),
        ("@everyone", "`@everyone`"),
        ("x" * 50, "`" + "x" * 50 + "`"),
        ("x" * 51, "`" + "x" * 49 + "…`"),
        (LONG, "`" + "x" * 49 + "…`"),
    ],
)
def test_quote_is_safe_and_short(value: str, quoted: str) -> None:
    assert quote(value) == quoted


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        ("hello", 10, "hello"),
        ("hello", 5, "hello"),
        ("hello world", 5, "hell…"),
        ("ab cd", 4, "ab…"),
        ("hello", 1, "…"),
        ("hello", 0, ""),
        ("", 0, ""),
    ],
)
def test_truncate_cuts_to_fit(text: str, limit: int, cut: str) -> None:
    assert truncate(text, limit) == cut


@pytest.mark.parametrize("limit", [1, 2, 100, 256, 4096, 9_999, 10_000])
def test_truncate_never_exceeds_the_limit(limit: int) -> None:
    assert len(truncate(LONG, limit)) == limit


def test_truncate_refuses_a_negative_limit() -> None:
    with pytest.raises(ValueError, match="negative"):
        truncate("x", -1)


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("Oshi no Ko", "Oshi no Ko"),
        ("  Oshi no Ko  ", "Oshi no Ko"),
        ("@everyone", "@everyone"),
        ("【推しの子】", "【推しの子】"),
        ("Frieren: Beyond Journey's End", "Frieren: Beyond Journey's End"),
        ("x" * 256, "x" * 256),
        ("🏳️\u200d🌈 Pride", "🏳️\u200d🌈 Pride"),
    ],
)
def test_clean_title_keeps_plain_text(value: str, title: str) -> None:
    assert clean_title(value) == title


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "A title cannot be empty"),
        ("   ", "A title cannot be empty"),
        ("x" * 257, "Titles can be at most 256 characters; yours has 257."),
        ("x" * 300, "Titles can be at most 256 characters; yours has 300."),
        (LONG, "Titles can be at most 256 characters; yours has 10000."),
        ("Oshi\nno Ko", "found U+000A"),
        ("Oshi\tno Ko", "found U+0009"),
        ("Oshi\x00no Ko", "found U+0000"),
        ("Oshi\u202eno Ko", "found U+202E"),
        ("Oshi\u200bno Ko", "found U+200B"),
        ("Oshi\u200dno Ko", "found U+200D"),
        ("Oshi\u2028no Ko", "found U+2028"),
    ],
)
def test_clean_title_refuses_with_the_limit(value: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_title(value)

    assert says in raised.value.message
    assert "like `Oshi no Ko`" in raised.value.message


@pytest.mark.parametrize(
    ("value", "label"),
    [(None, None), ("Season 2", "Season 2"), (" Episode 5 ", "Episode 5"), ("x" * 100, "x" * 100)],
)
def test_clean_label_keeps_plain_text(value: str | None, label: str | None) -> None:
    assert clean_label(value) == label


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "A label cannot be empty"),
        (" ", "A label cannot be empty"),
        ("x" * 101, "Labels can be at most 100 characters; yours has 101."),
        (LONG, "yours has 10000"),
        ("Season\t2", "found U+0009"),
        ("Season\x1b2", "found U+001B"),
    ],
)
def test_clean_label_refuses_with_guidance(value: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_label(value)

    assert says in raised.value.message
    assert "like `Season 2`" in raised.value.message


@pytest.mark.parametrize(
    ("value", "description"),
    [
        (None, None),
        ("Line one\nLine two\twith a tab", "Line one\nLine two\twith a tab"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("  spaced  \n", "spaced"),
        ("@everyone watch this", "@everyone watch this"),
        ("x" * 4096, "x" * 4096),
    ],
)
def test_clean_description_allows_line_breaks(value: str | None, description: str | None) -> None:
    assert clean_description(value) == description


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "A description cannot be empty"),
        ("\n\n", "A description cannot be empty"),
        ("x" * 4097, "Descriptions can be at most 4096 characters; yours has 4097."),
        (LONG, "yours has 10000"),
        ("bell\x07", "found U+0007"),
        ("hidden\u202eltr", "found U+202E"),
    ],
)
def test_clean_description_refuses_with_guidance(value: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_description(value)

    assert says in raised.value.message
    assert "like `" in raised.value.message


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (None, None),
        ("https://example.com/cover.png", "https://example.com/cover.png"),
        ("http://example.com", "http://example.com"),
        ("  HTTPS://example.com/a?b=c#d  ", "HTTPS://example.com/a?b=c#d"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("https://example.com/" + "a" * 2028, "https://example.com/" + "a" * 2028),
    ],
)
def test_clean_url_keeps_web_addresses(value: str | None, url: str | None) -> None:
    assert clean_url(value) == url


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("", "The image address cannot be empty"),
        ("ftp://example.com/a.png", "`ftp://example.com/a.png` is not a web address"),
        ("javascript:alert(1)", "is not a web address"),
        ("https://", "is not a web address"),
        ("example.com/a.png", "is not a web address"),
        ("https://example.com:99999/", "is not a web address"),
        ("https://exa mple.com", "has spaces or control characters"),
        ("https://example.com/\x00", "has spaces or control characters"),
        ("https://example.com/" + "a" * 2029, "at most 2048 characters; yours has 2049"),
        (LONG, "yours has 10000"),
    ],
)
def test_clean_url_refuses_with_guidance(value: str, says: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        clean_url(value)

    assert says in raised.value.message
    assert "like `https://example.com/cover.png`" in raised.value.message
    assert len(raised.value.message) < 300


def test_clean_url_names_the_option() -> None:
    with pytest.raises(InvalidInput, match=r"^The link address cannot be empty\."):
        clean_url(" ", what="link")


@pytest.mark.parametrize(
    ("value", "limit", "kept"),
    [
        ("https://anilist.co/anime/166531", 2048, True),
        ("http://example.com/a.png", 2048, True),
        ("HTTPS://EXAMPLE.COM/", 2048, True),
        ("https://example.com/" + "a" * 492, 512, True),
        ("https://example.com/" + "a" * 493, 512, False),
        ("https://example.com/" + "a" * 2029, 2048, False),
        (None, 2048, False),
        ("", 2048, False),
        ("ftp://example.com/a.png", 2048, False),
        ("javascript:alert(1)", 2048, False),
        ("data:image/png;base64,AAAA", 2048, False),
        ("//example.com/a.png", 2048, False),
        ("https://", 2048, False),
        ("https://exa mple.com", 2048, False),
        ("https://example.com/\nx", 2048, False),
        ("https://example.com/\u202ex", 2048, False),
        ("https://[::1", 2048, False),
        ("https://example.com:99999/", 2048, False),
    ],
)
def test_web_address_leaves_out_what_discord_would_refuse(
    value: str | None, limit: int, kept: bool
) -> None:
    assert web_address(value, limit) == (value if kept else None)
