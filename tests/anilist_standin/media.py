"""Media and airing schedules as AniList renders them: only the fields asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.anilist_standin.checks import (
    AIRING_FIELDS,
    AIRING_SORTS,
    FIELD_ARGS,
    JSON,
    MAX_CONNECTION_PER_PAGE,
    MEDIA_OBJECTS,
    MEDIA_SCALARS,
    MEDIA_SORTS,
    MEDIA_TYPES,
    check_arguments,
    enum,
    int_argument,
    int_list,
    object_selections,
    render_page_info,
    scalar,
    sorts,
)
from tests.anilist_standin.data import Catalogue, StandinAiring, StandinMedia
from tests.anilist_standin.graphql import Field, GraphQLError


def find_media(args: dict[str, Any], catalogue: Catalogue, where: Field) -> list[StandinMedia]:
    media = list(catalogue.media.values())
    kind = enum(args.get("type"), MEDIA_TYPES, where, "type")
    if kind is not None:
        media = [m for m in media if m.type == kind]
    if args.get("id") is not None:
        media = [m for m in media if m.id == args["id"]]
    if args.get("idMal") is not None:
        media = [m for m in media if m.id_mal == args["idMal"]]
    if args.get("id_in") is not None:
        wanted = set(int_list(args["id_in"], where, "id_in"))
        media = [m for m in media if m.id in wanted]
    if args.get("idMal_in") is not None:
        wanted = set(int_list(args["idMal_in"], where, "idMal_in"))
        media = [m for m in media if m.id_mal in wanted]
    if args.get("isAdult") is not None:
        media = [m for m in media if m.is_adult is bool(args["isAdult"])]
    search = args.get("search")
    order = sorts(args.get("sort"), MEDIA_SORTS, where)
    if search is not None:
        needle = str(search).casefold()
        media = [m for m in media if any(needle in t.casefold() for t in m.titles())]
        if "SEARCH_MATCH" in order or not order:

            def rank(m: StandinMedia) -> tuple[int, int]:
                titles = [t.casefold() for t in m.titles()]
                if needle in titles:
                    return (0, m.id)
                if any(t.startswith(needle) for t in titles):
                    return (1, m.id)
                return (2, m.id)

            return sorted(media, key=rank)
    return sorted(media, key=lambda m: m.id, reverse="ID_DESC" in order)


def render_media(
    media: StandinMedia, fields: list[Field], catalogue: Catalogue, now: datetime
) -> JSON:
    out: JSON = {}
    for field in fields:
        name = field.name
        check_arguments(field, FIELD_ARGS.get(name, set()))
        if name in MEDIA_SCALARS:
            scalar(field)
            out[name] = media_scalar(media, name, field)
        elif name in MEDIA_OBJECTS:
            sub = object_selections(field)
            for item in sub:
                if item.name not in MEDIA_OBJECTS[name]:
                    raise GraphQLError(
                        f'Cannot query field "{item.name}" on type "{name}".',
                        item.line,
                        item.column,
                    )
                scalar(item)
            out[name] = media_object(media, name, [item.name for item in sub])
        elif name == "nextAiringEpisode":
            ahead = airings_of(media.id, catalogue, now, not_yet_aired=True)
            out[name] = render_airing(ahead[0], object_selections(field), now) if ahead else None
        elif name == "airingSchedule":
            out[name] = render_schedule(media, field, catalogue, now)
        else:
            raise GraphQLError(
                f'Cannot query field "{name}" on type "Media".', field.line, field.column
            )
    return out


def media_scalar(media: StandinMedia, name: str, field: Field) -> Any:
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


def media_object(media: StandinMedia, name: str, keys: list[str]) -> Any:
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


def render_schedule(media: StandinMedia, field: Field, catalogue: Catalogue, now: datetime) -> JSON:
    args = field.arguments
    per_page = min(
        int_argument(args.get("perPage"), field, "perPage") or MAX_CONNECTION_PER_PAGE,
        MAX_CONNECTION_PER_PAGE,
    )
    page = int_argument(args.get("page"), field, "page") or 1
    rows = airings_of(
        media.id,
        catalogue,
        now,
        not_yet_aired=args.get("notYetAired") if "notYetAired" in args else None,
    )
    start = (page - 1) * per_page
    shown = rows[start : start + per_page]
    out: JSON = {}
    for item in object_selections(field):
        if item.name == "pageInfo":
            out["pageInfo"] = render_page_info(
                item, page, per_page, len(rows), len(rows) > start + per_page
            )
        elif item.name == "nodes":
            out["nodes"] = [render_airing(r, object_selections(item), now) for r in shown]
        else:
            raise GraphQLError(
                f'Cannot query field "{item.name}" on type "AiringScheduleConnection".',
                item.line,
                item.column,
            )
    return out


# ----------------------------------------------------------------- AiringSchedule
def airings_of(
    media_id: int, catalogue: Catalogue, now: datetime, *, not_yet_aired: bool | None
) -> list[StandinAiring]:
    cutoff = int(now.timestamp())
    rows = [r for r in catalogue.airings if r.media_id == media_id]
    if not_yet_aired is not None:
        rows = [r for r in rows if (r.airing_at > cutoff) is bool(not_yet_aired)]
    return sorted(rows, key=lambda r: (r.airing_at, r.id))


def find_airings(
    args: dict[str, Any], catalogue: Catalogue, now: datetime, where: Field
) -> list[StandinAiring]:
    rows = list(catalogue.airings)
    if args.get("mediaId") is not None:
        rows = [r for r in rows if r.media_id == args["mediaId"]]
    if args.get("mediaId_in") is not None:
        wanted = set(int_list(args["mediaId_in"], where, "mediaId_in"))
        rows = [r for r in rows if r.media_id in wanted]
    if args.get("airingAt_greater") is not None:
        after = int_argument(args["airingAt_greater"], where, "airingAt_greater")
        rows = [r for r in rows if after is not None and r.airing_at > after]
    if args.get("airingAt_lesser") is not None:
        before = int_argument(args["airingAt_lesser"], where, "airingAt_lesser")
        rows = [r for r in rows if before is not None and r.airing_at < before]
    if args.get("notYetAired") is not None:
        cutoff = int(now.timestamp())
        rows = [r for r in rows if (r.airing_at > cutoff) is bool(args["notYetAired"])]
    attributes = {"ID": "id", "MEDIA_ID": "media_id", "TIME": "airing_at", "EPISODE": "episode"}
    order = [
        (attributes[sort.removesuffix("_DESC")], -1 if sort.endswith("_DESC") else 1)
        for sort in sorts(args.get("sort"), AIRING_SORTS, where)
    ] or [("id", 1)]

    def key(row: StandinAiring) -> tuple[int, ...]:
        return tuple(sign * int(getattr(row, attribute)) for attribute, sign in order)

    return sorted(rows, key=key)


def render_airing(row: StandinAiring, fields: list[Field], now: datetime) -> JSON:
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
        scalar(field)
        out[field.name] = values[field.name]
    return out
