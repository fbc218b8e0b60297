"""AniList's schema, as far as Airdate uses it, and the answers it gives (reference §5-6, §12).

Only fields and arguments that exist on AniList are accepted; anything else is refused
with AniList's 400 shape, so a query that drifts from AniList fails here first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.anilist_standin.checks import (
    AIRING_ARGS,
    JSON,
    MAX_PAGE_DEPTH,
    MAX_PER_PAGE,
    MEDIA_ARGS,
    check_arguments,
    int_argument,
    object_selections,
    render_page_info,
)
from tests.anilist_standin.data import Catalogue
from tests.anilist_standin.graphql import Field, GraphQLError, Operation
from tests.anilist_standin.media import (
    find_airings,
    find_media,
    render_airing,
    render_media,
)


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
    check_arguments(root, {"page", "perPage"})
    page = int_argument(root.arguments.get("page"), root, "page") or 1
    per_page = min(
        int_argument(root.arguments.get("perPage"), root, "perPage") or MAX_PER_PAGE, MAX_PER_PAGE
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
    selections = object_selections(root)
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
        check_arguments(chosen, MEDIA_ARGS)
        rows = find_media(chosen.arguments, catalogue, chosen)
        render = lambda media, fields: render_media(media, fields, catalogue, now)  # noqa: E731
    elif chosen.name == "airingSchedules":
        check_arguments(chosen, AIRING_ARGS)
        rows = find_airings(chosen.arguments, catalogue, now, chosen)
        render = lambda row, fields: render_airing(row, fields, now)  # noqa: E731
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
            result["pageInfo"] = render_page_info(field, page, per_page, len(rows), has_next)
        else:
            result[field.name] = [render(row, object_selections(field)) for row in shown]
    return Answer(200, {"data": {"Page": result}})


def _media_root(root: Field, catalogue: Catalogue, now: datetime) -> Answer:
    check_arguments(root, MEDIA_ARGS)
    found = find_media(root.arguments, catalogue, root)
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
        200, {"data": {"Media": render_media(found[0], object_selections(root), catalogue, now)}}
    )
