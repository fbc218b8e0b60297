"""The parts of AniList's schema the stand-in knows, and the checks that refuse the rest."""

from __future__ import annotations

from typing import Any

from tests.anilist_standin.graphql import Enum, Field, GraphQLError

MAX_PER_PAGE = 50
MAX_CONNECTION_PER_PAGE = 25
MAX_PAGE_DEPTH = 5000

JSON = dict[str, Any]

MEDIA_TYPES = {"ANIME", "MANGA"}
MEDIA_SORTS = {
    "ID",
    "ID_DESC",
    "SEARCH_MATCH",
    "POPULARITY_DESC",
    "START_DATE",
    "UPDATED_AT_DESC",
}
AIRING_SORTS = {
    "ID",
    "ID_DESC",
    "MEDIA_ID",
    "MEDIA_ID_DESC",
    "TIME",
    "TIME_DESC",
    "EPISODE",
    "EPISODE_DESC",
}

# The fields of each object type and the arguments of each field, as AniList names them.
PAGE_INFO = {
    "total": None,
    "perPage": None,
    "currentPage": None,
    "lastPage": None,
    "hasNextPage": None,
}
AIRING_FIELDS = {
    "id": None,
    "airingAt": None,
    "timeUntilAiring": None,
    "episode": None,
    "mediaId": None,
}
MEDIA_ARGS = {
    "id",
    "idMal",
    "search",
    "type",
    "format",
    "status",
    "season",
    "seasonYear",
    "isAdult",
    "id_in",
    "id_not_in",
    "idMal_in",
    "status_in",
    "status_not_in",
    "format_in",
    "startDate_greater",
    "startDate_lesser",
    "sort",
}
AIRING_ARGS = {
    "id",
    "mediaId",
    "episode",
    "airingAt",
    "notYetAired",
    "id_in",
    "mediaId_in",
    "mediaId_not_in",
    "episode_in",
    "episode_greater",
    "episode_lesser",
    "airingAt_greater",
    "airingAt_lesser",
    "sort",
}
MEDIA_SCALARS = {
    "id",
    "idMal",
    "siteUrl",
    "type",
    "format",
    "status",
    "episodes",
    "duration",
    "season",
    "seasonYear",
    "isAdult",
    "synonyms",
    "description",
    "genres",
    "countryOfOrigin",
    "bannerImage",
    "updatedAt",
}
MEDIA_OBJECTS = {
    "title": {"romaji", "english", "native", "userPreferred"},
    "coverImage": {"extraLarge", "large", "medium", "color"},
    "startDate": {"year", "month", "day"},
    "endDate": {"year", "month", "day"},
    "externalLinks": {
        "id",
        "url",
        "site",
        "siteId",
        "type",
        "language",
        "color",
        "icon",
        "notes",
        "isDisabled",
    },
}
FIELD_ARGS = {
    "status": {"version"},
    "description": {"asHtml"},
    "airingSchedule": {"notYetAired", "page", "perPage"},
    "title": set(),
    "nextAiringEpisode": set(),
}


def render_page_info(field: Field, page: int, per_page: int, total: int, has_next: bool) -> JSON:
    values = {
        "total": total,
        "perPage": per_page,
        "currentPage": page,
        "lastPage": max(1, -(-total // per_page)),
        "hasNextPage": has_next,
    }
    out: JSON = {}
    for item in object_selections(field):
        if item.name not in PAGE_INFO:
            raise GraphQLError(
                f'Cannot query field "{item.name}" on type "PageInfo".', item.line, item.column
            )
        scalar(item)
        out[item.name] = values[item.name]
    return out


# ----------------------------------------------------------------- checks
def check_arguments(field: Field, allowed: set[str]) -> None:
    for name in field.argument_order:
        if name not in allowed:
            raise GraphQLError(
                f'Unknown argument "{name}" on field "{field.name}".', field.line, field.column
            )


def object_selections(field: Field) -> list[Field]:
    if field.selections is None:
        raise GraphQLError(
            f'Field "{field.name}" of an object type must have a selection of subfields.',
            field.line,
            field.column,
        )
    return field.selections


def scalar(field: Field) -> None:
    if field.selections is not None:
        raise GraphQLError(
            f'Field "{field.name}" must not have a selection since it is a scalar.',
            field.line,
            field.column,
        )


def int_argument(value: Any, where: Field, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(
            f'Argument "{name}" has an invalid value: expected Int.', where.line, where.column
        )
    return value


def int_list(value: Any, where: Field, name: str) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [n for n in (int_argument(v, where, name) for v in items) if n is not None]


def enum(value: Any, allowed: set[str], where: Field, name: str) -> str | None:
    if value is None:
        return None
    text = value.value if isinstance(value, Enum) else value
    if not isinstance(text, str) or text not in allowed:
        raise GraphQLError(
            f'Argument "{name}" has an invalid value {text!r}.', where.line, where.column
        )
    return text


def sorts(value: Any, allowed: set[str], where: Field) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [s for s in (enum(v, allowed, where, "sort") for v in items) if s is not None]
