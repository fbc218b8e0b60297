"""AniList's schema, as far as Airdate uses it, and the answers it gives (reference §5-6, §12).

Only fields and arguments that exist on AniList are accepted; anything else is refused
with AniList's 400 shape, so a query that drifts from AniList fails here first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.anilist_standin.data import Catalogue, StandinAiring, StandinMedia
from tests.anilist_standin.graphql import Enum, Field, GraphQLError, Operation

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

# Field name -> its arguments, for each object type; a value of None means a scalar.
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


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    payload: JSON


def execute(operation: Operation, catalogue: Catalogue, now: datetime) -> Answer:
    """Answer one read operation as AniList would."""
    if len(operation.root) != 1:
        raise GraphQLError("The stand-in answers one root field per request.")
    root = operation.root[0]
    if root.name == "Page":
        return _page(root, catalogue, now)
    if root.name == "Media":
        return _media_root(root, catalogue, now)
    raise GraphQLError(f'Cannot query field "{root.name}" on type "Query".', root.line, root.column)


# ----------------------------------------------------------------- Page
def _page(root: Field, catalogue: Catalogue, now: datetime) -> Answer:
    _check_arguments(root, {"page", "perPage"})
    page = _int(root.arguments.get("page"), root, "page") or 1
    per_page = min(
        _int(root.arguments.get("perPage"), root, "perPage") or MAX_PER_PAGE, MAX_PER_PAGE
    )
    if page < 1 or per_page < 1:
        raise GraphQLError("page and perPage must be positive.", root.line, root.column)
    if page * per_page > MAX_PAGE_DEPTH:
        return Answer(
            400,
            {
                "errors": [
                    {
                        "message": (
                            "Page depth exceeds maximum allowed for API requests (5000 entries)"
                        ),
                        "status": 400,
                        "locations": [{"line": root.line, "column": root.column}],
                    }
                ],
                "data": {"Page": None},
            },
        )
    selections = _object_selections(root)
    lists = [f for f in selections if f.name != "pageInfo"]
    if len(lists) != 1:
        raise GraphQLError(
            "Only one of media, airingSchedules may be used in a single Page query "
            "(the stand-in knows no other).",
            root.line,
            root.column,
        )
    chosen = lists[0]
    rows: list[Any]
    render: Callable[[Any, list[Field]], JSON]
    if chosen.name == "media":
        _check_arguments(chosen, MEDIA_ARGS)
        rows = _find_media(chosen.arguments, catalogue, chosen)
        render = lambda media, fields: _render_media(media, fields, catalogue, now)  # noqa: E731
    elif chosen.name == "airingSchedules":
        _check_arguments(chosen, AIRING_ARGS)
        rows = _find_airings(chosen.arguments, catalogue, now, chosen)
        render = lambda row, fields: _render_airing(row, fields, now)  # noqa: E731
    else:
        raise GraphQLError(
            f'Cannot query field "{chosen.name}" on type "Page".', chosen.line, chosen.column
        )
    start = (page - 1) * per_page
    shown = rows[start : start + per_page]
    has_next = len(rows) > start + per_page
    result: JSON = {}
    for field in selections:
        if field.name == "pageInfo":
            result["pageInfo"] = _render_page_info(field, page, per_page, len(rows), has_next)
        else:
            result[field.name] = [render(row, _object_selections(field)) for row in shown]
    return Answer(200, {"data": {"Page": result}})


def _render_page_info(field: Field, page: int, per_page: int, total: int, has_next: bool) -> JSON:
    values = {
        "total": total,
        "perPage": per_page,
        "currentPage": page,
        "lastPage": max(1, -(-total // per_page)),
        "hasNextPage": has_next,
    }
    out: JSON = {}
    for item in _object_selections(field):
        if item.name not in PAGE_INFO:
            raise GraphQLError(
                f'Cannot query field "{item.name}" on type "PageInfo".', item.line, item.column
            )
        _scalar(item)
        out[item.name] = values[item.name]
    return out


# ----------------------------------------------------------------- Media
def _media_root(root: Field, catalogue: Catalogue, now: datetime) -> Answer:
    _check_arguments(root, MEDIA_ARGS)
    found = _find_media(root.arguments, catalogue, root)
    if not found:
        return Answer(
            404,
            {
                "errors": [
                    {
                        "message": "Not Found.",
                        "status": 404,
                        "locations": [{"line": root.line, "column": root.column}],
                    }
                ],
                "data": {"Media": None},
            },
        )
    return Answer(
        200, {"data": {"Media": _render_media(found[0], _object_selections(root), catalogue, now)}}
    )


def _find_media(args: dict[str, Any], catalogue: Catalogue, where: Field) -> list[StandinMedia]:
    media = list(catalogue.media.values())
    kind = _enum(args.get("type"), MEDIA_TYPES, where, "type")
    if kind is not None:
        media = [m for m in media if m.type == kind]
    if args.get("id") is not None:
        media = [m for m in media if m.id == args["id"]]
    if args.get("idMal") is not None:
        media = [m for m in media if m.id_mal == args["idMal"]]
    if args.get("id_in") is not None:
        wanted = set(_int_list(args["id_in"], where, "id_in"))
        media = [m for m in media if m.id in wanted]
    if args.get("idMal_in") is not None:
        wanted = set(_int_list(args["idMal_in"], where, "idMal_in"))
        media = [m for m in media if m.id_mal in wanted]
    if args.get("isAdult") is not None:
        media = [m for m in media if m.is_adult is bool(args["isAdult"])]
    search = args.get("search")
    sorts = _sorts(args.get("sort"), MEDIA_SORTS, where)
    if search is not None:
        needle = str(search).casefold()
        media = [m for m in media if any(needle in t.casefold() for t in m.titles())]
        if "SEARCH_MATCH" in sorts or not sorts:

            def rank(m: StandinMedia) -> tuple[int, int]:
                titles = [t.casefold() for t in m.titles()]
                if needle in titles:
                    return (0, m.id)
                if any(t.startswith(needle) for t in titles):
                    return (1, m.id)
                return (2, m.id)

            return sorted(media, key=rank)
    return sorted(media, key=lambda m: m.id, reverse="ID_DESC" in sorts)


def _render_media(
    media: StandinMedia, fields: list[Field], catalogue: Catalogue, now: datetime
) -> JSON:
    out: JSON = {}
    for field in fields:
        name = field.name
        _check_arguments(field, FIELD_ARGS.get(name, set()))
        if name in MEDIA_SCALARS:
            _scalar(field)
            out[name] = _media_scalar(media, name, field)
        elif name in MEDIA_OBJECTS:
            sub = _object_selections(field)
            for item in sub:
                if item.name not in MEDIA_OBJECTS[name]:
                    raise GraphQLError(
                        f'Cannot query field "{item.name}" on type "{name}".',
                        item.line,
                        item.column,
                    )
                _scalar(item)
            out[name] = _media_object(media, name, [item.name for item in sub])
        elif name == "nextAiringEpisode":
            ahead = _airings_of(media.id, catalogue, now, not_yet_aired=True)
            out[name] = _render_airing(ahead[0], _object_selections(field), now) if ahead else None
        elif name == "airingSchedule":
            out[name] = _render_schedule(media, field, catalogue, now)
        else:
            raise GraphQLError(
                f'Cannot query field "{name}" on type "Media".', field.line, field.column
            )
    return out


def _media_scalar(media: StandinMedia, name: str, field: Field) -> Any:
    if name == "status":
        version = field.arguments.get("version")
        # HIATUS exists only in version 2; version 1 says RELEASING instead.
        if media.status == "HIATUS" and version != 2:
            return "RELEASING"
        return media.status
    if name == "description":
        return media.description
    return {
        "id": media.id,
        "idMal": media.id_mal,
        "siteUrl": media.site_url,
        "type": media.type,
        "format": media.format,
        "episodes": media.episodes,
        "duration": media.duration,
        "season": media.season,
        "seasonYear": media.season_year,
        "isAdult": media.is_adult,
        "synonyms": list(media.synonyms),
        "genres": [],
        "countryOfOrigin": "JP",
        "bannerImage": None,
        "updatedAt": 1_700_000_000,
    }[name]


def _media_object(media: StandinMedia, name: str, keys: list[str]) -> Any:
    if name == "title":
        values = {
            "romaji": media.romaji,
            "english": media.english,
            "native": media.native,
            "userPreferred": media.romaji,
        }
        return {k: values[k] for k in keys}
    if name == "coverImage":
        if media.cover is None:
            return {k: None for k in keys}
        values = {
            "extraLarge": media.cover,
            "large": media.cover.replace("/large/", "/medium/"),
            "medium": media.cover.replace("/large/", "/small/"),
            "color": media.cover_color,
        }
        return {k: values[k] for k in keys}
    if name in ("startDate", "endDate"):
        year, month, day = media.start_date if name == "startDate" else (None, None, None)
        date: dict[str, int | None] = {"year": year, "month": month, "day": day}
        return {k: date[k] for k in keys}
    links = []
    for link in media.external_links:
        full = {
            "id": link.get("id"),
            "url": link.get("url"),
            "site": link.get("site"),
            "siteId": None,
            "type": link.get("type"),
            "language": None,
            "color": None,
            "icon": None,
            "notes": None,
            "isDisabled": link.get("isDisabled", False),
        }
        links.append({k: full[k] for k in keys})
    return links


def _render_schedule(
    media: StandinMedia, field: Field, catalogue: Catalogue, now: datetime
) -> JSON:
    args = field.arguments
    per_page = min(
        _int(args.get("perPage"), field, "perPage") or MAX_CONNECTION_PER_PAGE,
        MAX_CONNECTION_PER_PAGE,
    )
    page = _int(args.get("page"), field, "page") or 1
    rows = _airings_of(
        media.id,
        catalogue,
        now,
        not_yet_aired=args.get("notYetAired") if "notYetAired" in args else None,
    )
    start = (page - 1) * per_page
    shown = rows[start : start + per_page]
    out: JSON = {}
    for item in _object_selections(field):
        if item.name == "pageInfo":
            out["pageInfo"] = _render_page_info(
                item, page, per_page, len(rows), len(rows) > start + per_page
            )
        elif item.name == "nodes":
            out["nodes"] = [_render_airing(r, _object_selections(item), now) for r in shown]
        else:
            raise GraphQLError(
                f'Cannot query field "{item.name}" on type "AiringScheduleConnection".',
                item.line,
                item.column,
            )
    return out


# ----------------------------------------------------------------- AiringSchedule
def _airings_of(
    media_id: int, catalogue: Catalogue, now: datetime, *, not_yet_aired: bool | None
) -> list[StandinAiring]:
    cutoff = int(now.timestamp())
    rows = [r for r in catalogue.airings if r.media_id == media_id]
    if not_yet_aired is not None:
        rows = [r for r in rows if (r.airing_at > cutoff) is bool(not_yet_aired)]
    return sorted(rows, key=lambda r: (r.airing_at, r.id))


def _find_airings(
    args: dict[str, Any], catalogue: Catalogue, now: datetime, where: Field
) -> list[StandinAiring]:
    rows = list(catalogue.airings)
    if args.get("mediaId") is not None:
        rows = [r for r in rows if r.media_id == args["mediaId"]]
    if args.get("mediaId_in") is not None:
        wanted = set(_int_list(args["mediaId_in"], where, "mediaId_in"))
        rows = [r for r in rows if r.media_id in wanted]
    if args.get("airingAt_greater") is not None:
        after = _int(args["airingAt_greater"], where, "airingAt_greater")
        rows = [r for r in rows if after is not None and r.airing_at > after]
    if args.get("airingAt_lesser") is not None:
        before = _int(args["airingAt_lesser"], where, "airingAt_lesser")
        rows = [r for r in rows if before is not None and r.airing_at < before]
    if args.get("notYetAired") is not None:
        cutoff = int(now.timestamp())
        rows = [r for r in rows if (r.airing_at > cutoff) is bool(args["notYetAired"])]
    attributes = {"ID": "id", "MEDIA_ID": "media_id", "TIME": "airing_at", "EPISODE": "episode"}
    order = [
        (attributes[sort.removesuffix("_DESC")], -1 if sort.endswith("_DESC") else 1)
        for sort in _sorts(args.get("sort"), AIRING_SORTS, where)
    ] or [("id", 1)]

    def key(row: StandinAiring) -> tuple[int, ...]:
        return tuple(sign * int(getattr(row, attribute)) for attribute, sign in order)

    return sorted(rows, key=key)


def _render_airing(row: StandinAiring, fields: list[Field], now: datetime) -> JSON:
    values = {
        "id": row.id,
        "airingAt": row.airing_at,
        "episode": row.episode,
        "mediaId": row.media_id,
        "timeUntilAiring": row.airing_at - int(now.timestamp()),
    }
    out: JSON = {}
    for field in fields:
        if field.name not in AIRING_FIELDS:
            raise GraphQLError(
                f'Cannot query field "{field.name}" on type "AiringSchedule".',
                field.line,
                field.column,
            )
        _scalar(field)
        out[field.name] = values[field.name]
    return out


# ----------------------------------------------------------------- checks
def _check_arguments(field: Field, allowed: set[str]) -> None:
    for name in field.argument_order:
        if name not in allowed:
            raise GraphQLError(
                f'Unknown argument "{name}" on field "{field.name}".', field.line, field.column
            )


def _object_selections(field: Field) -> list[Field]:
    if field.selections is None:
        raise GraphQLError(
            f'Field "{field.name}" of an object type must have a selection of subfields.',
            field.line,
            field.column,
        )
    return field.selections


def _scalar(field: Field) -> None:
    if field.selections is not None:
        raise GraphQLError(
            f'Field "{field.name}" must not have a selection since it is a scalar.',
            field.line,
            field.column,
        )


def _int(value: Any, where: Field, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise GraphQLError(
            f'Argument "{name}" has an invalid value: expected Int.', where.line, where.column
        )
    return value


def _int_list(value: Any, where: Field, name: str) -> list[int]:
    items = value if isinstance(value, list) else [value]
    return [n for n in (_int(v, where, name) for v in items) if n is not None]


def _enum(value: Any, allowed: set[str], where: Field, name: str) -> str | None:
    if value is None:
        return None
    text = value.value if isinstance(value, Enum) else value
    if not isinstance(text, str) or text not in allowed:
        raise GraphQLError(
            f'Argument "{name}" has an invalid value {text!r}.', where.line, where.column
        )
    return text


def _sorts(value: Any, allowed: set[str], where: Field) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [s for s in (_enum(v, allowed, where, "sort") for v in items) if s is not None]
